"""Policies as the registry reads and stores them: read once (bytes → SHA-256 → parse), under one stored name.

``read_policy_file`` is what ``admit`` and ``reevaluate`` evaluate, hash and store; ``from_stored`` turns a
stored policy's text back into a ``LoadedPolicy`` (the dashboard names a stored policy instead of a file);
``listing`` and ``newest`` read the stored policies."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.findings import WeighbridgeError
from ..core.policy import Policy
from ..core.registry import LoadedPolicy, PolicyInfo, StoredPolicy
from . import names
from .errors import NotFound, RegistryError
from .models import PolicyRow
from .store import iso


def stored_name(policy_name: str) -> str:
    """The name a policy is stored under: its own name when that is a valid slug, else a slug made from it."""
    try:
        return names.slug(policy_name, "policy")
    except RegistryError:
        return re.sub(r"[^A-Za-z0-9._-]+", "-", policy_name).strip("-.")[:100] or "policy"


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_policy_file(path: Path) -> LoadedPolicy:
    """Read ``path`` once; the policy evaluated is parsed from exactly the bytes hashed and stored."""
    from ..policy.load import parse_policy_file_text

    file = Path(path)
    try:
        raw = file.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WeighbridgeError(f"{file}: cannot read policy: {exc}") from None
    parsed = parse_policy_file_text(text, file)
    return LoadedPolicy(
        name=stored_name(parsed.name), sha256=hashlib.sha256(raw).hexdigest(), text=text, parsed=parsed
    )


def parse_stored(text: str, name: str) -> Policy:
    """Validate a stored (or about to be stored) policy text; errors name the policy."""
    from ..policy import parse_policy

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise RegistryError(f"policy {name}: not valid YAML{line}") from None
    return parse_policy(data, default_name=name)


def from_stored(name: str, text: str) -> LoadedPolicy:
    """A policy stored under ``name``, ready to evaluate and to record decisions against (same hash)."""
    return LoadedPolicy(name=name, sha256=sha256_of(text), text=text, parsed=parse_stored(text, name))


def listing(session: Session) -> list[PolicyInfo]:
    """Every stored policy: its newest text's SHA-256, when it was uploaded, how many texts it has had."""
    rows = session.execute(select(PolicyRow).order_by(PolicyRow.name, PolicyRow.id)).scalars().all()
    newest: dict[str, PolicyRow] = {}
    counts: Counter[str] = Counter()
    for row in rows:
        newest[row.name] = row
        counts[row.name] += 1
    return [
        PolicyInfo(name=n, sha256=r.sha256, uploaded_at=iso(r.uploaded_at), revisions=counts[n])
        for n, r in newest.items()
    ]


def newest(session: Session, name: str) -> StoredPolicy:
    row = session.execute(
        select(PolicyRow).where(PolicyRow.name == name).order_by(PolicyRow.id.desc()).limit(1)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no policy named {name!r}")
    return StoredPolicy(
        name=row.name, sha256=row.sha256, yaml_text=row.yaml_text, uploaded_at=iso(row.uploaded_at)
    )
