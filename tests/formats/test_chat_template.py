"""Chat-template checks: realistic templates stay clean, template-injection payloads are caught, never rendered."""

from __future__ import annotations

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weighbridge.core.findings import Finding, Location, Severity
from weighbridge.formats.base import Limits, ScanContext
from weighbridge.formats.chat_template import (
    MAX_REPORTED,
    MAX_TEMPLATE_CHARS,
    check_template,
    is_unsafe_attribute,
)

# Templates in the style of popular model families, written for these tests.
CHATML_TOOLS = """{%- if tools %}
{{- '<|im_start|>system\\n' }}
{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] + '\\n\\n' }}{%- endif %}
{{- "You may call functions. Their signatures:\\n<tools>" }}
{%- for tool in tools %}{{- "\\n" }}{{- tool | tojson }}{%- endfor %}
{{- "\\n</tools><|im_end|>\\n" }}
{%- elif messages[0].role == 'system' %}
{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
{%- endif %}
{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
  {%- set index = (messages|length - 1) - loop.index0 %}
  {%- if ns.multi_step_tool and message.role == "user" and not message.content.startswith('<tool_response>') %}
    {%- set ns.multi_step_tool = false %}{%- set ns.last_query_index = index %}
  {%- endif %}
{%- endfor %}
{%- for message in messages %}
  {%- if message.content is string %}{%- set content = message.content %}{%- else %}{%- set content = '' %}{%- endif %}
  {%- if message.role == "user" or (message.role == "system" and not loop.first) %}
    {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}
  {%- elif message.role == "assistant" %}
    {%- if '</think>' in content %}
      {%- set reasoning = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}
      {%- set content = content.split('</think>')[-1].lstrip('\\n') %}
    {%- endif %}
    {{- '<|im_start|>' + message.role + '\\n' + content }}
    {%- if message.tool_calls %}
      {%- for tool_call in message.tool_calls %}
        {%- if tool_call.function %}{%- set tool_call = tool_call.function %}{%- endif %}
        {{- '\\n<tool_call>\\n{"name": "' }}{{- tool_call.name }}{{- '", "arguments": ' }}
        {%- if tool_call.arguments is string %}{{- tool_call.arguments }}{%- else %}{{- tool_call.arguments | tojson }}{%- endif %}
        {{- '}\\n</tool_call>' }}
      {%- endfor %}
    {%- endif %}
    {{- '<|im_end|>\\n' }}
  {%- elif message.role == "tool" %}
    {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}{{- '<|im_start|>user' }}{%- endif %}
    {{- '\\n<tool_response>\\n' + content + '\\n</tool_response>' }}
    {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}{{- '<|im_end|>\\n' }}{%- endif %}
  {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"""

LLAMA3_TOOLS = """{{- bos_token }}
{%- if custom_tools is defined %}{%- set tools = custom_tools %}{%- endif %}
{%- if not tools_in_user_message is defined %}{%- set tools_in_user_message = true %}{%- endif %}
{%- if not date_string is defined %}
  {%- if strftime_now is defined %}{%- set date_string = strftime_now("%d %b %Y") %}
  {%- else %}{%- set date_string = "26 Jul 2024" %}{%- endif %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
  {%- set system_message = messages[0]['content']|trim %}{%- set messages = messages[1:] %}
{%- else %}{%- set system_message = "" %}{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{%- if builtin_tools is defined or tools is not none %}{{- "Environment: ipython\\n" }}{%- endif %}
{%- if builtin_tools is defined %}{{- "Tools: " + builtin_tools | reject('equalto', 'code_interpreter') | join(", ") + "\\n\\n" }}{%- endif %}
{{- "Cutting Knowledge Date: December 2023\\n" }}{{- "Today Date: " + date_string + "\\n\\n" }}
{{- system_message }}{{- "<|eot_id|>" }}
{%- for message in messages %}
  {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}
  {%- elif 'tool_calls' in message %}
    {%- if not message.tool_calls|length == 1 %}{{- raise_exception("Only single tool calls are supported.") }}{%- endif %}
    {%- set tool_call = message.tool_calls[0].function %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
    {{- '{"name": "' + tool_call.name + '", "parameters": ' }}{{- tool_call.arguments | tojson }}{{- "}" }}
    {{- "<|eot_id|>" }}
  {%- elif message.role == "tool" or message.role == "ipython" %}
    {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}
    {%- if message.content is mapping or message.content is iterable %}{{- message.content | tojson }}
    {%- else %}{{- message.content }}{%- endif %}
    {{- "<|eot_id|>" }}
  {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"""

