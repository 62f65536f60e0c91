"""Benign chat templates in the shapes of the major model families, written for these tests.

They exercise what real templates do — loops over messages and tools, ``message['content']`` and
``message.content``, ``namespace`` bookkeeping, ``raise_exception``, ``tojson``, macros, ``selectattr`` and
``map`` with literal attribute names, numeric indexes computed from ``loop`` — so that checks on data-named
attributes can be shown not to fire on them. Special tokens in the style of each family go with them.
"""

from __future__ import annotations

PHI = """{%- for message in messages -%}
  {%- if message['role'] == 'system' and 'tools' in message and message['tools'] is not none -%}
    {{- '<|' + message['role'] + '|>' + message['content'] + '<|tool|>' + message['tools'] + '<|/tool|>' + '<|end|>' -}}
  {%- else -%}
    {{- '<|' + message['role'] + '|>' + message['content'] + '<|end|>' -}}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|assistant|>' -}}{%- else -%}{{- eos_token -}}{%- endif -%}"""

HARMONY = """{%- macro render_type(spec, required, nullable=false) -%}
  {%- if spec.type == "array" -%}
    {%- if spec['items'] -%}{{- render_type(spec['items'], required) + "[]" -}}{%- else -%}any[]{%- endif -%}
  {%- elif spec.type == "string" -%}
    {%- if spec.enum -%}{{- spec.enum | map("tojson") | join(" | ") -}}{%- else -%}string{%- endif -%}
  {%- elif spec.type == "object" and spec.properties -%}
    {{- "{\\n" -}}
    {%- for name, prop in spec.properties.items() -%}
      {{- name -}}{%- if name not in (spec.required or []) -%}?{%- endif -%}: {{ render_type(prop, spec.required or []) }}
      {%- if not loop.last -%},{%- endif -%}
    {%- endfor -%}{{- "}" -}}
  {%- elif spec.type is string -%}{{- spec.type -}}{%- else -%}any{%- endif -%}
{%- endmacro -%}
{%- macro render_namespace(ns_name, tools) -%}
  {{- "## " + ns_name + "\\n\\nnamespace " + ns_name + " {\\n\\n" -}}
  {%- for tool in tools -%}
    {%- set tool = tool.function -%}
    {{- "// " + tool.description + "\\n" -}}{{- "type " + tool.name + " = " -}}
    {%- if tool.parameters and tool.parameters.properties -%}
      {{- "(_: {\\n" -}}
      {%- for param_name, param_spec in tool.parameters.properties.items() -%}
        {%- if param_spec.description -%}{{- "// " + param_spec.description + "\\n" -}}{%- endif -%}
        {{- param_name -}}{%- if param_name not in (tool.parameters.required or []) -%}?{%- endif -%}:
        {{- render_type(param_spec, tool.parameters.required or []) -}}
        {%- if param_spec.default is defined -%}{{- " // default: " + param_spec.default | tojson -}}{%- endif -%}
        {{- ",\\n" -}}
      {%- endfor -%}{{- "}) => any;\\n\\n" -}}
    {%- else -%}{{- "() => any;\\n\\n" -}}{%- endif -%}
  {%- endfor -%}{{- "} // namespace " + ns_name -}}
{%- endmacro -%}
{{- "<|start|>system<|message|>You are a helpful assistant.\\nReasoning: " + (reasoning_effort | default("medium")) -}}
{%- if builtin_tools -%}{%- for tool in builtin_tools -%}{%- if tool == "browser" -%}{{- "\\n# Tools\\n## browser" -}}
{%- elif tool == "python" -%}{{- "\\n## python" -}}{%- endif -%}{%- endfor -%}{%- endif -%}
{{- "<|end|>" -}}
{%- if messages[0].role == "developer" or messages[0].role == "system" -%}
  {%- set developer_message = messages[0].content -%}{%- set loop_messages = messages[1:] -%}
{%- else -%}{%- set developer_message = "" -%}{%- set loop_messages = messages -%}{%- endif -%}
{%- if developer_message or tools -%}
  {{- "<|start|>developer<|message|>" -}}
  {%- if developer_message -%}{{- "# Instructions\\n\\n" + developer_message -}}{%- endif -%}
  {%- if tools -%}{{- "\\n\\n# Tools\\n\\n" + render_namespace("functions", tools) -}}{%- endif -%}
  {{- "<|end|>" -}}
{%- endif -%}
{%- set last_tool_call = namespace(name=none) -%}
{%- for message in loop_messages -%}
  {%- if message.role == 'assistant' -%}
    {%- if "tool_calls" in message -%}
      {%- if message.tool_calls | length > 1 -%}{{- raise_exception("one tool call per message") -}}{%- endif -%}
      {%- set tool_call = message.tool_calls[0] -%}
      {%- if tool_call.function -%}{%- set tool_call = tool_call.function -%}{%- endif -%}
      {{- "<|start|>assistant to=functions." + tool_call.name + "<|channel|>commentary json<|message|>" -}}
      {{- tool_call.arguments | tojson -}}{{- "<|call|>" -}}
      {%- set last_tool_call.name = tool_call.name -%}
    {%- elif loop.last and not add_generation_prompt -%}
      {%- if "thinking" in message -%}{{- "<|start|>assistant<|channel|>analysis<|message|>" + message.thinking + "<|end|>" -}}{%- endif -%}
      {{- "<|start|>assistant<|channel|>final<|message|>" + message.content + "<|return|>" -}}
    {%- else -%}{{- "<|start|>assistant<|channel|>final<|message|>" + message.content + "<|end|>" -}}{%- endif -%}
  {%- elif message.role == 'tool' -%}
    {%- if last_tool_call.name is none -%}{{- raise_exception("tool result without a call") -}}{%- endif -%}
    {{- "<|start|>functions." + last_tool_call.name + " to=assistant<|channel|>commentary<|message|>" + message.content | tojson + "<|end|>" -}}
  {%- elif message.role == 'user' -%}{{- "<|start|>user<|message|>" + message.content + "<|end|>" -}}{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}<|start|>assistant{%- endif -%}"""

