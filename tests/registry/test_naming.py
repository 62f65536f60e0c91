"""Registry names come from what the model says it is (issue 15 item 3): the same bytes admitted from two
folders are one model, or the second admission warns (on the CLI and in the recorded decision)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.formats.gguf_writer import GGUFWriter
from tests.provenance.folders import card, folder
from tests.registry.reports import LENIENT, apache_folder

import weighbridge
from artifacts import minilm_folder, smollm2_gguf
from cli_run import wb
from weighbridge.registry import Registry
from weighbridge.registry.naming import choose

SELF_NAMED_CARD = card(
    "license: apache-2.0\n",
    "# tiny-bert\n\nUse it:\n\n```python\nmodel = SentenceTransformer('acme-research/tiny-bert')\n```\n",
)


def _self_named(root: Path) -> Path:
    return folder(
        root,
        {
            "README.md": SELF_NAMED_CARD,
            "config.json": '{"model_type": "bert"}',
            "model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ",
        },
    )


def _gguf(path: Path) -> Path:
    data = (
        GGUFWriter()
        .string("general.architecture", "llama")
        .string("general.name", "Tiny Chat 1B")
        .string("general.organization", "Acme")
        .kv("general.file_type", 5, 7)
        .tensor("w", [32])
        .build()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_names_come_from_the_model(tmp_path: Path) -> None:
    named = choose(weighbridge.inspect(str(_self_named(tmp_path / "model"))))
    assert (named.name, named.basis) == (
        "acme-research/tiny-bert",
        "the model's Hugging Face id (model card / config)",
    )
    gguf = choose(weighbridge.inspect(str(_gguf(tmp_path / "copy.gguf"))))
    assert (gguf.name, gguf.basis) == ("Acme/Tiny-Chat-1B-Q8_0", "GGUF general.name + general.organization")
    plain = choose(weighbridge.inspect(str(apache_folder(tmp_path / "mcopy"))))
    assert (plain.name, plain.basis) == ("mcopy", "folder name")


def test_same_bytes_from_two_folders_are_one_model(reg: Registry, tmp_path: Path) -> None:
    policy = tmp_path / "lenient.yaml"
    policy.write_text(LENIENT, encoding="utf-8")
    first = _self_named(tmp_path / "model")
    second = tmp_path / "mcopy"
    shutil.copytree(first, second)
    a, _ = reg.admit(str(first), policy_path=policy, actor="t")
    b, _ = reg.admit(str(second), policy_path=policy, actor="t")
    assert a.model == b.model == "acme-research/tiny-bert" and a.id == b.id
    assert "warning" not in b.extra and b.extra["same_files_as"] == []
    for name in ("one.gguf", "two.gguf"):
        version, _ = reg.admit(str(_gguf(tmp_path / "ggufs" / name)), policy_path=policy, actor="t")
        assert version.model == "Acme/Tiny-Chat-1B-Q8_0"
    assert {row.model for row in reg.list_versions()} == {"acme-research/tiny-bert", "Acme/Tiny-Chat-1B-Q8_0"}


def test_name_overrides_and_same_bytes_under_another_name_warn(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "lenient.yaml"
    policy.write_text(LENIENT, encoding="utf-8")
    first = apache_folder(tmp_path / "model")  # names nothing: the folder name is all there is
    second = tmp_path / "mcopy"
    shutil.copytree(first, second)
    db = ("--db", db_url)
    code, out, err = wb(capsys, monkeypatch, "admit", str(first), "--policy", str(policy), *db)
    assert code == 0 and out.startswith("model @ ") and "warning" not in err
    code, out, err = wb(capsys, monkeypatch, "admit", str(second), "--policy", str(policy), "--json", *db)
    doc = json.loads(out)
    assert code == 0 and doc["version"]["model"] == "mcopy"
    assert err.startswith("warning: the same files (manifest ") and "another name: model (admitted)" in err
    assert doc["version"]["same_files_as"] == [{"model": "model", "decision": "admitted"}]
    code, out, _ = wb(capsys, monkeypatch, "registry", "history", "mcopy", "--json", *db)
    assert code == 0 and "already recorded under another name: model (admitted)" in out
    code, out, err = wb(
        capsys, monkeypatch, "admit", str(second), "--policy", str(policy), "--name", "model", *db
    )
    assert code == 0 and out.startswith("model @ ") and "warning: " in err  # 'mcopy' now holds them too


@pytest.mark.slow
def test_real_artifacts_are_named_after_themselves(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    copy.mkdir()
    for item in minilm_folder().iterdir():
        (copy / item.name).symlink_to(item)
    assert choose(weighbridge.inspect(str(copy))).name == "sentence-transformers/all-MiniLM-L6-v2"
    smol = choose(weighbridge.inspect(str(smollm2_gguf())))
    assert smol.name.startswith("HuggingFaceTB/Smollm2-135M") and smol.name.endswith("-Q4_1")