MISTRAL = """{%- if messages[0]['role'] == 'system' %}
  {%- set system_message = messages[0]['content'] %}{%- set loop_messages = messages[1:] %}
{%- else %}{%- set loop_messages = messages %}{%- endif %}
{{- bos_token }}
{%- for message in loop_messages %}
  {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
    {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}
  {%- endif %}
  {%- if message['role'] == 'user' %}
    {%- if loop.first and system_message is defined %}{{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}
    {%- else %}{{- ' [INST] ' + message['content'] + ' [/INST]' }}{%- endif %}
  {%- elif message['role'] == 'assistant' %}{{- ' ' + message['content'] + eos_token }}
  {%- else %}{{- raise_exception('Only user and assistant roles are supported, with an optional system first.') }}
  {%- endif %}
{%- endfor %}"""

GEMMA = """{{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
  {%- if messages[0]['content'] is string -%}{%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}
  {%- else -%}{%- set first_user_prefix = messages[0]['content'][0]['text'] + '\\n\\n' -%}{%- endif -%}
  {%- set loop_messages = messages[1:] -%}
{%- else -%}{%- set first_user_prefix = "" -%}{%- set loop_messages = messages -%}{%- endif -%}
{%- for message in loop_messages -%}
  {%- if (message['role'] == 'assistant') -%}{%- set role = "model" -%}{%- else -%}{%- set role = message['role'] -%}{%- endif -%}
  {{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else "") }}
  {%- if message['content'] is string -%}{{ message['content'] | trim }}
  {%- elif message['content'] is iterable -%}
    {%- for item in message['content'] -%}
      {%- if item['type'] == 'image' -%}{{ '<start_of_image>' }}
      {%- elif item['type'] == 'text' -%}{{ item['text'] | trim }}{%- endif -%}
    {%- endfor -%}
  {%- else -%}{{ raise_exception("Invalid content type") }}{%- endif -%}
  {{ '<end_of_turn>\\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}"""

DEEPSEEK = """{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}
{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='', is_first_sp=true) %}
{%- for message in messages %}
  {%- if message['role'] == 'system' %}
    {%- if ns.is_first_sp %}{% set ns.system_prompt = ns.system_prompt + message['content'] %}{% set ns.is_first_sp = false %}
    {%- else %}{% set ns.system_prompt = ns.system_prompt + '\\n\\n' + message['content'] %}{%- endif %}
  {%- endif %}
{%- endfor %}
{{ bos_token }}{{ ns.system_prompt }}
{%- for message in messages %}
  {%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}
  {%- endif %}
  {%- if message['role'] == 'assistant' and 'tool_calls' in message %}
    {%- set ns.is_tool = false -%}
    {%- for tool in message['tool_calls'] %}
      {%- if not ns.is_first %}{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}{%- set ns.is_first = true -%}
      {%- else %}{{'\\n' + '<｜tool▁call▁begin｜>' + tool['function']['name'] + '\\n' + tool['function']['arguments'] + '<｜tool▁call▁end｜>'}}{%- endif %}
    {%- endfor %}
  {%- endif %}
  {%- if message['role'] == 'assistant' and 'tool_calls' not in message %}
    {% set content = message['content'] %}
    {% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}
    {{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}
  {%- endif %}
  {%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}{{'<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}
{%- endfor -%}
{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜>'}}{% endif %}"""

