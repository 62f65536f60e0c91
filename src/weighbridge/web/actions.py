"""The dashboard's form posts: sign in and out, admit, decide, upload a policy. Each checks the CSRF token,
then the signed-in token's scope, calls the registry, and redirects (303) to the page that shows the result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from ..core.registry import DecisionAction
from . import admission
from .auth import COOKIE as TOKEN_COOKIE
from .auth import Scope, token_holder
from .forms import form_actor, require_csrf
from .render import render, set_cookie
from .schemas import HumanAction
from .state import WebState, web_state

router = APIRouter(include_in_schema=False)
State = Annotated[WebState, Depends(web_state)]
Csrf = Annotated[str, Form(max_length=200)]
MAX_POLICY_BYTES = 200_000


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.post("/login", name="login")
def login(
    request: Request, state: State, token: Annotated[str, Form(max_length=300)], csrf_token: Csrf = ""
) -> Response:
    require_csrf(request, csrf_token)
    secret = token.strip()
    if token_holder(state.registry, secret) is None:
        return render(
            request,
            "login.html",
            {"nav": "login", "flash": {"kind": "error", "message": "That token is unknown or revoked."}},
            status=401,
        )
    response = _see(str(request.url_for("inventory").include_query_params(done="signed-in")))
    set_cookie(response, request, TOKEN_COOKIE, secret)
    return response


@router.post("/logout", name="logout")
def logout(request: Request, csrf_token: Csrf = "") -> Response:
    require_csrf(request, csrf_token)
    response = _see(str(request.url_for("inventory").include_query_params(done="signed-out")))
    response.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.post("/models/{name:path}/decisions", name="decide_form")
def decide(
    request: Request,
    state: State,
    name: str,
    action: Annotated[HumanAction, Form()],
    reason: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Csrf = "",
) -> Response:
    actor = form_actor(request, csrf_token, Scope.DECIDE)
    if not reason.strip():
        raise HTTPException(422, "a decision needs a reason")
    state.registry.decide(
        name, DecisionAction(action.value), actor=actor, reason=reason, version=version or None
    )
    url = request.url_for("model_page", name=name).include_query_params(
        done=action.value, **({"version": version} if version else {})
    )
    return _see(str(url))


@router.post("/admit", name="admit_form")
def admit(
    request: Request,
    state: State,
    target: Annotated[str, Form(min_length=1, max_length=4096)],
    policy: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    derived_from: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Csrf = "",
) -> Response:
    actor = form_actor(request, csrf_token, Scope.ADMIT)
    version, _ = admission.admit(
        state.registry,
        target.strip(),
        policy_name=policy or None,
        actor=actor,
        note=note.strip() or None,
        derived_from=derived_from.strip() or None,
        name=name.strip() or None,
    )
    return _see(
        str(
            request.url_for("model_page", name=version.model).include_query_params(
                version=version.manifest_digest, done="admitted"
            )
        )
    )


@router.post("/mirror/intake", name="mirror_intake_form")
def mirror_intake(
    request: Request,
    state: State,
    source: Annotated[str, Form(min_length=4, max_length=500)],
    policy: Annotated[str, Form(max_length=100)] = "",
    csrf_token: Csrf = "",
) -> Response:
    actor = form_actor(request, csrf_token, Scope.ADMIT)
    from ..mirror.background import start_intake

    start_intake(state.registry, source, actor=actor, policy_name=policy or None)
    return _see(str(request.url_for("mirror_page").include_query_params(done="intake")))


@router.post("/policies", name="policy_upload")
def upload_policy(
    request: Request,
    state: State,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    yaml_text: Annotated[str, Form(max_length=MAX_POLICY_BYTES)] = "",
    file: UploadFile | None = None,
    csrf_token: Csrf = "",
) -> Response:
    form_actor(request, csrf_token, Scope.POLICY)
    text = yaml_text
    if file is not None and file.filename:
        raw = file.file.read(MAX_POLICY_BYTES + 1)
        if len(raw) > MAX_POLICY_BYTES:
            raise HTTPException(413, f"a policy file may be at most {MAX_POLICY_BYTES} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(400, "the policy file is not UTF-8 text") from None
    if not text.strip():
        raise HTTPException(422, "paste the policy YAML or choose a file")
    state.registry.save_policy(name, text)
    return _see(str(request.url_for("policy_page", name=name).include_query_params(done="policy")))
