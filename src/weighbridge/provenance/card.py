"""Read a model card (README.md): the YAML front matter with ``yaml.safe_load`` and the body's outline.

Bounded: at most ``MAX_CARD_BYTES`` of the file and ``MAX_FRONT_MATTER_BYTES`` of YAML are read, lists are cut
at ``MAX_ITEMS``. Nothing raises for bad input: unreadable, malformed or oddly typed metadata becomes a
``MetadataProblem`` and the field is left empty. Every front-matter key keeps the line it was written on.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..core.types import CardSection, EvalResult, MetadataProblem, ModelCard, Snapshot, SnapshotFile
from .names import repo_id, shorten

MAX_CARD_BYTES = 4 * 1024 * 1024
MAX_FRONT_MATTER_BYTES = 512 * 1024
MAX_ITEMS = 2_000  # list items kept per field, eval results, sections, links
MAX_YAML_EVENTS = 200_000
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
    r"model(?:_id|_name)?\s*=)\s*\(?[^'\"\n]{0,40}['\"]([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)['\"]")


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
        problem = MetadataProblem(file.rel, f"model card could not be read: {exc.strerror or type(exc).__name__}")
        return ModelCard(file=file.rel, problems=(problem,))
    return parse_card(raw, file.rel)


def parse_card(raw: bytes, rel: str) -> ModelCard:
    problems: list[MetadataProblem] = []
    if len(raw) > MAX_CARD_BYTES:
        raw = raw[:MAX_CARD_BYTES]
        problems.append(MetadataProblem(rel, f"model card is larger than {MAX_CARD_BYTES} bytes; only the start "
                                        "was read"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(MetadataProblem(rel, f"model card is not UTF-8 ({exc.reason} at byte {exc.start}); "
                                        "undecodable bytes were replaced"))
        text = raw.decode("utf-8", "replace")
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fields: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    body_index = 0
    has_front_matter = False
    if lines and lines[0].rstrip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
        if end is None:
            problems.append(MetadataProblem(rel, "YAML front matter is opened with '---' but never closed; "
                                            "its fields were not read", line=1))
        else:
            has_front_matter = True
            body_index = end + 1
            fields, key_lines = _front_matter("\n".join(lines[1:end]), rel, problems)
    body_lines = lines[body_index:]
    reader = _Fields(fields, key_lines, rel, problems)
    outline = _outline(body_lines, body_index + 1)
    return ModelCard(
        file=rel,
        has_front_matter=has_front_matter,
        license=reader.joined("license"),
        license_name=reader.text("license_name"),
        license_link=reader.text("license_link"),
        base_model=reader.texts("base_model"),
        base_model_relation=reader.relation(),
        datasets=reader.texts("datasets"),
        language=reader.texts("language"),
        library_name=reader.text("library_name"),
        pipeline_tag=reader.text("pipeline_tag"),
        tags=reader.texts("tags"),
        model_name=reader.text("model_name"),
        model_creator=reader.text("model_creator"),
        quantized_by=reader.text("quantized_by"),
        eval_results=reader.eval_results(),
        headline=outline.headline,
        headline_line=outline.headline_line,
        sections=tuple(outline.sections),
        links=tuple(outline.links),
        repo_mentions=tuple(outline.repos),
        key_lines=key_lines,
        body="\n".join(body_lines),
        body_line=body_index + 1,
        problems=tuple(problems),
    )


def _front_matter(source: str, rel: str, problems: list[MetadataProblem]) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse the YAML between the ``---`` lines (which starts on line 2 of the file) with the safe loader."""
    if len(source.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        problems.append(MetadataProblem(rel, f"YAML front matter is larger than {MAX_FRONT_MATTER_BYTES} bytes; "
                                        "not read", line=2))
        return {}, {}
    try:
        if _too_many_events(source):
            problems.append(MetadataProblem(rel, "YAML front matter has too many elements or aliases; not read",
                                            line=2))
            return {}, {}
        node, data = _compose_and_construct(source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark is not None else 2
        problems.append(MetadataProblem(rel, f"YAML front matter is malformed: {exc.problem or exc.context}",
                                        line=line))
        return {}, {}
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        problems.append(MetadataProblem(rel, f"YAML front matter cannot be read: {shorten(str(exc), 200)}",
                                        line=2))
        return {}, {}
    if data is None:
        return {}, {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        problems.append(MetadataProblem(rel, f"YAML front matter is a {type(data).__name__}, not a mapping of "
                                        "fields", line=2))
        return {}, {}
    return {str(k): v for k, v in data.items()}, _key_lines(node)


def _compose_and_construct(source: str) -> tuple[yaml.Node | None, object]:
    """One pass of the safe loader that keeps the node tree (for line numbers) and the plain values."""
    loader = yaml.SafeLoader(source)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _too_many_events(source: str) -> bool:
    aliases = 0
    for count, event in enumerate(yaml.parse(source, Loader=yaml.SafeLoader)):
        if count > MAX_YAML_EVENTS:
            return True
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > 100:
                return True
    return False


def _key_lines(node: yaml.MappingNode) -> dict[str, int]:
    out: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        key = str(key_node.value)
        out.setdefault(key, key_node.start_mark.line + 2)
        if isinstance(value_node, yaml.SequenceNode):
            for i, item in enumerate(value_node.value[:MAX_ITEMS]):
                out.setdefault(f"{key}[{i}]", item.start_mark.line + 2)
    return out


@dataclass(slots=True)
class _Fields:
    """Typed access to front-matter fields; a value of the wrong shape is a problem, not an exception."""

    data: dict[str, Any]
    lines: dict[str, int]
    rel: str
    problems: list[MetadataProblem]

    def _problem(self, key: str, message: str) -> None:
        self.problems.append(MetadataProblem(self.rel, message, key=key, line=self.lines.get(key)))

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        scalar = _scalar(value)
        if scalar is None:
            self._problem(key, f"card field {key!r} should be text, found a {type(value).__name__}")
            return None
        return scalar or None

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        out: list[str] = []
        for i, item in enumerate(items[:MAX_ITEMS]):
            scalar = _scalar(item)
            if scalar is None:
                self._problem(key, f"item {i} of card field {key!r} should be text, found a "
                              f"{type(item).__name__}")
            elif scalar:
                out.append(scalar)
        if len(items) > MAX_ITEMS:
            self._problem(key, f"card field {key!r} lists {len(items)} items; only {MAX_ITEMS} were read")
        return tuple(out)

    def joined(self, key: str) -> str | None:
        values = self.texts(key)
        return ",".join(values) if values else None

    def relation(self) -> str | None:
        value = self.text("base_model_relation")
        if value is not None and value.lower() not in RELATIONS:
            self._problem("base_model_relation", f"base_model_relation {value!r} is not one of "
                          f"{', '.join(RELATIONS)}")
            return value
        return value.lower() if value else None

    def eval_results(self) -> tuple[EvalResult, ...]:
        value = self.data.get("model-index")
        if value is None:
            return ()
        if not isinstance(value, list):
            self._problem("model-index", "card field 'model-index' should be a list of models")
            return ()
        out: list[EvalResult] = []
        for entry in _dicts(value):
            for result in _dicts(entry.get("results")):
                task = _name_or_type(result.get("task"))
                dataset = _name_or_type(result.get("dataset"))
                for metric in _dicts(result.get("metrics")):
                    if len(out) >= MAX_ITEMS:
                        return tuple(out)
                    out.append(EvalResult(task, dataset, _name_or_type(metric), _scalar(metric.get("value"))))
        if not out:
            self._problem("model-index", "card field 'model-index' holds no readable results")
        return tuple(out)


def _scalar(value: object) -> str | None:
    """Text of a YAML scalar (strings, numbers, booleans, dates); None for lists, mappings and the like."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | int | float | datetime.date):
        return str(value)
    return None


def _dicts(value: object) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for item in value[:MAX_ITEMS]:
            if isinstance(item, dict):
                yield item


def _name_or_type(value: object) -> str | None:
    if isinstance(value, dict):
        return _scalar(value.get("name")) or _scalar(value.get("type"))
    return _scalar(value)


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


def _mark(out: _Outline, open_sections: list[int], *, code: bool = False, table: bool = False,
          link: bool = False) -> None:
    for index in open_sections:
        section = out.sections[index]
        out.sections[index] = CardSection(section.title, section.level, section.line,
                                          has_code=section.has_code or code, has_table=section.has_table or table,
                                          has_link=section.has_link or link)


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
