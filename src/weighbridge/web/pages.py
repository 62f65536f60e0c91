"""The dashboard's pages (GET): inventory, model, policies, admit form, sign-in. Reads only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from ..core.findings import Severity
from ..core.registry import Decision
from ..registry.views import version_dict
from . import views
from .auth import COOKIE as TOKEN_COOKIE
from .auth import AuthError, authorize_read
from .render import render
from .schemas import HumanAction
from .state import WebState, web_state

FLASH = {
    "approve": "Approved: the version is admitted.",
    "revoke": "Revoked.",
    "quarantine": "Quarantined.",
    "reject": "Rejected.",
    "admitted": "Admitted into the registry: see the decision below.",
    "policy": "Policy saved.",
    "intake": "Intake started: it shows in the queue below, and the model is served only if admitted.",
    "signed-in": "Signed in.",
    "signed-out": "Signed out.",
}


def page_reader(request: Request, state: Annotated[WebState, Depends(web_state)]) -> WebState:
    """Pages read like the API: open when anonymous reads are allowed, else the signed-in token must be valid."""
    if not state.allow_anonymous_read:
        try:
            authorize_read(state.registry, request.cookies.get(TOKEN_COOKIE))
        except AuthError as exc:
            raise HTTPException(exc.status, exc.message) from None
    return state


Reader = Annotated[WebState, Depends(page_reader)]
router = APIRouter(include_in_schema=False)


def flash(done: str | None) -> dict[str, str] | None:
    return {"kind": "ok", "message": FLASH[done]} if done in FLASH else None


def _option(value: str | None, parse: Any, what: str) -> Any:
    if not value:
        return None
    try:
        return parse(value)
    except ValueError:
        raise HTTPException(422, f"unknown {what} {value!r}") from None


@router.get("/", response_class=HTMLResponse, name="inventory")
def inventory(
    request: Request,
    state: Reader,
    q: Annotated[str, Query(max_length=200)] = "",
    decision: str = "",
    license_family: Annotated[str, Query(max_length=100)] = "",
    jurisdiction: Annotated[str, Query(max_length=20)] = "",
    severity: str = "",
    done: str | None = None,
) -> HTMLResponse:
    chosen_decision = _option(decision, Decision, "decision")
    chosen_severity = _option(severity, Severity.parse, "severity")
    rows = [
        version_dict(v)
        for v in state.registry.list_versions(
            query=q or None,
            decision=chosen_decision,
            license_family=license_family or None,
            jurisdiction=jurisdiction or None,
            min_severity=chosen_severity,
        )
    ]
    everything = [version_dict(v) for v in state.registry.list_versions()]
    return render(
        request,
        "inventory.html",
        {
            "nav": "inventory",
            "rows": rows,
            "total": len(everything),
            "flash": flash(done),
            "filters": {
                "q": q,
                "decision": decision,
                "license_family": license_family,
                "jurisdiction": jurisdiction,
                "severity": severity,
            },
            "decisions": [d.value for d in Decision],
            "severities": [s.label for s in sorted(Severity, reverse=True)],
            "families": views.choices(everything, "license_family"),
            "jurisdictions": views.choices(everything, "jurisdiction"),
        },
    )


@router.get("/models/{name:path}", response_class=HTMLResponse, name="model_page")
def model_page(
    request: Request,
    state: Reader,
    name: str,
    version: Annotated[str | None, Query(max_length=200)] = None,
    done: str | None = None,
) -> HTMLResponse:
    detail = state.registry.version_detail(name, version or None)
    own = [
        version_dict(v)
        for v in state.registry.list_versions(query=detail["model"], all_versions=True)
        if v.model == detail["model"]
    ]
    known = {v.model for v in state.registry.list_versions()}

    def href(model: str) -> str:
        return str(request.url_for("model_page", name=model))

    return render(
        request,
        "model.html",
        {
            "nav": "inventory",
            "d": detail,
            "v": detail["version"],
            "flash": flash(done),
            "versions": sorted(own, key=lambda v: v["id"], reverse=True),
            "terms": views.license_terms(detail.get("license")),
            "lineage_svg": views.lineage_svg(detail, href, known),
            "audits": [(a, *audit_charts(state, a)) for a in detail.get("audits") or ()],
            "actions": [a.value for a in HumanAction],
        },
    )


@router.get("/fleet", response_class=HTMLResponse, name="fleet_page")
def fleet_page(request: Request, state: Reader) -> HTMLResponse:
    from ..fleet.summary import fleet_summary

    summary = fleet_summary(state.registry)
    return render(
        request, "fleet.html", {"nav": "fleet", "s": summary, "charts": views.fleet_charts(summary)}
    )


@router.get("/mirror", response_class=HTMLResponse, name="mirror_page")
def mirror_page(request: Request, state: Reader, done: str | None = None) -> HTMLResponse:
    import os

    from ..mirror.catalogue import mirror_overview
    from ..mirror.store import existing_store

    overview = mirror_overview(state.registry, existing_store(), limit=100)
    return render(
        request,
        "mirror.html",
        {
            "nav": "mirror",
            "m": overview,
            "flash": flash(done),
            "policies": [p.to_dict() for p in state.registry.list_policies()],
            "upstream": os.environ.get("WEIGHBRIDGE_MIRROR_UPSTREAM"),
        },
    )


def audit_charts(state: WebState, audit: dict[str, Any]) -> tuple[list[tuple[str, Markup]], str | None]:
    """Rates by country and language when the run can be summarised, else the stored label counts; and how
    many answers the rates leave out (truncated, empty, filtered, failed), which the page shows above them."""
    from .audits import load_summary, rate_charts

    summary = load_summary(state.registry, int(audit["id"]))
    charts = rate_charts(summary) if summary is not None else []
    return charts or views.audit_charts(audit.get("summary") or {}), summary.excluded if summary else None


@router.get("/policies", response_class=HTMLResponse, name="policies_page")
def policies_page(request: Request, state: Reader, done: str | None = None) -> HTMLResponse:
    return render(
        request,
        "policies.html",
        {
            "nav": "policies",
            "policies": [p.to_dict() for p in state.registry.list_policies()],
            "flash": flash(done),
        },
    )


@router.get("/policies/{name}", response_class=HTMLResponse, name="policy_page")
def policy_page(request: Request, state: Reader, name: str, done: str | None = None) -> HTMLResponse:
    return render(
        request,
        "policy.html",
        {"nav": "policies", "policy": state.registry.get_policy(name).to_dict(), "flash": flash(done)},
    )


@router.get("/admit", response_class=HTMLResponse, name="admit_page")
def admit_page(request: Request, state: Reader) -> HTMLResponse:
    return render(
        request,
        "admit.html",
        {"nav": "admit", "policies": [p.to_dict() for p in state.registry.list_policies()], "form": {}},
    )


@router.get("/login", response_class=HTMLResponse, name="login_page")
def login_page(request: Request, state: Annotated[WebState, Depends(web_state)]) -> HTMLResponse:
    return render(request, "login.html", {"nav": "login"})
