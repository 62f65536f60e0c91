"""`weighbridge audit run|score|report|compare`: behaviour audits. Each verb lives in its own module."""

from __future__ import annotations

import typer

from . import audit_report, audit_run, audit_score

audit_app = typer.Typer(
    name="audit",
    help="Audit what a model says: censorship asymmetry, official lines, over-refusal, prompt injection.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``audit`` command group to the main application."""
    for module in (audit_run, audit_score, audit_report):
        module.register(audit_app)
    app.add_typer(audit_app, name="audit")
