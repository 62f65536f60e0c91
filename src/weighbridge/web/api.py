"""REST API under /api/v1: the same registry calls the CLI makes, with typed bodies and documented errors.

Model names may contain "/" (``org/name``), so they are matched with a path converter; they only ever reach
the registry's parameterized queries, never the filesystem. The admit target is the one path a client
names, and the inspection library validates it (an existing local path, ``hf:`` or ``ollama:``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .. import __version__
from ..core.findings import Severity
from ..core.registry import Decision, DecisionAction
from . import admission
from .auth import AuthError, Scope, authorize, authorize_read
from .schemas import (
    POLICY_NAME,
    AdmitRequest,
    AdmitResult,
    DecisionEntry,
    DecisionRequest,
    Error,
    FleetSummaryBody,
    Health,
    MirrorOverviewBody,
    ModelOverview,
    PolicyDocument,
    PolicySummary,
    PolicyUpload,
    SeverityName,
    VersionDetail,
    VersionSummary,
)
from .state import WebState, web_state

bearer = HTTPBearer(auto_error=False, description="An API token: `weighbridge token create NAME --scope …`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
State = Annotated[WebState, Depends(web_state)]

ModelName = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        description="Registry model name; may contain '/'.",
        examples=["acme-ai/clean-chat"],
    ),
]
VersionId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        description="Revision, manifest digest, or a 7+ character digest prefix.",
    ),
]
PolicyName = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=POLICY_NAME,
        examples=["research-lab"],
        description="Letters, digits, '.', '_' and '-'; no path separators.",
    ),
]

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Error, "description": "No such model or version"}
}
BAD_INPUT: dict[int | str, dict[str, Any]] = {
    400: {"model": Error, "description": "Rejected by the registry"}
}


def _auth_errors(read: bool) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {
        401: {"model": Error, "description": "No token, or an unknown one"}
    }
    if not read:
        out[403] = {"model": Error, "description": "The token lacks the scope this write needs"}
    return out


def _http(exc: AuthError) -> Exception:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return HTTPException(exc.status, exc.message, headers=headers)


def writer(scope: Scope) -> Any:
    """A dependency that returns the actor (the token's name) when the bearer token holds ``scope``."""

    def dependency(state: State, credentials: Credentials) -> str:
        try:
            return authorize(state.registry, credentials.credentials if credentials else None, scope)
        except AuthError as exc:
            raise _http(exc) from None

    return dependency


def make_router(*, anonymous_read: bool) -> APIRouter:
    """The /api/v1 routes. With anonymous reads off, the read routes document the bearer token too."""
    read_deps = [] if anonymous_read else [Security(reader_secured)]
    read_errors = {} if anonymous_read else _auth_errors(read=True)
    router = APIRouter(prefix="/api/v1")

    @router.get("/healthz", tags=["service"], response_model=Health)
    def healthz(state: State) -> Health:
        """Liveness: the server answers and the registry can be read."""
        state.registry.list_policies()
        return Health(status="ok", version=__version__, registry="ok")

    @router.get(
        "/models",
        tags=["models"],
        response_model=list[VersionSummary],
        dependencies=read_deps,
        responses=read_errors,
    )
    def list_models(
        state: State,
        q: Annotated[
            str | None, Query(max_length=200, description="Substring of name or source; digest prefix")
        ] = None,
        decision: Decision | None = None,
        license_family: Annotated[str | None, Query(max_length=100)] = None,
        jurisdiction: Annotated[str | None, Query(max_length=20, description="ISO 3166-1 alpha-2")] = None,
        min_severity: Annotated[SeverityName | None, Query(description="Worst finding at or above")] = None,
        all_versions: bool = False,
    ) -> list[dict[str, Any]]:
        """The inventory: the newest version of every model (every version with ``all_versions``)."""
        return [
            admission.version_dict(v)
            for v in state.registry.list_versions(
                query=q or None,
                decision=decision,
                license_family=license_family or None,
                jurisdiction=jurisdiction or None,
                min_severity=Severity.parse(min_severity.value) if min_severity else None,
                all_versions=all_versions,
            )
        ]

    @router.get(
        "/models/{name:path}/versions",
        tags=["models"],
        response_model=VersionDetail,
        dependencies=read_deps,
        responses={**NOT_FOUND, **read_errors},
    )
    def latest_version(state: State, name: ModelName) -> dict[str, Any]:
        """The newest version of a model, with files, findings, licence, provenance, lineage, history."""
        return state.registry.version_detail(name)

    @router.get(
        "/models/{name:path}/versions/{version}",
        tags=["models"],
        response_model=VersionDetail,
        dependencies=read_deps,
        responses={**NOT_FOUND, **read_errors},
    )
    def one_version(state: State, name: ModelName, version: VersionId) -> dict[str, Any]:
        """One version of a model, by revision, manifest digest or digest prefix."""
        return state.registry.version_detail(name, version)

    @router.get(
        "/models/{name:path}/history",
        tags=["models"],
        response_model=list[DecisionEntry],
        dependencies=read_deps,
        responses={**NOT_FOUND, **read_errors},
    )
    def history(state: State, name: ModelName) -> list[dict[str, Any]]:
        """Every decision on every version of the model, oldest first."""
        return [entry.to_dict() for entry in state.registry.history(name)]

    # Registered after the routes under /models/{name}/… so that those keep their meaning.
    @router.get(
        "/models/{name:path}",
        tags=["models"],
        response_model=ModelOverview,
        dependencies=read_deps,
        responses={**NOT_FOUND, **read_errors},
    )
    def model(state: State, name: ModelName) -> dict[str, Any]:
        """One model: newest version, every version, publisher, openness and decision history."""
        return model_overview(state, name)

    @router.post(
        "/models/{name:path}/decisions",
        tags=["models"],
        status_code=201,
        response_model=DecisionEntry,
        responses={**NOT_FOUND, **BAD_INPUT, **_auth_errors(read=False)},
    )
    def decide(
        state: State,
        name: ModelName,
        body: DecisionRequest,
        actor: Annotated[str, Depends(writer(Scope.DECIDE))],
    ) -> dict[str, Any]:
        """Approve, revoke, quarantine or reject a version (scope ``decide``). A reason is required."""
        entry = state.registry.decide(
            name, DecisionAction(body.action.value), actor=actor, reason=body.reason, version=body.version
        )
        return entry.to_dict()

    @router.post(
        "/admit",
        tags=["models"],
        status_code=201,
        response_model=AdmitResult,
        responses={**NOT_FOUND, **BAD_INPUT, **_auth_errors(read=False)},
    )
    def admit(
        state: State, body: AdmitRequest, actor: Annotated[str, Depends(writer(Scope.ADMIT))]
    ) -> dict[str, Any]:
        """Inspect a target and record the policy's decision (scope ``admit``). Statically: nothing is loaded."""
        version, decision = admission.admit(
            state.registry,
            body.target,
            policy_name=body.policy,
            actor=actor,
            note=body.note,
            derived_from=body.derived_from,
            relation=body.relation,
            name=body.name,
        )
        return {"version": admission.version_dict(version), "decision": decision.to_dict()}

    @router.get(
        "/policies",
        tags=["policies"],
        response_model=list[PolicySummary],
        dependencies=read_deps,
        responses=read_errors,
    )
    def policies(state: State) -> list[dict[str, Any]]:
        """Stored policies, newest text of each."""
        return [p.to_dict() for p in state.registry.list_policies()]

    @router.get(
        "/policies/{name}",
        tags=["policies"],
        response_model=PolicyDocument,
        dependencies=read_deps,
        responses={404: {"model": Error, "description": "No such policy"}, **read_errors},
    )
    def get_policy(state: State, name: PolicyName) -> dict[str, Any]:
        """A stored policy's YAML text."""
        return state.registry.get_policy(name).to_dict()

    @router.put(
        "/policies/{name}",
        tags=["policies"],
        response_model=PolicyDocument,
        responses={**BAD_INPUT, **_auth_errors(read=False)},
    )
    def put_policy(
        state: State,
        name: PolicyName,
        body: PolicyUpload,
        actor: Annotated[str, Depends(writer(Scope.POLICY))],
    ) -> dict[str, Any]:
        """Validate and store a policy (scope ``policy``); the same text twice stores nothing new."""
        state.registry.save_policy(name, body.yaml_text)
        return state.registry.get_policy(name).to_dict()

    @router.get(
        "/fleet/summary",
        tags=["fleet"],
        response_model=FleetSummaryBody,
        dependencies=read_deps,
        responses=read_errors,
    )
    def fleet(state: State) -> dict[str, Any]:
        """Counts by decision, verdict, licence family, jurisdiction and severity; newest findings; flips."""
        from ..fleet.summary import fleet_summary

        return fleet_summary(state.registry).to_dict()

    @router.get(
        "/mirror",
        tags=["mirror"],
        response_model=MirrorOverviewBody,
        dependencies=read_deps,
        responses=read_errors,
    )
    def mirror(state: State, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict[str, Any]:
        """The mirror: admitted versions it serves (pull counts), the intake queue, the latest refused pulls."""
        from ..mirror.catalogue import mirror_overview
        from ..mirror.store import existing_store

        return mirror_overview(state.registry, existing_store(), limit=limit)

    return router


def model_overview(state: WebState, name: str) -> dict[str, Any]:
    """What ``GET /api/v1/models/{name}`` returns (404 through NotFound when there is no such model)."""
    detail = state.registry.version_detail(name)
    canonical = detail["model"]
    versions = [
        admission.version_dict(v)
        for v in state.registry.list_versions(query=canonical, all_versions=True)
        if v.model == canonical
    ]
    versions.sort(key=lambda v: v["id"], reverse=True)
    publisher = (detail.get("provenance") or {}).get("publisher") or {}
    mof = (detail.get("openness") or {}).get("mof") or {}
    latest = detail["version"]
    return {
        "model": canonical,
        "latest": latest,
        "versions": versions or [latest],
        "publisher": publisher.get("name"),
        "jurisdiction": latest.get("jurisdiction") or publisher.get("country"),
        "openness_class": latest.get("openness_class"),
        "openness_label": mof.get("label"),
        "history": [entry.to_dict() for entry in state.registry.history(canonical)],
    }


def reader_secured(state: State, credentials: Credentials) -> None:
    """With anonymous reads off, any valid token may read; declared with the bearer scheme for OpenAPI."""
    try:
        authorize_read(state.registry, credentials.credentials if credentials else None)
    except AuthError as exc:
        raise _http(exc) from None