EXTRAS = """{%- macro render_content(content) -%}{%- if content is string -%}{{ content }}{%- else -%}
{%- for part in content if part.type == 'text' -%}{{ part.text }}{%- endfor -%}{%- endif -%}{%- endmacro -%}
{%- set system = messages | selectattr('role', 'equalto', 'system') | map(attribute='content') | first -%}
{%- for message in messages -%}
  {%- if message.role == 'system' -%}{%- continue -%}{%- endif -%}
  {%- generation -%}{{ render_content(message.content) }}{%- endgeneration -%}
  {%- for key, value in (message.metadata or {}).items() | sort -%}{{ key ~ '=' ~ value|string }}{%- endfor -%}
  {%- if loop.index > 100 -%}{%- break -%}{%- endif -%}
  {{ '{}: {}'.format(message.role, loop.index) }}{{ '%s' % message.role }}{{ messages|map(attribute='role')|join(',') }}
  {%- for cycler in message.tags or [] -%}{{ cycler.name }}{%- endfor -%}
  {{ message.get('name', '') | upper | replace(' ', '_') }}{{ (message.content|length) ~ ' chars' }}
{%- endfor -%}{{ range(3)|list|length }}{{ dict(a=1).a }}{{ lipsum(1) if false }}"""

REALISTIC = {
    "chatml-tools": CHATML_TOOLS,
    "llama3-tools": LLAMA3_TOOLS,
    "mistral": MISTRAL,
    "gemma": GEMMA,
    "deepseek": DEEPSEEK,
    "extras": EXTRAS,
}

# (payload, rule that must be reported, its severity)
PAYLOADS = [
    ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "WB-TPL-002", Severity.CRITICAL),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x|attr('__cla'~'ss__') }}", "WB-TPL-001", Severity.CRITICAL),
    ("{% import 'os' as o %}", "WB-TPL-003", Severity.HIGH),
    ("{% from 'helpers.j2' import render %}", "WB-TPL-003", Severity.HIGH),
    ("{% include '/etc/passwd' %}", "WB-TPL-003", Severity.HIGH),
    ("{% extends 'base.html' %}", "WB-TPL-003", Severity.HIGH),
    ("{{ self._TemplateReference__context }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ self }}", "WB-TPL-005", Severity.HIGH),
    ("{{ __builtins__ }}", "WB-TPL-005", Severity.HIGH),
    ("{{ lipsum.__globals__['os'].popen('id') }}", "WB-TPL-002", Severity.CRITICAL),
    ("{{ namespace.__init__ }}", "WB-TPL-002", Severity.CRITICAL),
    ("{{ joiner.__call__ }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ range.x }}", "WB-TPL-002", Severity.CRITICAL),
    ("{{ dict['__init__'] }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x['__class__'] }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x.__class__.mro() }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ (x for x in y).gi_frame.f_globals }}", "WB-TPL-008", Severity.MEDIUM),
    ("{{ gen.gi_frame.f_back.f_globals }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ f.func_globals }}", "WB-TPL-001", Severity.CRITICAL),
    ("{% set a = '__cla' %}{% set b = 'ss__' %}{{ x[a ~ b] }}", "WB-TPL-001", Severity.CRITICAL),
    ("{% set a %}__globals__{% endset %}{{ x[a] }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x['__ssalc__'[::-1]] }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x['__ssalc__'|reverse] }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x|attr(['_', '_', 'class', '_', '_']|join) }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x|attr(''.join(['__cl', 'ass__'])) }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x|attr('%s%s'|format('__cl', 'ass__')) }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x['%s%s' % ('__cl', 'ass__')] }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x['{}{}'.format('__cl', 'ass__')] }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x['..class..'.replace('.', '_')] }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x[('_' * 2) ~ 'class' ~ ('_' * 2)] }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x['__CLASS__'|lower] }}", "WB-TPL-001", Severity.CRITICAL),
    ("{% set ns = namespace(a='__glo') %}{{ x[ns.a ~ 'bals__'] }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x|map('attr', '__class__')|list }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x|map(attribute='__class__.__name__')|list }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x|selectattr('__class__')|list }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x|sort(attribute='__dict__') }}", "WB-TPL-001", Severity.CRITICAL),
    ("{% set ns = namespace() %}{% set ns.__class__ = 1 %}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x|attr('\\x5f\\x5fclass\\x5f\\x5f') }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x['__c' 'lass__'] }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x[['__class__']|first] }}", "WB-TPL-001", Severity.CRITICAL),
    ("{% macro m(a='__class__') %}{{ x[a] }}{% endmacro %}", "WB-TPL-001", Severity.CRITICAL),
    ("{% with a = '__class__' %}{{ x[a] }}{% endwith %}", "WB-TPL-001", Severity.CRITICAL),
    ("{% set c = cycler %}{{ c.__init__ }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ x|attr(name) }}", "WB-TPL-004", Severity.HIGH),
    ("{{ x|attr(*names) }}", "WB-TPL-004", Severity.HIGH),
    ("{% for p in parts %}{{ x[p ~ '_'] }}{% endfor %}", "WB-TPL-004", Severity.HIGH),
    ("{% set f = '{0.__class__}'.format %}{{ f(x) }}", "WB-TPL-006", Severity.HIGH),
    ("{% set f = '{0.__class__}'.format %}{{ f(x) }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ '{0.__class__.__base__}'.format(x) }}", "WB-TPL-001", Severity.CRITICAL),
    ("{{ '{0.role}'.format(message) }}", "WB-TPL-006", Severity.HIGH),
    ("{{ message.content.format(x) }}", "WB-TPL-006", Severity.HIGH),
    ("{{ '{a}'.format_map(x) }}", "WB-TPL-006", Severity.HIGH),
    ("{{ x|attr('format') }}", "WB-TPL-006", Severity.HIGH),
    ("{{ y|default(x.format) }}", "WB-TPL-006", Severity.HIGH),
    ("{% set f = x.format_map %}", "WB-TPL-006", Severity.HIGH),
    ("{% set a = '__subcla' ~ 'sses__' %}", "WB-TPL-007", Severity.HIGH),
    ("{{ '__globals__' }}", "WB-TPL-007", Severity.HIGH),
    ("{% for %}", "WB-TPL-008", Severity.MEDIUM),
    ("{% do x.append(1) %}", "WB-TPL-008", Severity.MEDIUM),
    ("{{ x.__class__ }}{% if %}", "WB-TPL-008", Severity.HIGH),
    ("{{ range(10000000) }}", "WB-TPL-009", Severity.MEDIUM),
    ("{{ 'A' * 100000 }}", "WB-TPL-009", Severity.MEDIUM),
    ("{{ " + "(" * 300 + "x" + ")" * 300 + " }}", "WB-TPL-009", Severity.MEDIUM),
    ("{{ " + " + ".join(["x"] * 200) + " }}", "WB-TPL-009", Severity.MEDIUM),
]


