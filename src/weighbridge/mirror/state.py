"""What every mirror request handler shares (the registry, the store, the gate), who is asking, and the pull log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from fastapi import Request

from ..core.mirror import PullOutcome, PullRecord, Refusal, ServedVersion
from ..registry import SCOPES, Registry
from .background import AutoIntake
from .gate import Gate
from .store import BlobStore


@dataclass(frozen=True)
class MirrorState:
    registry: Registry
    store: BlobStore
    gate: Gate
    allow_anonymous_pull: bool
    auto_intake: AutoIntake | None = None


def mirror_state(request: Request) -> MirrorState:
    return cast(MirrorState, request.app.state.mirror)


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the remote address and the name of the token it carried (when valid)."""

    client: str | None
    user: str | None
    token_sent: bool


def caller(state: MirrorState, request: Request) -> Caller:
    header = request.headers.get("authorization", "")
    secret = header[7:].strip() if header[:7].lower() == "bearer " else ""
    user = None
    if secret:
        for scope in SCOPES:  # any valid token may pull
            user = state.registry.check_token(secret, scope)
            if user is not None:
                break
    client = request.client.host if request.client is not None else None
    return Caller(client=client, user=user, token_sent=bool(secret))


def log_pull(
    state: MirrorState,
    who: Caller,
    *,
    protocol: str,
    repo: str,
    revision: str | None,
    path: str | None,
    result: ServedVersion | Refusal,
) -> None:
    """Record a served or refused request in the registry (pull counts, refused-pulls audit trail)."""
    if isinstance(result, Refusal):
        record = PullRecord(
            protocol=protocol,
            repo=repo[:300],
            revision=revision,
            path=path,
            outcome=PullOutcome.REFUSED,
            client=who.client,
            user=who.user,
            refusal=result.kind,
            reason=result.line,
        )
    else:
        record = PullRecord(
            protocol=protocol,
            repo=repo[:300],
            revision=revision,
            path=path,
            outcome=PullOutcome.SERVED,
            client=who.client,
            user=who.user,
            model=result.model,
            version=result.manifest_digest,
        )
    state.registry.mirror.record_pull(record)
