"""API tokens: the secret is shown once; the database keeps only its SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core.registry import TokenInfo
from .errors import NotFound, RegistryError
from .models import ApiToken
from .names import slug
from .store import iso, now

SCOPES = ("admit", "decide", "policy", "pull", "admin")  # "admin" grants every scope; "pull": the mirror
PREFIX = "wbt_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_scopes(scopes: Sequence[str]) -> list[str]:
    chosen = sorted(set(scopes))
    if not chosen:
        raise RegistryError(f"a token needs at least one scope ({', '.join(SCOPES)})")
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise RegistryError(f"unknown scope {unknown[0]!r} (expected one of: {', '.join(SCOPES)})")
    return chosen


def create(session: Session, name: str, scopes: Sequence[str]) -> str:
    slug(name, "token")
    chosen = check_scopes(scopes)
    if session.execute(select(ApiToken.id).where(ApiToken.name == name)).first() is not None:
        raise RegistryError(f"a token named {name!r} already exists (revoke it or choose another name)")
    secret = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, scopes=" ".join(chosen), token_sha256=digest(secret), created_at=now()))
    try:
        session.flush()
    except IntegrityError:
        raise RegistryError(f"a token named {name!r} already exists") from None
    return secret


def check(session: Session, secret: str, scope: str) -> str | None:
    """The token's name when ``secret`` is a live token holding ``scope`` (or admin); records the use."""
    if scope not in SCOPES:
        raise RegistryError(f"unknown scope {scope!r} (expected one of: {', '.join(SCOPES)})")
    if not isinstance(secret, str) or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    wanted = digest(secret)
    row = session.execute(select(ApiToken).where(ApiToken.token_sha256 == wanted)).scalar_one_or_none()
    if row is None or not hmac.compare_digest(row.token_sha256, wanted) or row.revoked_at is not None:
        return None
    granted = row.scopes.split()
    if scope not in granted and "admin" not in granted:
        return None
    row.last_used_at = now()
    return row.name


def listing(session: Session) -> list[TokenInfo]:
    rows = session.execute(select(ApiToken).order_by(ApiToken.name)).scalars().all()
    return [
        TokenInfo(
            name=r.name,
            scopes=tuple(r.scopes.split()),
            created_at=iso(r.created_at),
            last_used_at=iso(r.last_used_at),
            revoked_at=iso(r.revoked_at),
        )
        for r in rows
    ]


def revoke(session: Session, name: str) -> None:
    row = session.execute(
        select(ApiToken).where(ApiToken.name == name).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no token named {name!r}")
    if row.revoked_at is None:
        row.revoked_at = now()