QWEN3_THINKING = """{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
  {%- set index = (messages|length - 1) - loop.index0 %}
  {%- if ns.multi_step_tool and message.role == "user" and message.content is string and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
    {%- set ns.multi_step_tool = false %}{%- set ns.last_query_index = index %}
  {%- endif %}
{%- endfor %}
{%- for message in messages %}
  {%- set content = message.content if message.content is string else '' %}
  {%- if message.role == "assistant" %}
    {%- set reasoning_content = '' %}
    {%- if message.reasoning_content is string %}{%- set reasoning_content = message.reasoning_content %}
    {%- elif '</think>' in content %}
      {%- set reasoning_content = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}
      {%- set content = content.split('</think>')[-1].lstrip('\\n') %}
    {%- endif %}
    {%- if loop.index0 > ns.last_query_index and (loop.last or reasoning_content) %}
      {{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content.strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n') }}
    {%- else %}{{- '<|im_start|>' + message.role + '\\n' + content }}{%- endif %}
    {{- '<|im_end|>\\n' }}
  {%- elif message.role == "tool" %}
    {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}{{- '<|im_start|>user' }}{%- endif %}
    {{- '\\n<tool_response>\\n' + content + '\\n</tool_response>' }}
    {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}{{- '<|im_end|>\\n' }}{%- endif %}
  {%- else %}{{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}
  {%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}
{%- endif %}"""

