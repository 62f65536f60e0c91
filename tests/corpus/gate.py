"""Issue 11/12 corpus classes: Keras configs a load acts on, chat templates that take attribute names from
data, and chat templates found by content under any name. Built as bytes; nothing is loaded or rendered.

Techniques: G1 Keras names beside ``function_type``; G2 Keras file-path arguments (CVE-2025-12058 read
class); G3 chat templates with data-named attributes (special tokens, message keys, attribute filters);
G4 chat templates in files of any name (JSON ``chat_template`` key, Jinja files). Benign counterparts sit in
the benign label under the same technique letters.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from tests.formats.chat_template_shapes import FAMILY_TOKENS, SHAPES

from . import formats as F
from .build import Writer


def _k3(cls: str, config: dict[str, Any], module: str = "keras.layers") -> dict[str, Any]:
    return {"module": module, "class_name": cls, "config": config, "registered_name": None}


def _model(layers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "module": "keras",
        "class_name": "Functional",
        "registered_name": None,
        "config": {"name": "m", "trainable": True, "layers": layers},
    }


def _keras_zip(config: dict[str, Any]) -> bytes:
    return F.zip_bytes(
        [
            ("metadata.json", json.dumps({"keras_version": "3.8.0"}).encode()),
            ("config.json", json.dumps(config).encode()),
            ("model.weights.h5", b""),
        ],
        compression=zipfile.ZIP_DEFLATED,
    )


def _h5(config: dict[str, Any]) -> bytes:
    import h5py

    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode()
        f.attrs["keras_version"] = b"2.15.0"
    return buf.getvalue()


def _gguf(template: str, vocab: list[str]) -> bytes:
    return F.gguf_bytes(
        {
            "general.architecture": "llama",
            "tokenizer.ggml.tokens": vocab,
            "tokenizer.ggml.bos_token_id": 1,
            "tokenizer.ggml.eos_token_id": 2,
            "tokenizer.ggml.unknown_token_id": 3,
            "tokenizer.ggml.padding_token_id": 4,
            "tokenizer.chat_template": template,
        },
        [("tok.weight", (4,), b"\0" * 16)],
    )


DENSE = _k3("Dense", {"name": "d", "units": 2})
DUNDER_VOCAB = ["<x>", "__init__", "__globals__", "os", "popen", "a", "b"]
PLAIN_VOCAB = ["<unk>", "<s>", "</s>", "<unk2>", "<pad>", "a", "b"]
TOKEN_CHAIN = "{{ cycler[bos_token][eos_token][unk_token][pad_token]('id').read() }}"


def build(w: Writer) -> None:
    if w.label == "malicious":
        _malicious(w)
    elif w.label == "benign":
        _benign(w)


def _malicious(w: Writer) -> None:
    # G1: a function_type key beside a dangerous module/function, in several places and containers
    g1 = [("os", "system", "function"), ("subprocess", "getoutput", "raw"), ("builtins", "exec", "function")]
    for i, (module, function, kind) in enumerate(g1):
        node = {"module": module, "function": function, "function_type": kind, "name": "f"}
        config = _model([_k3("Dense", {"name": "d", "units": 2, "kernel_constraint": node})])
        w.file(
            f"gate-keras-function-type-{i}",
            "model.keras",
            _keras_zip(config),
            "G1",
            f"{module}.{function} beside function_type={kind} in a layer argument (.keras)",
        )
    w.file(
        "gate-keras-function-type-h5",
        "model.h5",
        _h5(
            _model(
                [
                    DENSE,
                    {
                        "class_name": "Regularizer",
                        "config": {"module": "posix", "class_name": "system", "function_type": "function"},
                    },
                ]
            )
        ),
        "G1",
        "posix.system beside function_type in a legacy .h5 model_config",
    )
    # G2: vocabulary and model-file arguments naming host files
    g2 = [
        ("StringLookup", "vocabulary", "/etc/passwd", "keras.layers", "model.keras"),
        ("TextVectorization", "vocabulary", "~/.ssh/id_rsa", "keras.layers", "model.h5"),
        ("IntegerLookup", "vocabulary", "../../../../proc/self/environ", "keras.layers", "model.keras"),
        ("SentencePieceTokenizer", "proto", "/root/.aws/credentials", "keras_hub.tokenizers", "model.keras"),
    ]
    for i, (cls, key, path, module, name) in enumerate(g2):
        config = _model([_k3(cls, {"name": "lookup", key: path}, module=module)])
        data = _keras_zip(config) if name.endswith(".keras") else _h5(config)
        w.file(f"gate-keras-host-file-{i}", name, data, "G2", f"{cls}.{key} = {path!r} is read on load")
    # G3: chat templates whose attribute names come from data
    w.file(
        "gate-tpl-gguf-dunder-tokens",
        "model.gguf",
        _gguf(TOKEN_CHAIN, DUNDER_VOCAB),
        "G3",
        "cycler[bos_token][eos_token]… with dunder special tokens in the GGUF vocabulary",
    )
    w.file(
        "gate-tpl-gguf-plain-tokens",
        "model.gguf",
        _gguf("{% for k in messages[0] %}{{ lipsum[k] }}{% endfor %}", PLAIN_VOCAB),
        "G3",
        "loop over message keys into lipsum",
    )
    w.folder(
        "gate-tpl-tokenizer-config-tokens",
        {
            "tokenizer_config.json": json.dumps(
                {
                    "bos_token": {"content": "__init__"},
                    "eos_token": "__globals__",
                    "unk_token": "os",
                    "pad_token": "popen",
                    "chat_template": TOKEN_CHAIN,
                }
            )
        },
        "G3",
        "dunder special tokens in tokenizer_config.json",
    )
    w.folder(
        "gate-tpl-jinja-beside-tokens",
        {
            "special_tokens_map.json": json.dumps({"bos_token": "__init__", "eos_token": "__globals__"}),
            "chat_template.jinja": "{% set x = joiner[bos_token][eos_token] %}{{ x['os'].popen('id') }}",
        },
        "G3",
        "chat_template.jinja using tokens from special_tokens_map.json",
    )
    for i, template in enumerate(
        [
            "{{ messages|map('attr', messages[0].content)|map('attr', messages[1].content)|list }}",
            "{% for k in messages[0] %}{{ (messages|selectattr(k)|first)('id') }}{% endfor %}",
            "{{ messages|sort(attribute=bos_token)|sum(attribute=eos_token) }}",
            "{% set c = namespace %}{% for k in messages|map(attribute='role') %}{% set c = c[k] %}{% endfor %}{{ c() }}",
        ]
    ):
        w.folder(
            f"gate-tpl-filter-names-{i}",
            {"tokenizer_config.json": json.dumps({"chat_template": template})},
            "G3",
            "attribute filter or lookup chain with names from the messages",
        )
    # G4: templates in files the loaders do not name
    evil = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
    w.file(
        "gate-tpl-any-json",
        "serving_config.json",
        json.dumps({"chat_template": evil}).encode(),
        "G4",
        "chat_template key in a JSON of any name",
    )
    w.file(
        "gate-tpl-json-list",
        "templates.json",
        json.dumps(
            {
                "chat_template": [
                    {"name": "default", "template": "{{ messages }}"},
                    {"name": "rag", "template": evil},
                ]
            }
        ).encode(),
        "G4",
        "list of named templates, the second hostile",
    )
    w.file(
        "gate-tpl-jinja-file", "llama3.jinja", evil.encode(), "G4", "Jinja file given to a server on its own"
    )
    w.file("gate-tpl-j2-tokens", "chat.j2", TOKEN_CHAIN.encode(), "G4", "data-named chain in a .j2 file")
    w.file(
        "gate-tpl-text-by-content",
        "prompt_format",
        ("{% set sys = 'x' %}" + evil).encode(),
        "G4",
        "text without an extension that parses as a Jinja template with statements",
    )


def _benign(w: Writer) -> None:
    # G1/G2 counterparts: lookups with inline vocabularies, tokenizers whose assets are saved with the model
    layers = [
        _k3("StringLookup", {"name": "s", "vocabulary": ["a", "b"]}),
        _k3("TextVectorization", {"name": "t", "vocabulary": None, "max_tokens": 50}),
        _k3(
            "BytePairTokenizer",
            {"name": "bpe", "vocabulary": None, "merges": None},
            module="keras_hub.tokenizers",
        ),
        DENSE,
    ]
    w.file(
        "gate-keras-lookups",
        "model.keras",
        _keras_zip(_model(layers)),
        "G2",
        "lookup and tokenizer layers with inline or saved vocabularies",
    )
    w.file("gate-keras-lookups-h5", "model.h5", _h5(_model(layers)), "G2", "the same as a legacy .h5")
    # G3/G4 counterparts: family-shaped templates with their tokens, in GGUF, configs and loose files
    for name in ("gpt-oss-harmony", "qwen3-thinking", "mistral-tools", "hermes-tools"):
        tokens = FAMILY_TOKENS[name]
        w.folder(
            f"gate-tpl-family-{name}",
            {"tokenizer_config.json": json.dumps({**tokens, "chat_template": SHAPES[name]})},
            "G3",
            f"{name}-shaped template with its special tokens",
        )
    w.file(
        "gate-tpl-family-gguf",
        "model.gguf",
        _gguf(SHAPES["llama32-vision"], PLAIN_VOCAB),
        "G3",
        "llama-3.2-shaped template in a GGUF",
    )
    w.file("gate-tpl-family-jinja", "phi.jinja", SHAPES["phi"].encode(), "G4", "phi-shaped template file")
    w.file(
        "gate-tpl-family-json",
        "chat_templates.json",
        json.dumps(
            {
                "chat_template": [
                    {"name": "default", "template": SHAPES["command-r"]},
                    {"name": "rag", "template": SHAPES["granite"]},
                ]
            }
        ).encode(),
        "G4",
        "named templates in a JSON of any name",
    )
    w.file(
        "gate-tpl-readme",
        "README.md",
        ("# Prompt format\n\n```jinja\n" + SHAPES["phi"] + "\n```\n").encode(),
        "G4",
        "a model card quoting a template",
    )
