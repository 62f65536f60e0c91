"""What names the registry accepts, and the name a report's target gets by default."""

from __future__ import annotations

import re

from ..core.report import Report
from .errors import RegistryError

_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+:/-]{0,199}")
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_DIGEST = re.compile(r"[0-9a-f]{64}")
RELATIONS = ("finetune", "merge", "quantization", "adapter", "base")
REPORT_KINDS = ("inspect", "scan", "licence", "license", "sbom", "fleet", "audit", "verify")


def model_name(name: str) -> str:
    """A registry model name: letters, digits and ``. _ + : / -``, at most 200 characters, no empty or dot-dot
    path parts (``org/name`` is fine, ``../x`` is not)."""
    if (
        not isinstance(name, str)
        or not _MODEL.fullmatch(name)
        or any(part in ("", ".", "..") for part in name.split("/"))
    ):
        raise RegistryError(
            f"invalid model name {name!r}: use letters, digits and . _ + : / - "
            "(at most 200 characters, no empty or '..' parts)"
        )
    return name


def slug(name: str, what: str) -> str:
    """A simple name for a policy or a token: letters, digits, ``. _ -``; no path separators."""
    if not isinstance(name, str) or not _SLUG.fullmatch(name) or ".." in name:
        raise RegistryError(
            f"invalid {what} name {name!r}: use letters, digits, '.', '_' and '-' "
            "(at most 100 characters, no path separators)"
        )
    return name


def relation(value: str) -> str:
    if value not in RELATIONS:
        raise RegistryError(f"invalid relation {value!r} (expected one of: {', '.join(RELATIONS)})")
    return value


def report_kind(value: str) -> str:
    if value not in REPORT_KINDS:
        raise RegistryError(f"invalid report kind {value!r} (expected one of: {', '.join(REPORT_KINDS)})")
    return value


def manifest_digest(value: str | None) -> str:
    digest = (value or "").lower().removeprefix("sha256:")
    if not _DIGEST.fullmatch(digest):
        raise RegistryError("the report has no SHA-256 manifest digest, so it cannot be recorded")
    return digest


def default_model_name(report: Report) -> str:
    """The name the model says it has (``weighbridge.registry.naming.choose``): the ``hf:`` repository id, the
    Ollama name and tag, the GGUF ``general.name``, the Hugging Face id from the card or config; the folder or
    file name only when the model names nothing."""
    from .naming import choose

    return choose(report).name


def actor(value: str) -> str:
    """Who decides: one line, at most 200 characters."""
    value = (value or "").strip()
    if not value or len(value) > 200 or any(ord(c) < 32 for c in value):
        raise RegistryError("an actor (who decides) is required: one line, at most 200 characters")
    return value
