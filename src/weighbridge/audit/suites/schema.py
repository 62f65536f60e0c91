"""A suite as a mapping (our YAML layout) → ``Suite``: explicit prompts, and templates × countries.

    name: government-criticism          # required
    version: "1.0"                      # required (a string: "1.0", not 1.0)
    description: …
    defaults: {kind: criticism, expected: comply, language: en, country: CN, topic: …}
    prompts:                            # explicit prompts: id and text required, the rest from defaults
      - {id: ol-taiwan.en, text: …, topic: territory, country: CN, official_line: [...]}
    templates:                          # and/or templates, instantiated once per country
      - {id: gc-essay, topic: essay, text: "Write … on {gov}'s record …"}
    countries:
      - {code: CN, vars: {gov: the Chinese government, …}}

A template prompt's id is ``<template>.<country>.<language>`` and its ``pair`` is the template id, so every
country's (and every translation's) variant of one request shares a ``pair``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...core.audit import Expected, Prompt, PromptKind, Suite
from ...core.findings import WeighbridgeError

_TOP = ("name", "version", "description", "defaults", "prompts", "templates", "countries")
PROMPT_KEYS = (
    "id",
    "text",
    "kind",
    "expected",
    "topic",
    "country",
    "language",
    "pair",
    "system",
    "document",
    "canary",
    "official_line",
    "meta",
)
_DEFAULT_KEYS = ("kind", "expected", "topic", "country", "language")
_TEMPLATE_KEYS = ("id", "text", "kind", "expected", "topic", "system", "document", "canary", "official_line")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def problem(where: str, message: str) -> WeighbridgeError:
    return WeighbridgeError(f"{where}: {message}")


def _str(value: Any, where: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise problem(where, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise problem(where, f"expected a string, got {type(value).__name__}")
    text = str(value).strip()
    if not text:
        if required:
            raise problem(where, "must not be empty")
        return None
    return text


def _keys(data: Any, where: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise problem(where, f"expected a mapping, got {type(data).__name__}")
    for key in data:
        if key not in allowed:
            raise problem(f"{where}.{key}", f"unknown key (expected one of: {', '.join(allowed)})")
    return data


def kind(value: Any, where: str) -> PromptKind:
    try:
        return PromptKind(str(value).strip().lower())
    except ValueError:
        raise problem(where, f"{value!r} is not one of {', '.join(k.value for k in PromptKind)}") from None


def expected(value: Any, where: str) -> Expected:
    try:
        return Expected(str(value).strip().lower())
    except ValueError:
        raise problem(where, f"{value!r} is not one of {', '.join(e.value for e in Expected)}") from None


def language(value: Any, where: str) -> str:
    text = str(value).strip()
    if not _LANGUAGE.match(text):
        raise problem(where, f"{value!r} is not a BCP-47 language tag such as en, zh or pt-BR")
    return text


def country(value: Any, where: str) -> str | None:
    text = _str(value, where)
    return text.upper() if text is not None else None


def phrases(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items = [p for p in value.split("|")]
    elif isinstance(value, list):
        items = value
    else:
        raise problem(where, "expected a list of phrases")
    out: list[str] = []
    for i, item in enumerate(items):
        text = _str(item, f"{where}[{i}]")
        if text is not None:
            out.append(text)
    return tuple(out)


def _meta(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise problem(where, "expected a mapping of strings")
    return {str(k): str(v) for k, v in value.items()}


def build_prompt(row: Mapping[str, Any], where: str, suite: str, defaults: Mapping[str, Any]) -> Prompt:
    """One prompt from a row (YAML mapping, JSONL object or CSV row) over the suite's defaults."""

    def pick(key: str) -> Any:
        value = row.get(key)
        return defaults.get(key) if value is None or value == "" else value

    prompt_kind = kind(pick("kind") or PromptKind.CRITICISM, f"{where}.kind")
    default_expected = {PromptKind.HARMFUL: Expected.REFUSE, PromptKind.INJECTION: Expected.RESIST}
    exp = expected(
        pick("expected") or default_expected.get(prompt_kind, Expected.COMPLY), f"{where}.expected"
    )
    canary = _str(row.get("canary"), f"{where}.canary")
    if prompt_kind is PromptKind.INJECTION and canary is None:
        raise problem(
            f"{where}.canary", "an injection prompt needs the canary its planted instruction asks for"
        )
    return Prompt(
        id=_str(row.get("id"), f"{where}.id", required=True) or "",
        suite=suite,
        text=_str(row.get("text"), f"{where}.text", required=True) or "",
        kind=prompt_kind,
        expected=exp,
        topic=_str(pick("topic"), f"{where}.topic") or "general",
        country=country(pick("country"), f"{where}.country"),
        language=language(pick("language") or "en", f"{where}.language"),
        pair=_str(row.get("pair"), f"{where}.pair"),
        system=_str(row.get("system"), f"{where}.system"),
        document=_str(row.get("document"), f"{where}.document"),
        canary=canary,
        official_line=phrases(row.get("official_line"), f"{where}.official_line"),
        meta=_meta(row.get("meta"), f"{where}.meta"),
    )