LLAMA32_VISION = """{{- bos_token }}
{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content']|trim %}{%- set messages = messages[1:] %}
{%- else %}{%- set system_message = "" %}{%- endif %}
{%- set ns = namespace(has_image=false) %}
{%- for message in messages %}
  {%- if message['content'] is not string %}
    {%- for content in message['content'] | selectattr('type', 'equalto', 'image') %}{%- set ns.has_image = true %}{%- endfor %}
  {%- endif %}
{%- endfor %}
{%- if not ns.has_image %}{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" + system_message + "<|eot_id|>" }}{%- endif %}
{%- for message in messages %}
  {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}
  {%- if message['content'] is string %}{{- message['content'] }}
  {%- else %}
    {%- for content in message['content'] %}
      {%- if content['type'] == 'image' %}{{- '<|image|>' }}{%- elif content['type'] == 'text' %}{{- content['text'] }}{%- endif %}
    {%- endfor %}
  {%- endif %}
  {{- '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"""

MISTRAL_TOOLS = """{%- if messages[0]["role"] == "system" %}{%- set system_message = messages[0]["content"] %}{%- set loop_messages = messages[1:] %}
{%- else %}{%- set loop_messages = messages %}{%- endif %}
{%- if not tools is defined %}{%- set tools = none %}{%- endif %}
{%- set user_messages = loop_messages | selectattr("role", "equalto", "user") | list %}
{%- set ns = namespace() %}{%- set ns.index = 0 %}
{%- for message in loop_messages %}
  {%- if not (message.role == "tool" or (message.tool_calls is defined and message.tool_calls is not none)) %}
    {%- if (message["role"] == "user") != (ns.index % 2 == 0) %}
      {{- raise_exception("After the optional system message, conversation roles must alternate user/assistant/user/assistant...") }}
    {%- endif %}
    {%- set ns.index = ns.index + 1 %}
  {%- endif %}
{%- endfor %}
{{- bos_token }}
{%- for message in loop_messages %}
  {%- if message["role"] == "user" %}
    {%- if tools is not none and (message == user_messages[-1]) %}
      {{- "[AVAILABLE_TOOLS] [" }}
      {%- for tool in tools %}{%- set tool = tool.function %}{{- '{"type": "function", "function": {' }}
        {%- for key, val in tool.items() if key != "return" %}
          {%- if val is string %}{{- '"' + key + '": "' + val + '"' }}{%- else %}{{- '"' + key + '": ' + val|tojson }}{%- endif %}
          {%- if not loop.last %}{{- ", " }}{%- endif %}
        {%- endfor %}{{- "}}" }}
        {%- if not loop.last %}{{- ", " }}{%- else %}{{- "]" }}{%- endif %}
      {%- endfor %}{{- "[/AVAILABLE_TOOLS]" }}
    {%- endif %}
    {%- if loop.last and system_message is defined %}{{- "[INST] " + system_message + "\\n\\n" + message["content"] + "[/INST]" }}
    {%- else %}{{- "[INST] " + message["content"] + "[/INST]" }}{%- endif %}
  {%- elif message.tool_calls is defined and message.tool_calls is not none %}
    {{- "[TOOL_CALLS] [" }}
    {%- for tool_call in message.tool_calls %}
      {%- set out = tool_call.function|tojson %}{{- out[:-1] }}
      {%- if not tool_call.id is defined or tool_call.id|length != 9 %}{{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") }}{%- endif %}
      {{- ', "id": "' + tool_call.id + '"}' }}
      {%- if not loop.last %}{{- ", " }}{%- else %}{{- "]" + eos_token }}{%- endif %}
    {%- endfor %}
  {%- elif message["role"] == "assistant" %}{{- " " + message["content"]|trim + eos_token}}
  {%- elif message["role"] == "tool" %}
    {%- if message.content is defined and message.content.content is defined %}{%- set content = message.content.content %}
    {%- else %}{%- set content = message.content %}{%- endif %}
    {{- '[TOOL_RESULTS] {"content": ' + content|string + ", " }}{{- '"call_id": "' + message.tool_call_id + '"}[/TOOL_RESULTS]' }}
  {%- else %}{{- raise_exception("Only user and assistant roles are supported, with the exception of an initial optional system message!") }}
  {%- endif %}
{%- endfor %}"""