def check(template: str) -> ScanContext:
    ctx = ScanContext(path="tokenizer_config.json", limits=Limits(), nested=lambda c, s, n, z: "recorded")
    check_template(ctx, template, location=Location(key="chat_template"))
    return ctx


def findings_of(ctx: ScanContext, rule: str) -> list[Finding]:
    return [f for f in ctx.findings if f.rule == rule]


@pytest.fixture(autouse=True)
def _never_render(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing is allowed; compiling or rendering a template under test would be a bug."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a chat template was compiled or rendered")

    monkeypatch.setattr(jinja2.Environment, "compile", refuse)
    monkeypatch.setattr(jinja2.Environment, "from_string", refuse)
    monkeypatch.setattr(jinja2.Template, "render", refuse)


@pytest.mark.parametrize("name", REALISTIC)
def test_realistic_templates_are_clean(name: str) -> None:
    ctx = check(REALISTIC[name])
    assert ctx.findings == [], [(f.rule, f.detail) for f in ctx.findings]
    assert ctx.formats == ["chat-template"]


def test_plain_namespace_call_stays_at_or_below_low() -> None:
    ctx = check("{% set ns = namespace(found=false) %}{% set ns.found = true %}{{ ns.found }}")
    assert all(f.severity <= Severity.LOW for f in ctx.findings)


@pytest.mark.parametrize(("payload", "rule", "severity"), PAYLOADS)
def test_injection_payloads_are_reported(payload: str, rule: str, severity: Severity) -> None:
    ctx = check(payload)
    found = findings_of(ctx, rule)
    assert found, f"{rule} missing for {payload!r}: {[(f.rule, f.detail) for f in ctx.findings]}"
    assert max(f.severity for f in found) == severity
    for f in ctx.findings:
        assert f.location is not None and f.location.key == "chat_template" and f.evidence


def test_finding_names_line_and_quotes_the_line() -> None:
    template = "{{ bos_token }}\n{% for m in messages %}\n{{ m.__class__ }}\n{% endfor %}"
    finding = findings_of(check(template), "WB-TPL-001")[0]
    assert finding.location is not None and finding.location.line == 3
    assert finding.evidence == "{{ m.__class__ }}" and "'__class__'" in finding.detail


