"""The opt-in loader hooks: torch.load, transformers' from_pretrained, llama_cpp.Llama refuse what the registry
has not admitted, before the loader touches it; uninstall restores the originals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from guard.conftest import Admitted, admit, flip_byte
from weighbridge.guard import NotAdmittedError, hooks

torch = pytest.importorskip("torch", reason="torch is a `test` extra (make test installs it)")


def test_torch_load_refuses_before_reading(
    admitted: Admitted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    real = torch.load

    def spy(f: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(f)
        return real(f, *args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    weights = tmp_path / "weights.pt"
    torch.save({"w": torch.arange(4)}, weights)
    assert "torch.load" in hooks.install(transformers=False, llama_cpp=False, registry=admitted.registry)
    with pytest.raises(NotAdmittedError, match="no admitted registry version holds weights.pt"):
        torch.load(weights)
    assert calls == []  # the real loader never saw the file

    admit(admitted.registry, weights)
    assert torch.load(weights)["w"].tolist() == [0, 1, 2, 3]
    assert calls == [weights]
    flip_byte(weights, 60)
    with pytest.raises(NotAdmittedError, match="weights.pt"):
        torch.load(weights)
    with pytest.raises(NotAdmittedError, match="in-memory stream"):
        torch.load(__import__("io").BytesIO(b""))
    hooks.uninstall()
    assert torch.load is spy and hooks.installed() == ()


def test_uninstall_restores_the_exact_attributes(admitted: Admitted) -> None:
    transformers = pytest.importorskip("transformers")
    from transformers.models.auto import auto_factory

    before = (
        torch.load,
        transformers.PreTrainedModel.__dict__["from_pretrained"],
        auto_factory._BaseAutoModelClass.__dict__["from_pretrained"],
    )
    causal = transformers.AutoModelForCausalLM.__dict__["from_pretrained"]
    hooked = hooks.install(llama_cpp=False, registry=admitted.registry)
    assert hooked[:2] == ("PreTrainedModel.from_pretrained", "_BaseAutoModelClass.from_pretrained")
    assert {"AutoModel.from_pretrained", "AutoModelForCausalLM.from_pretrained", "torch.load"} <= set(hooked)
    assert torch.load is not before[0]
    hooks.install(llama_cpp=False, registry=admitted.registry)  # installing twice does not stack wrappers
    hooks.uninstall()
    after = (
        torch.load,
        transformers.PreTrainedModel.__dict__["from_pretrained"],
        auto_factory._BaseAutoModelClass.__dict__["from_pretrained"],
    )
    assert after == before
    assert transformers.AutoModelForCausalLM.__dict__["from_pretrained"] is causal


def test_transformers_from_pretrained(admitted: Admitted, tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=32,
        hidden_size=8,
        intermediate_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=16,
    )
    folder = tmp_path / "tiny-llama"
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    hooks.install(llama_cpp=False, registry=admitted.registry)
    with pytest.raises(NotAdmittedError, match="tiny-llama is not admitted"):
        AutoModelForCausalLM.from_pretrained(folder)
    with pytest.raises(NotAdmittedError, match="tiny-llama is not admitted"):
        LlamaForCausalLM.from_pretrained(str(folder))
    with pytest.raises(NotAdmittedError, match="not a local path"):
        AutoModelForCausalLM.from_pretrained("some-org/some-model")

    admit(admitted.registry, folder)
    model = AutoModelForCausalLM.from_pretrained(folder)
    assert model.config.hidden_size == 8
    (folder / "extra.py").write_text("print('x')\n")
    with pytest.raises(NotAdmittedError, match="added: extra.py"):
        AutoModelForCausalLM.from_pretrained(folder)


def test_remote_ids_pass_only_when_allowed(admitted: Admitted, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("transformers")
    from transformers import PreTrainedModel

    seen: list[str] = []
    monkeypatch.setattr(
        PreTrainedModel,
        "from_pretrained",
        classmethod(lambda cls, name, *a, **k: seen.append(name) or "loaded"),
    )
    hooks.install(torch=False, llama_cpp=False, allow_remote=True, registry=admitted.registry)
    assert PreTrainedModel.from_pretrained("org/remote-model") == "loaded"
    assert seen == ["org/remote-model"]


def test_llama_cpp_refuses_unadmitted_gguf(
    admitted: Admitted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    opened: list[str] = []

    def fake_init(self: Any, model_path: str, *args: Any, **kwargs: Any) -> None:
        opened.append(model_path)

    monkeypatch.setattr(llama_cpp.Llama, "__init__", fake_init)  # stands in for llama.cpp's loader
    monkeypatch.setattr(llama_cpp.Llama, "__del__", lambda self: None)  # nothing to free
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + bytes(60))
    assert hooks.install(transformers=False, torch=False, registry=admitted.registry) == ("Llama.__init__",)
    with pytest.raises(NotAdmittedError, match="model.gguf"):
        llama_cpp.Llama(model_path=str(gguf))
    assert opened == []
    admit(admitted.registry, gguf)
    llama_cpp.Llama(str(gguf), n_ctx=8)
    assert opened == [str(gguf)]
    hooks.uninstall()
    assert llama_cpp.Llama.__init__ is fake_init
