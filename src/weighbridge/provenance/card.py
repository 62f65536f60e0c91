"""Read a model card (README.md): its front matter (``metadata.card``, the safe loader) and the body's outline.

Bounded: at most ``MAX_CARD_BYTES`` of the file is read; fields, eval results, sections and links are cut at
``MAX_ITEMS``. Nothing raises for bad input: unreadable, malformed or oddly typed metadata becomes a
``MetadataProblem`` and the field is left empty. Every front-matter key keeps the line it was written on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core.provenance import CardSection, EvalResult, MetadataProblem, ModelCard
from ..core.report import Snapshot, SnapshotFile
from ..metadata.card import MAX_CARD_BYTES, MAX_ITEMS, FrontMatter, read_front_matter, scalar
from .names import repo_id

CARD_NAMES = ("README.md", "readme.md", "README.MD", "Readme.md", "README.markdown")
RELATIONS = ("adapter", "merge", "quantized", "finetune")

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_HTML_HEADING = re.compile(r"<h([1-6])[^>]*>(.*?)</h\1>", re.IGNORECASE)
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_URL = re.compile(r"https?://[^\s<>\"'`)\]]+")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_CODE_REPO = re.compile(
    r"(?:from_pretrained|SentenceTransformer|CrossEncoder|pipeline|hf_hub_download|snapshot_download|"
    r"model(?:_id|_name)?\s*=)\s*\(?[^'\"\n]{0,40}['\"]([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)['\"]"
)


def find_card(snapshot: Snapshot) -> SnapshotFile | None:
    """The model card at the root of the snapshot, if any."""
    by_name = {f.rel: f for f in snapshot.files if "/" not in f.rel}
    for name in CARD_NAMES:
        if name in by_name:
            return by_name[name]
    return next((f for rel, f in sorted(by_name.items()) if rel.lower() == "readme.md"), None)


def read_card(file: SnapshotFile) -> ModelCard:
    try:
        with open(file.abspath, "rb") as fh:
            raw = fh.read(MAX_CARD_BYTES + 1)
    except OSError as exc:
        problem = MetadataProblem(
            file.rel, f"model card could not be read: {exc.strerror or type(exc).__name__}"
        )
        return ModelCard(file=file.rel, problems=(problem,))
    return parse_card(raw, file.rel)


def parse_card(raw: bytes, rel: str) -> ModelCard:
    front = read_front_matter(raw, rel)
    body_lines = front.card_lines[front.body_index :]
    outline = _outline(body_lines, front.body_index + 1)
    license_ids = front.texts("license")
    return ModelCard(
        file=rel,
        has_front_matter=front.present,
        license=",".join(license_ids) if license_ids else None,
        license_name=front.text("license_name"),
        license_link=front.text("license_link"),
        base_model=front.texts("base_model"),
        base_model_relation=_relation(front),
        datasets=front.texts("datasets"),
        language=front.texts("language"),
        library_name=front.text("library_name"),
        pipeline_tag=front.text("pipeline_tag"),
        tags=front.texts("tags"),
        model_name=front.text("model_name"),
        model_creator=front.text("model_creator"),
        quantized_by=front.text("quantized_by"),
        eval_results=_eval_results(front),
        headline=outline.headline,
        headline_line=outline.headline_line,
        sections=tuple(outline.sections),
        links=tuple(outline.links),
        repo_mentions=tuple(outline.repos),
        key_lines=front.key_lines,
        body="\n".join(body_lines),
        body_line=front.body_index + 1,
        problems=tuple(front.problems),
    )


def _relation(front: FrontMatter) -> str | None:
    value = front.text("base_model_relation")
    if value is not None and value.lower() not in RELATIONS:
        front.problem(
            "base_model_relation", f"base_model_relation {value!r} is not one of {', '.join(RELATIONS)}"
        )
        return value
    return value.lower() if value else None


def _eval_results(front: FrontMatter) -> tuple[EvalResult, ...]:
    value = front.data.get("model-index")
    if value is None:
        return ()
    if not isinstance(value, list):
        front.problem("model-index", "card field 'model-index' should be a list of models")
        return ()
    out: list[EvalResult] = []
    for entry in _dicts(value):
        for result in _dicts(entry.get("results")):
            task = _name_or_type(result.get("task"))
            dataset = _name_or_type(result.get("dataset"))
            for metric in _dicts(result.get("metrics")):
                if len(out) >= MAX_ITEMS:
                    return tuple(out)
                out.append(EvalResult(task, dataset, _name_or_type(metric), scalar(metric.get("value"))))
    if not out:
        front.problem("model-index", "card field 'model-index' holds no readable results")
    return tuple(out)


def _dicts(value: object) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for item in value[:MAX_ITEMS]:
            if isinstance(item, dict):
                yield item


def _name_or_type(value: object) -> str | None:
    if isinstance(value, dict):
        return scalar(value.get("name")) or scalar(value.get("type"))
    return scalar(value)


@dataclass(slots=True)
class _Outline:
    headline: str | None = None
    headline_line: int | None = None
    sections: list[CardSection] = field(default_factory=list)
    links: list[tuple[str, int]] = field(default_factory=list)
    repos: list[tuple[str, int]] = field(default_factory=list)


def _outline(lines: Sequence[str], first_line: int) -> _Outline:
    """Headings (with whether code or a table follows them), links and Hub repo ids named in the body."""
    out = _Outline()
    open_sections: list[int] = []  # indexes into out.sections, outermost first
    fence: str | None = None
    for offset, line in enumerate(lines):
        number = first_line + offset
        fence_mark = _FENCE.match(line)
        if fence is not None:
            if fence_mark is not None and fence_mark.group(1) == fence:
                fence = None
            _mentions(line, number, out, in_code=True)
            continue
        if fence_mark is not None:
            fence = fence_mark.group(1)
            _mark(out, open_sections, code=True)
            continue
        heading = _heading(line)
        if heading is not None and len(out.sections) < MAX_ITEMS:
            level, title = heading
            while open_sections and out.sections[open_sections[-1]].level >= level:
                open_sections.pop()
            out.sections.append(CardSection(title=title, level=level, line=number))
            open_sections.append(len(out.sections) - 1)
        elif _TABLE_ROW.match(line):
            _mark(out, open_sections, table=True)
        if _mentions(line, number, out, in_code=False):
            _mark(out, open_sections, link=True)
    top = next((s for s in out.sections if s.level == 1), out.sections[0] if out.sections else None)
    if top is not None:
        out.headline, out.headline_line = top.title, top.line
    return out


def _heading(line: str) -> tuple[int, str] | None:
    match = _HEADING.match(line)
    if match is not None:
        level, title = len(match.group(1)), match.group(2)
    else:
        html = _HTML_HEADING.search(line)
        if html is None:
            return None
        level, title = int(html.group(1)), html.group(2)
    clean = " ".join(_TAG.sub("", _MD_LINK.sub(r"\1", title)).replace("**", "").replace("`", "").split())
    return (level, clean) if clean else None


def _mark(
    out: _Outline, open_sections: list[int], *, code: bool = False, table: bool = False, link: bool = False
) -> None:
    for index in open_sections:
        section = out.sections[index]
        out.sections[index] = CardSection(
            section.title,
            section.level,
            section.line,
            has_code=section.has_code or code,
            has_table=section.has_table or table,
            has_link=section.has_link or link,
        )


def _mentions(line: str, number: int, out: _Outline, *, in_code: bool) -> bool:
    """Record the links and Hub repo ids on a line; True when it has a link."""
    urls = _URL.findall(line)
    for url in urls:
        if len(out.links) < MAX_ITEMS:
            out.links.append((url.rstrip(".,;:"), number))
        repo = repo_id(url.rstrip(".,;:"))
        if repo is not None and len(out.repos) < MAX_ITEMS:
            out.repos.append((repo, number))
    if in_code or "(" in line:
        for match in _CODE_REPO.finditer(line):
            repo = repo_id(match.group(1))
            if repo is not None and len(out.repos) < MAX_ITEMS:
                out.repos.append((repo, number))
    return bool(urls)
