"""What a model folder's JSON configs say about where its weights came from.

``config.json`` ``_name_or_path``: the checkpoint transformers loaded before saving (the base of a fine-tune,
or the model's own id); ``quantization_config``: the weights are quantized (GPTQ, AWQ, bitsandbytes…).
``adapter_config.json`` ``base_model_name_or_path``: the model a PEFT adapter applies to. Only small files are
read (``MAX_CONFIG_BYTES``), with ``json.loads``; nothing else is interpreted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..core.provenance import Citation, MetadataProblem
from ..core.report import Snapshot, SnapshotFile
from .names import shorten

MAX_CONFIG_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ConfigFacts:
    name_or_path: str | None = None
    name_or_path_cite: Citation | None = None
    quantization: str | None = None  # quant_method, or "quantized" when the method is not named
    quantization_cite: Citation | None = None
    architectures: tuple[str, ...] = ()
    model_type: str | None = None
    architecture_cite: Citation | None = None
    adapter_base: str | None = None
    adapter_base_cite: Citation | None = None
    has_adapter: bool = False
    problems: tuple[MetadataProblem, ...] = ()


def read_configs(snapshot: Snapshot) -> ConfigFacts:
    files = {f.rel: f for f in snapshot.files}
    problems: list[MetadataProblem] = []
    config = _load(files.get("config.json"), problems)
    adapter = _load(files.get("adapter_config.json"), problems)
    facts = _from_config(*config) if config is not None else ConfigFacts()
    adapter_base: str | None = None
    adapter_cite: Citation | None = None
    if adapter is not None:
        data, text = adapter
        base = data.get("base_model_name_or_path")
        if isinstance(base, str) and base.strip():
            adapter_base = base.strip()
            adapter_cite = _cite("adapter_config.json", "base_model_name_or_path", text, base)
    return ConfigFacts(
        name_or_path=facts.name_or_path,
        name_or_path_cite=facts.name_or_path_cite,
        quantization=facts.quantization,
        quantization_cite=facts.quantization_cite,
        architectures=facts.architectures,
        model_type=facts.model_type,
        architecture_cite=facts.architecture_cite,
        adapter_base=adapter_base,
        adapter_base_cite=adapter_cite,
        has_adapter=adapter is not None,
        problems=tuple(problems),
    )


def _from_config(data: dict[str, object], text: str) -> ConfigFacts:
    name = data.get("_name_or_path")
    name_or_path = name.strip() if isinstance(name, str) and name.strip() else None
    quant = data.get("quantization_config")
    method = quant.get("quant_method") if isinstance(quant, dict) else None
    quantization = (
        (method if isinstance(method, str) and method else "quantized") if isinstance(quant, dict) else None
    )
    arch = data.get("architectures")
    architectures = tuple(a for a in arch[:16] if isinstance(a, str)) if isinstance(arch, list) else ()
    raw_type = data.get("model_type")
    model_type = raw_type if isinstance(raw_type, str) and raw_type else None
    arch_key = "architectures" if architectures else "model_type"
    arch_value = ", ".join(architectures) or model_type
    return ConfigFacts(
        name_or_path=name_or_path,
        name_or_path_cite=_cite("config.json", "_name_or_path", text, name_or_path) if name_or_path else None,
        quantization=quantization,
        quantization_cite=_cite("config.json", "quantization_config", text, quantization)
        if quantization
        else None,
        architectures=architectures,
        model_type=model_type,
        architecture_cite=_cite("config.json", arch_key, text, arch_value) if arch_value else None,
    )


def _load(file: SnapshotFile | None, problems: list[MetadataProblem]) -> tuple[dict[str, object], str] | None:
    if file is None:
        return None
    try:
        with open(file.abspath, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        problems.append(MetadataProblem(file.rel, f"could not be read: {exc.strerror or type(exc).__name__}"))
        return None
    if len(raw) > MAX_CONFIG_BYTES:
        problems.append(MetadataProblem(file.rel, f"larger than {MAX_CONFIG_BYTES} bytes; not read"))
        return None
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        problems.append(MetadataProblem(file.rel, f"is not valid JSON: {shorten(str(exc), 200)}"))
        return None
    if not isinstance(data, dict):
        problems.append(MetadataProblem(file.rel, f"holds a JSON {type(data).__name__}, not an object"))
        return None
    return data, text


def _cite(rel: str, key: str, text: str, value: str) -> Citation:
    """The line of the first occurrence of ``"key"`` in the JSON text."""
    at = text.find(f'"{key}"')
    line = text.count("\n", 0, at) + 1 if at >= 0 else None
    return Citation(rel, key=key, line=line, value=shorten(value))