HERMES_TOOLS = """{%- macro json_to_python_type(json_spec) %}
{%- set basic_type_map = {"string": "str", "number": "float", "integer": "int", "boolean": "bool"} %}
{%- if basic_type_map[json_spec.type] is defined %}{{- basic_type_map[json_spec.type] }}
{%- elif json_spec.type == "array" %}{{- "list[" +  json_to_python_type(json_spec|items) + "]" }}
{%- elif json_spec.type == "object" %}
  {%- if json_spec.additionalProperties is defined %}{{- "dict[str, " + json_to_python_type(json_spec.additionalProperties) + ']' }}
  {%- else %}{{- "dict" }}{%- endif %}
{%- elif json_spec.type is iterable %}{{- "Union[" }}
  {%- for t in json_spec.type %}{{- json_to_python_type({"type": t}) }}{%- if not loop.last %}{{- "," }}{%- endif %}{%- endfor %}{{- "]" }}
{%- else %}{{- "Any" }}{%- endif %}
{%- endmacro %}
{{- bos_token }}{{- "<|im_start|>system\\nYou are a function calling AI model. <tools> " }}
{%- for tool in tools %}
  {%- if tool.function is defined %}{%- set tool = tool.function %}{%- endif %}
  {{- '{"type": "function", "function": {"name": "' + tool.name + '", "description": "' + tool.name + '(' }}
  {%- for param_name, param_fields in tool.parameters.properties|items %}
    {{- param_name + ": " + json_to_python_type(param_fields) }}{%- if not loop.last %}{{- ", " }}{%- endif %}
  {%- endfor %}
  {{- ")" }}
  {%- if tool.return is defined %}{{- " -> " + json_to_python_type(tool.return) }}{%- endif %}
  {{- " - " + tool.description + "\\n\\n" }}
  {%- for param_name, param_fields in tool.parameters.properties|items %}
    {%- if loop.first %}{{- "    Args:\\n" }}{%- endif %}
    {{- "        " + param_name + "(" + json_to_python_type(param_fields) + "): " + param_fields.description|trim }}
    {{- " (" + tool.parameters.properties[param_name].type + ")" }}
  {%- endfor %}
  {{- '", "parameters": ' + tool.parameters|tojson + "}}" }}
{%- endfor %}
{{- " </tools><|im_end|>\\n" }}
{%- for message in messages %}
  {%- if message.role == "user" or message.role == "system" or (message.role == "assistant" and message.tool_calls is not defined) %}
    {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
  {%- elif message.role == "assistant" %}
    {{- '<|im_start|>' + message.role }}
    {%- for tool_call in message.tool_calls %}
      {{- '\\n<tool_call>\\n' }}{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}
      {{- '{' }}{{- '"name": "' + tool_call.name + '"' }}{{- ', '}}
      {%- if tool_call.arguments is defined %}{{- '"arguments": ' }}
        {%- if tool_call.arguments is string %}{{- tool_call.arguments }}{%- else %}{{- tool_call.arguments|tojson }}{%- endif %}
      {%- endif %}
      {{- '}' }}{{- '\\n</tool_call>' }}
    {%- endfor %}
    {{- '<|im_end|>\\n' }}
  {%- elif message.role == "tool" %}
    {%- if loop.previtem and loop.previtem.role != "tool" %}{{- '<|im_start|>tool\\n' }}{%- endif %}
    {{- '<tool_response>\\n' }}{{- message.content }}{{- '\\n</tool_response>' }}
    {%- if loop.nextitem and loop.nextitem.role != "tool" %}{{- '<|im_end|>' }}{%- endif %}
  {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"""

