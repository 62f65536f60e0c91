"""Chat templates that take attribute names from data (issue 12) and templates found by content (issue 11).

Generated variants, never rendered: every malicious template must reach high (critical when the file itself
supplies dunder names through its special tokens), through every container that carries one — a GGUF with
its vocabulary, a tokenizer_config.json, a chat_template.jinja beside one, a JSON or Jinja file of any name,
a member of an archive. The benign family shapes in ``chat_template_shapes`` stay below high everywhere.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import jinja2
import pytest
from tests.formats.chat_template_shapes import FAMILY_TOKENS, SHAPES
from tests.formats.gguf_writer import GGUFWriter

import weighbridge
from weighbridge.core.findings import Location, Severity
from weighbridge.formats.base import Limits, ScanContext
from weighbridge.formats.chat_template import check_template
from weighbridge.formats.gguf import ValueType

DUNDER_TOKENS = {"bos_token": "__init__", "eos_token": "__globals__", "unk_token": "os", "pad_token": "popen"}
PLAIN_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}
GLOBALS = ["cycler", "joiner", "lipsum", "namespace", "range", "dict", "messages", "tools"]

# templates whose attribute names come from data: (name, template); {g} is a template global
DATA_NAMED = {
    "token-chain-call": "{{ {g}[bos_token][eos_token][unk_token][pad_token]('id').read() }}",
    "token-chain": "{% for m in messages %}{{ {g}[bos_token][eos_token] }}{% endfor %}",
    "token-single": "{% set x = {g}[bos_token] %}{{ x }}",
    "loop-over-keys": "{% for k in messages[0] %}{{ {g}[k] }}{% endfor %}",
    "loop-walk-and-call": "{% set x = {g} %}{% for k in messages[0].content.split('.') %}{% set x = x[k] %}"
    "{% endfor %}{{ x('id') }}",
    "alias": "{% set c = {g} %}{{ c[eos_token] }}",
    "macro-indirection": "{% macro get(o, k) %}{{ o[k] }}{% endmacro %}{{ get({g}, bos_token) }}",
    "message-keys": "{{ {g}[messages[0].role][messages[0].content] }}",
    "ns-key": "{% set ns = namespace(k=bos_token) %}{{ {g}[ns.k] }}",
    "concat-key": "{{ {g}[bos_token ~ ''] }}",
}
FILTER_NAMED = {
    "map-attr": "{{ messages|map('attr', {n})|list }}",
    "map-attribute": "{{ messages|map(attribute={n})|list }}",
    "selectattr": "{{ messages|selectattr({n})|list }}",
    "rejectattr": "{{ messages|rejectattr({n})|list }}",
    "groupby": "{{ messages|groupby({n})|list }}",
    "sort": "{{ messages|sort(attribute={n}) }}",
    "sum": "{{ messages|sum(attribute={n}) }}",
    "unique": "{{ messages|unique(attribute={n})|list }}",
    "max": "{{ messages|max(attribute={n}) }}",
    "attr": "{{ messages|attr({n}) }}",
    "map-call": "{{ (messages|map(attribute={n})|first)('id') }}",
}
NAME_SOURCES = {"token": "bos_token", "message": "messages[0].content", "loop": "k"}


def check(template: str, variables: dict[str, str] | None = None) -> ScanContext:
    ctx = ScanContext(path="tokenizer_config.json", limits=Limits(), nested=lambda c, s, n, z: "recorded")
    check_template(ctx, template, location=Location(key="chat_template"), variables=variables)
    return ctx


def worst(ctx: ScanContext) -> Severity | None:
    return ctx.max_severity()


@pytest.fixture(autouse=True)
def _never_render(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a chat template was compiled or rendered")

    monkeypatch.setattr(jinja2.Environment, "compile", refuse)
    monkeypatch.setattr(jinja2.Template, "render", refuse)


# -- the walker -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", sorted(DATA_NAMED))
@pytest.mark.parametrize("glob", GLOBALS)
def test_data_named_lookup_on_a_global_is_high(shape: str, glob: str) -> None:
    template = DATA_NAMED[shape].replace("{g}", glob)
    ctx = check(template)
    assert (worst(ctx) or Severity.INFO) >= Severity.HIGH, [(f.rule, f.detail) for f in ctx.findings]
    assert {f.rule for f in ctx.findings} & {"WB-TPL-010", "WB-TPL-011", "WB-TPL-002", "WB-TPL-001"}


@pytest.mark.parametrize(
    "shape",
    ["token-chain-call", "token-chain", "token-single", "alias", "macro-indirection", "ns-key", "concat-key"],
)
@pytest.mark.parametrize("glob", GLOBALS)
def test_dunder_special_tokens_make_it_critical(shape: str, glob: str) -> None:
    ctx = check(DATA_NAMED[shape].replace("{g}", glob), DUNDER_TOKENS)
    assert worst(ctx) == Severity.CRITICAL, [(f.rule, f.detail) for f in ctx.findings]
    assert any("__init__" in f.detail or "__globals__" in f.detail for f in ctx.findings)


@pytest.mark.parametrize("shape", sorted(FILTER_NAMED))
@pytest.mark.parametrize("source", sorted(NAME_SOURCES))
def test_attribute_filters_with_data_names_are_high(shape: str, source: str) -> None:
    template = FILTER_NAMED[shape].replace("{n}", NAME_SOURCES[source])
    if source == "loop":
        template = "{% for k in messages[0] %}" + template + "{% endfor %}"
    ctx = check(template, PLAIN_TOKENS)
    assert (worst(ctx) or Severity.INFO) >= Severity.HIGH, [(f.rule, f.detail) for f in ctx.findings]
    if shape == "map-call":
        assert "WB-TPL-011" in {f.rule for f in ctx.findings}


@pytest.mark.parametrize("shape", sorted(FILTER_NAMED))
@pytest.mark.parametrize("dunder", ["'__class__'", "'__init__.__globals__'", "'__subclasses__'"])
def test_attribute_filters_with_literal_dunders_are_critical(shape: str, dunder: str) -> None:
    ctx = check(FILTER_NAMED[shape].replace("{n}", dunder))
    assert worst(ctx) == Severity.CRITICAL, [(f.rule, f.detail) for f in ctx.findings]


@pytest.mark.parametrize("shape", sorted(FILTER_NAMED))
def test_attribute_filters_with_dunder_tokens_are_critical(shape: str) -> None:
    ctx = check(FILTER_NAMED[shape].replace("{n}", "bos_token"), DUNDER_TOKENS)
    assert worst(ctx) == Severity.CRITICAL, [(f.rule, f.detail) for f in ctx.findings]


def test_filter_chosen_by_a_token_is_resolved() -> None:
    # map(bos_token, eos_token) is map('attr', '__class__') when the tokens say so
    ctx = check(
        "{{ messages|map(bos_token, eos_token)|list }}", {"bos_token": "attr", "eos_token": "__class__"}
    )
    assert worst(ctx) == Severity.CRITICAL
    assert worst(check("{{ messages|map(bos_token, eos_token)|list }}")) == Severity.HIGH


def test_calls_on_data_named_lookups() -> None:
    assert (
        worst(check("{% for t in tools %}{% for n in t %}{{ t[n].read() }}{% endfor %}{% endfor %}"))
        == Severity.HIGH
    )
    assert (
        worst(check("{% for t in tools %}{% for n in t %}{{ t[n]('id') }}{% endfor %}{% endfor %}"))
        == Severity.HIGH
    )
    assert (
        check("{% for t in tools %}{% for n in t %}{{ t[n].strip() }}{% endfor %}{% endfor %}").findings == []
    )


def test_loop_over_constant_dunder_names_is_critical() -> None:
    for template in (
        "{% for n in ['__init__', '__globals__'] %}{{ cycler[n] }}{% endfor %}",
        "{% for n in {'__class__': 1} %}{{ messages[n] }}{% endfor %}",
    ):
        assert worst(check(template)) == Severity.CRITICAL, template


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_family_shapes_stay_clean(name: str) -> None:
    for tokens in (FAMILY_TOKENS[name], {}, PLAIN_TOKENS):
        ctx = check(SHAPES[name], tokens)
        assert ctx.findings == [], [(f.rule, f.detail) for f in ctx.findings]


def test_numeric_and_local_keys_stay_clean() -> None:
    template = (
        "{% for m in messages %}{{ messages[loop.index0 - 1].role }}{{ messages[loop.index0 + 1] }}"
        "{{ messages[(messages|length - 1) - loop.index0] }}{% set i = loop.index %}{{ messages[i] }}"
        "{% for key in m %}{{ m[key] }}{% endfor %}{% endfor %}"
        "{% set table = {'a': 1} %}{% for t in tools %}{{ table[t.type] }}"
        "{{ t.parameters.properties[t.name] }}{% endfor %}"
        "{% for i in range(3) %}{{ messages[i] }}{% endfor %}"
        "{% for t in tools %}{% for n in t.parameters.properties %}"
        "{{ t.parameters.properties[n].description.strip().split('.')[0] }}{% endfor %}{% endfor %}"
    )
    assert check(template, PLAIN_TOKENS).findings == []


# -- containers -----------------------------------------------------------------------------------------------


def _gguf(template: str, tokens: list[str], *, template_first: bool = False) -> bytes:
    w = GGUFWriter()
    w.string("general.architecture", "llama")
    if template_first:  # the template is read before the vocabulary and the ids it needs
        w.string("tokenizer.chat_template", template)
    w.array("tokenizer.ggml.tokens", ValueType.STRING, tokens)
    w.u32("tokenizer.ggml.bos_token_id", 1)
    w.u32("tokenizer.ggml.eos_token_id", 2)
    w.u32("tokenizer.ggml.unknown_token_id", 3)
    w.u32("tokenizer.ggml.padding_token_id", 4)
    if not template_first:
        w.string("tokenizer.chat_template", template)
    w.tensor("tok.weight", [8, 2], 0)
    return w.build()


def _scan(path: Path) -> Severity | None:
    return weighbridge.scan(str(path)).max_severity


ATTACK = DATA_NAMED["token-chain-call"].replace("{g}", "cycler")
VOCAB_DUNDER = ["<pad0>", "__init__", "__globals__", "os", "popen", "hello", "world"]
VOCAB_PLAIN = ["<unk>", "<s>", "</s>", "<unk2>", "<pad>", "hello", "world"]


@pytest.mark.parametrize("template_first", [True, False])
def test_gguf_special_tokens_are_resolved(tmp_path: Path, template_first: bool) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(_gguf(ATTACK, VOCAB_DUNDER, template_first=template_first))
    report = weighbridge.scan(str(path))
    assert report.max_severity == Severity.CRITICAL
    assert any("__globals__" in f.detail for f in report.findings)
    path.write_bytes(_gguf(ATTACK, VOCAB_PLAIN, template_first=template_first))
    report = weighbridge.scan(str(path))
    assert (report.max_severity or Severity.INFO) >= Severity.HIGH
    assert not any("__globals__" in f.detail for f in report.findings)
    for name in ("qwen3-thinking", "mistral-tools", "gpt-oss-harmony"):
        path.write_bytes(_gguf(SHAPES[name], VOCAB_DUNDER, template_first=template_first))
        assert (_scan(path) or Severity.INFO) < Severity.HIGH, name


def test_tokenizer_config_and_folder_tokens(tmp_path: Path) -> None:
    cfg = {
        "bos_token": {"content": "__init__", "special": True},
        "eos_token": "__globals__",
        "unk_token": "os",
        "pad_token": "popen",
        "chat_template": ATTACK,
    }
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "tokenizer_config.json").write_text(json.dumps(cfg))
    assert _scan(tmp_path / "a") == Severity.CRITICAL
    # the template in chat_template.jinja, the tokens in the folder's tokenizer_config.json
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "tokenizer_config.json").write_text(
        json.dumps({k: v for k, v in cfg.items() if k != "chat_template"})
    )
    (tmp_path / "b" / "chat_template.jinja").write_text(ATTACK)
    assert _scan(tmp_path / "b") == Severity.CRITICAL
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "special_tokens_map.json").write_text(json.dumps(DUNDER_TOKENS))
    (tmp_path / "c" / "chat_template.json").write_text(json.dumps({"chat_template": ATTACK}))
    assert _scan(tmp_path / "c") == Severity.CRITICAL


# -- issue 11: templates found by content, whatever the file is called ----------------------------------------
EVIL = [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{% for m in messages %}{{ m|attr('__class__') }}{% endfor %}",
    ATTACK,
    "{{ messages|map('attr', bos_token)|list }}",
    "{% set x = lipsum %}{% for k in messages[0] %}{% set x = x[k] %}{% endfor %}{{ x('id') }}",
]


def _json_variants(template: str) -> dict[str, bytes]:
    return {
        "config.json": json.dumps({"chat_template": template}).encode(),
        "my_model_settings.json": json.dumps(
            {
                "model_type": "x",
                "chat_template": [
                    {"name": "default", "template": "{{ messages }}"},
                    {"name": "tool_use", "template": template},
                ],
            }
        ).encode(),
        "prompt": json.dumps({"chat_template": {"default": template}}, indent=2).encode(),  # no extension
        "serving.json": json.dumps({"engine": {"tokenizer": {"chat_template": template}}}).encode(),
        "padded.json": json.dumps(
            {
                "added_tokens_decoder": {str(i): {"content": f"<t{i}>"} for i in range(3000)},
                "chat_template": template,
            }
        ).encode(),
    }


def _jinja_variants(template: str) -> dict[str, bytes]:
    body = "{% set greeting = 'hi' %}\n" + template
    return {
        "template.jinja": template.encode(),
        "chat.j2": template.encode(),
        "model.template": template.encode(),
        "prompt.tmpl": template.encode(),
        "notes.txt": body.encode(),
        "chat": body.encode(),
        "llama.jinja2": template.encode(),
    }


@pytest.mark.parametrize("index", range(len(EVIL)))
def test_json_of_any_name_is_checked(tmp_path: Path, index: int) -> None:
    for name, data in _json_variants(EVIL[index]).items():
        path = tmp_path / name
        path.write_bytes(data)
        assert (_scan(path) or Severity.INFO) >= Severity.HIGH, name


@pytest.mark.parametrize("index", range(len(EVIL)))
def test_jinja_files_are_checked(tmp_path: Path, index: int) -> None:
    for name, data in _jinja_variants(EVIL[index]).items():
        path = tmp_path / name
        path.write_bytes(data)
        assert (_scan(path) or Severity.INFO) >= Severity.HIGH, name


def test_templates_inside_archives_are_checked(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bundle/settings.json", json.dumps({"chat_template": EVIL[0]}))
        z.writestr("bundle/tokenizer_config.json", json.dumps({"chat_template": EVIL[1]}))
        z.writestr("bundle/prompt.j2", EVIL[2])
    path = tmp_path / "bundle.zip"
    path.write_bytes(buf.getvalue())
    report = weighbridge.scan(str(path))
    members = {f.location.member for f in report.findings if f.location and f.severity >= Severity.HIGH}
    assert {"bundle/settings.json", "bundle/tokenizer_config.json", "bundle/prompt.j2"} <= members


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_benign_templates_by_content_stay_below_high(tmp_path: Path, name: str) -> None:
    template = SHAPES[name]
    files = {**_json_variants(template), **_jinja_variants(template)}
    for fname, data in files.items():
        path = tmp_path / fname
        path.write_bytes(data)
        report = weighbridge.scan(str(path))
        assert (report.max_severity or Severity.INFO) < Severity.HIGH, (
            fname,
            [(f.rule, f.detail) for f in report.findings],
        )
        assert any("chat-template" in r.formats for r in report.files), fname


def test_plain_text_and_docs_are_not_templates(tmp_path: Path) -> None:
    samples = {
        "README.md": "# Model\n\nPrompt format:\n\n```jinja\n{% for m in messages %}{{ m.content }}{% endfor %}\n```\n",
        "notes.txt": "Set x = {1, 2} and {{ not a template",
        "data.json": json.dumps({"text": "{% if %} broken", "chat": "no template key"}),
        "broken.json": '{"chat_template": "{{ x.__class__ }}", ',
    }
    for name, text in samples.items():
        path = tmp_path / name
        path.write_text(text)
        report = weighbridge.scan(str(path))
        assert (report.max_severity or Severity.INFO) < Severity.HIGH, (
            name,
            [(f.rule, f.detail) for f in report.findings],
        )


def test_unparsable_jinja_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "chat.j2"
    path.write_text("{% for m in messages %}{{ m.__class__ }")
    report = weighbridge.scan(str(path))
    assert {f.rule for f in report.findings} == {"WB-TPL-008"}
    assert report.max_severity == Severity.HIGH  # a parse failure with a dunder in it


def test_large_and_compressed_text(tmp_path: Path) -> None:
    import gzip

    from weighbridge.formats.template_files import MAX_KEPT_BYTES

    big = tmp_path / "settings.json"
    big.write_text(json.dumps({"pad": "x" * (MAX_KEPT_BYTES + 10), "chat_template": "{{ messages }}"}))
    report = weighbridge.scan(str(big))
    assert [(f.rule, f.severity) for f in report.findings] == [("WB-TPL-009", Severity.HIGH)]
    plain = tmp_path / "vocab.txt"
    plain.write_text("token\n" * (MAX_KEPT_BYTES // 6 + 10))
    assert weighbridge.scan(str(plain)).findings == []
    packed = tmp_path / "settings.json.gz"
    packed.write_bytes(gzip.compress(json.dumps({"chat_template": EVIL[0]}).encode()))
    assert weighbridge.scan(str(packed)).max_severity == Severity.CRITICAL