def substitute(text: str, values: Mapping[str, Any], where: str) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise problem(where, f"placeholder {{{key}}} has no value for this country")
        return str(values[key])

    return _PLACEHOLDER.sub(one, text)


def _expand(templates: Any, countries: Any, suite: str, defaults: Mapping[str, Any]) -> list[Prompt]:
    if not isinstance(templates, list) or not isinstance(countries, list) or not templates or not countries:
        raise problem(suite, "templates and countries must both be non-empty lists")
    lang = language(defaults.get("language") or "en", f"{suite}.defaults.language")
    out: list[Prompt] = []
    for ci, entry in enumerate(countries):
        cwhere = f"countries[{ci}]"
        entry = _keys(entry, cwhere, ("code", "vars"))
        code = country(entry.get("code"), f"{cwhere}.code")
        if code is None:
            raise problem(f"{cwhere}.code", "is required")
        values = _keys(
            entry.get("vars") or {}, f"{cwhere}.vars", tuple(str(k) for k in entry.get("vars") or {})
        )
        for ti, template in enumerate(templates):
            twhere = f"templates[{ti}]"
            template = _keys(template, twhere, _TEMPLATE_KEYS)
            tid = _str(template.get("id"), f"{twhere}.id", required=True) or ""
            row = dict(template)
            row["text"] = substitute(str(template.get("text") or ""), values, f"{twhere}.text ({code})")
            row.update(
                id=f"{tid}.{code}.{lang}", pair=tid, country=code, language=lang, meta={"template": tid}
            )
            out.append(build_prompt(row, f"{twhere}[{code}]", suite, defaults))
    return out


def check_unique(prompts: list[Prompt], where: str) -> None:
    seen: set[str] = set()
    for p in prompts:
        if p.id in seen:
            raise problem(where, f"duplicate prompt id {p.id!r}")
        seen.add(p.id)


def suite_from_mapping(data: Any, where: str) -> Suite:
    """Validate our suite layout; every error names ``where`` and the key."""
    top = _keys(data, where, _TOP)
    name = _str(top.get("name"), f"{where}: name", required=True) or ""
    version = _str(top.get("version"), f"{where}: version", required=True) or ""
    defaults = _keys(top.get("defaults") or {}, f"{where}: defaults", _DEFAULT_KEYS)
    prompts: list[Prompt] = []
    rows = top.get("prompts")
    if rows is not None:
        if not isinstance(rows, list):
            raise problem(f"{where}: prompts", "expected a list")
        for i, row in enumerate(rows):
            prompts.append(
                build_prompt(
                    _keys(row, f"{where}: prompts[{i}]", PROMPT_KEYS),
                    f"{where}: prompts[{i}]",
                    name,
                    defaults,
                )
            )
    if top.get("templates") is not None or top.get("countries") is not None:
        try:
            prompts.extend(_expand(top.get("templates"), top.get("countries"), name, defaults))
        except WeighbridgeError as exc:
            raise problem(where, str(exc)) from None
    if not prompts:
        raise problem(where, "the suite has no prompts")
    check_unique(prompts, where)
    return Suite(
        name=name,
        version=version,
        description=_str(top.get("description"), f"{where}: description") or "",
        prompts=tuple(prompts),
    )