COMMAND_R = """{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}
{% else %}{% set loop_messages = messages %}{% set system_message = 'You are a helpful assistant.' %}{% endif %}
{{ '<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>' + system_message }}
{% if documents %}{{ '\\n\\n## Documents' }}{% for document in documents %}{{ '\\nDocument: ' ~ loop.index0 }}
{% for key, value in document.items() %}{{ '\\n' ~ key ~ ': ' ~ value }}{% endfor %}{% endfor %}{% endif %}
{{ '<|END_OF_TURN_TOKEN|>' }}
{% for message in loop_messages %}{% set content = message['content'] %}
{% if message['role'] == 'user' %}{{ '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>' + content.strip() + '<|END_OF_TURN_TOKEN|>' }}
{% elif message['role'] == 'assistant' %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>'  + content.strip() + '<|END_OF_TURN_TOKEN|>' }}{% endif %}
{% endfor %}{% if add_generation_prompt %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' }}{% endif %}"""

GRANITE = """{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] %}{%- set loop_messages = messages[1:] %}
{%- else %}{%- set system_message = "Knowledge Cutoff Date: April 2024.\\nYou are Granite." %}
  {%- if tools and documents %}{%- set system_message = system_message + " You may call tools and use documents." %}
  {%- elif tools %}{%- set system_message = system_message + " You may call tools." %}{%- endif %}
  {%- set loop_messages = messages %}
{%- endif %}
{{- '<|start_of_role|>system<|end_of_role|>' + system_message + '<|end_of_text|>\\n' }}
{%- if tools %}{{- '<|start_of_role|>tools<|end_of_role|>' }}{{- tools | tojson(indent=4) }}{{- '<|end_of_text|>\\n' }}{%- endif %}
{%- if documents %}
  {%- for document in documents %}{{- '<|start_of_role|>document {"document_id": "' + document['doc_id'] | string + '"}<|end_of_role|>\\n' }}{{- document['text'] }}{{- '<|end_of_text|>\\n' }}{%- endfor %}
{%- endif %}
{%- for message in loop_messages %}
  {{- '<|start_of_role|>' + message['role'] + '<|end_of_role|>' + message['content'] + '<|end_of_text|>\\n' }}
  {%- if loop.last and add_generation_prompt %}{{- '<|start_of_role|>assistant' }}
    {%- if controls %}{{- ' ' + controls | tojson() }}{%- endif %}{{- '<|end_of_role|>' }}
  {%- endif %}
{%- endfor %}"""

SHAPES = {
    "phi": PHI,
    "gpt-oss-harmony": HARMONY,
    "qwen3-thinking": QWEN3_THINKING,
    "llama32-vision": LLAMA32_VISION,
    "mistral-tools": MISTRAL_TOOLS,
    "hermes-tools": HERMES_TOOLS,
    "command-r": COMMAND_R,
    "granite": GRANITE,
}

# special tokens as the families' tokenizer configurations set them
FAMILY_TOKENS: dict[str, dict[str, str]] = {
    "phi": {
        "bos_token": "<s>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<unk>",
        "pad_token": "<|endoftext|>",
    },
    "gpt-oss-harmony": {
        "bos_token": "<|startoftext|>",
        "eos_token": "<|return|>",
        "pad_token": "<|endoftext|>",
    },
    "qwen3-thinking": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "llama32-vision": {
        "bos_token": "<|begin_of_text|>",
        "eos_token": "<|eot_id|>",
        "pad_token": "<|finetune_right_pad_id|>",
    },
    "mistral-tools": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "hermes-tools": {"bos_token": "<|begin_of_text|>", "eos_token": "<|im_end|>"},
    "command-r": {"bos_token": "<BOS_TOKEN>", "eos_token": "<|END_OF_TURN_TOKEN|>", "pad_token": "<PAD>"},
    "granite": {
        "bos_token": "<|end_of_text|>",
        "eos_token": "<|end_of_text|>",
        "unk_token": "<|end_of_text|>",
    },
}