def test_parse_error_names_the_line() -> None:
    finding = findings_of(check("{{ ok }}\n{{ ok }}\n{% if %}"), "WB-TPL-008")[0]
    assert finding.location is not None and finding.location.line == 3


def test_global_names_bound_by_the_template_are_not_globals() -> None:
    ctx = check("{% for cycler in items %}{{ cycler.name }}{% endfor %}{% set range = x %}{{ range.start }}")
    assert ctx.findings == []


def test_data_fields_named_like_methods_or_private_keys_stay_clean() -> None:
    template = (
        "{% for name, p in tool.parameters.properties|items %}{{ name }}: {{ p.type }} {{ p.format }}"
        "{{ p['format'] }}{{ p['_id'] }}{{ p.format|default('') }}{% endfor %}"
        "{{ tool.parameters.properties.values()|map(attribute='format')|join(',') }}"
    )
    assert check(template).findings == []


def test_oversized_template_is_not_parsed() -> None:
    big = "{{ x }}" * (MAX_TEMPLATE_CHARS // 7 + 1)
    finding = findings_of(check(big), "WB-TPL-009")[0]
    assert finding.severity == Severity.HIGH and "not parsed" in finding.detail  # uninspected code
    hostile = check(big + "{{ x.__globals__ }}")
    assert findings_of(hostile, "WB-TPL-009")[0].severity == Severity.HIGH


def test_findings_are_capped_worst_first() -> None:
    template = "\n".join(f"{{{{ x{i}|attr(y) }}}}" for i in range(60)) + "\n{{ z.__class__ }}"
    ctx = check(template)
    assert len(ctx.findings) == MAX_REPORTED
    assert ctx.findings[0].severity == Severity.CRITICAL


def test_unsafe_attribute_follows_the_sandbox() -> None:
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment()
    for name in ("__class__", "_private", "gi_frame", "cr_frame", "ag_code", "mro", "func_globals"):
        assert is_unsafe_attribute(name)
    for name in ("content", "role", "items", "strip", "split", "startswith", "tool_calls"):
        assert not is_unsafe_attribute(name)
        assert env.is_safe_attribute("text", name, getattr("text", name, None))
    assert not env.is_safe_attribute("text", "_x", None)


# -- properties ---------------------------------------------------------------------------------------------
_DUNDERS = ["__class__", "__globals__", "__subclasses__", "__init__", "__mro__", "__builtins__", "__dict__"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_DUNDERS), st.data(), st.sampled_from(["x[{}]", "x|attr({})", "x|map(attribute={})|list"])
)
def test_split_dunder_names_are_always_critical(dunder: str, data: st.DataObject, shape: str) -> None:
    cut = data.draw(st.integers(1, len(dunder) - 1))
    joiner = data.draw(st.sampled_from([" ~ ", " + "]))
    expr = f"'{dunder[:cut]}'{joiner}'{dunder[cut:]}'"
    ctx = check("{{ " + shape.format(expr) + " }}")
    assert max(f.severity for f in ctx.findings) == Severity.CRITICAL


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_fuzz_random_text_never_raises(text: str) -> None:
    ctx = check(text)
    assert all(f.rule.startswith("WB-TPL") for f in ctx.findings)


_FRAGMENTS = [
    "{{",
    "}}",
    "{%",
    "%}",
    " if ",
    " for ",
    " in ",
    " endif ",
    " endfor ",
    " set ",
    "x",
    "y",
    ".",
    "__class__",
    "[",
    "]",
    "(",
    ")",
    "'a'",
    "~",
    "+",
    "*",
    "%",
    "|attr(",
    "|join",
    "namespace(",
    "cycler",
    "=",
    ",",
    " macro ",
    " endmacro ",
    " generation ",
    " endgeneration ",
    "[::-1]",
    "9" * 12,
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=60))
def test_fuzz_jinja_shaped_text_never_raises(parts: list[str]) -> None:
    template = "".join(parts)
    ctx = check(template)
    assert all(f.rule.startswith("WB-TPL") and f.evidence is not None for f in ctx.findings)
    if "{{x.__class__}}" in template:
        assert any(f.severity >= Severity.HIGH for f in ctx.findings)  # reported, or parse failure escalated
