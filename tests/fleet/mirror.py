"""A generated model mirror for fleet tests and the fleet benchmark: every layout discovery knows, benign and
hostile content, built in pure Python (no torch) so a few hundred targets take about a second.

    root/hub/models--org--name/…       Hugging Face cache repos (LFS weights, git configs and cards; some with
                                        two revisions sharing a blob)
    root/ollama/{manifests,blobs}      an Ollama store (GGUF model layer, licence, template, params)
    root/models/<org>/<name>/          plain model folders (config.json, safetensors / GGUF / pickle, card)
    root/models/<loose files>          loose model files beside the folders

Every 7th target carries a malicious pickle (``os.system`` through raw GLOBAL/REDUCE opcodes — written as
bytes, never executed), every 11th a malformed safetensors header or a truncated GGUF.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import struct
from dataclasses import dataclass, field
from pathlib import Path

from tests.formats.gguf_writer import GGUFWriter

# GLOBAL os.system, BINUNICODE "id", TUPLE1, REDUCE, STOP: what a hostile checkpoint does, as raw opcodes.
EVIL_PICKLE = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00id\x85q\x01Rq\x02."
# A benign protocol-2 pickle: {"step": 10}.
BENIGN_PICKLE = b"\x80\x02}q\x00X\x04\x00\x00\x00stepq\x01K\ns."

LICENSES = ["apache-2.0", "mit", "llama3.1", "gemma", "other", "cc-by-nc-4.0"]


@dataclass
class Mirror:
    root: Path
    hf_cache: Path
    ollama: Path
    models: Path
    targets: int = 0
    malicious: set[str] = field(default_factory=set)  # specs of the targets with a planted hostile pickle
    malformed: set[str] = field(default_factory=set)  # specs of the targets with a malformed weights file
    weight_files: list[Path] = field(default_factory=list)  # every large file (for touching)


def safetensors(n_bytes: int, rnd: random.Random) -> bytes:
    n = max(1, n_bytes // 4)
    header = json.dumps(
        {"__metadata__": {"format": "pt"}, "w": {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}}
    ).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + rnd.randbytes(4 * n)


def bad_safetensors() -> bytes:
    return struct.pack("<Q", 1 << 40) + b'{"w": {"dtype": "F32"'  # header length far beyond the file


def gguf(n_bytes: int, name: str, license_id: str, rnd: random.Random) -> bytes:
    n = max(8, n_bytes // 4)
    w = GGUFWriter()
    w.string("general.architecture", "llama")
    w.string("general.name", name)
    w.string("general.license", license_id)
    w.tensor("tok.weight", [n], 0, rnd.randbytes(4 * n))
    return w.build()


def bad_gguf() -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, 1 << 50, 1)  # absurd tensor count, then nothing


def card(name: str, license_id: str) -> bytes:
    return (
        f"---\nlicense: {license_id}\nlibrary_name: transformers\n---\n# {name}\n\nA generated test model.\n"
    ).encode()


def config(i: int) -> bytes:
    return json.dumps(
        {"model_type": "llama", "hidden_size": 64 + i % 4, "architectures": ["LlamaForCausalLM"]}
    ).encode()


def _git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class _HFRepo:
    def __init__(self, cache: Path, repo_id: str) -> None:
        self.dir = cache / ("models--" + repo_id.replace("/", "--"))
        (self.dir / "blobs").mkdir(parents=True, exist_ok=True)
        (self.dir / "refs").mkdir(exist_ok=True)

    def add(self, commit: str, rel: str, data: bytes, *, lfs: bool) -> Path:
        name = hashlib.sha256(data).hexdigest() if lfs else _git_sha1(data)
        blob = self.dir / "blobs" / name
        if not blob.exists():
            blob.write_bytes(data)
        link = self.dir / "snapshots" / commit / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
        return blob

    def ref(self, commit: str) -> None:
        (self.dir / "refs" / "main").write_text(commit)


def build_mirror(
    root: Path,
    *,
    hf_repos: int = 60,
    folders: int = 60,
    ollama_models: int = 20,
    loose: int = 30,
    weight_bytes: int = 4096,
    seed: int = 0,
) -> Mirror:
    """Build the mirror under ``root``; ``weight_bytes`` is the size of each weight file."""
    rnd = random.Random(seed)
    m = Mirror(root, root / "hub", root / "ollama", root / "models")
    counter = 0

    def hostile(kind: int) -> bool:
        return kind % 7 == 3

    def broken(kind: int) -> bool:
        return kind % 11 == 5

    for i in range(hf_repos):
        counter += 1
        repo = _HFRepo(m.hf_cache, f"org{i % 5}/model-{i}")
        lic = LICENSES[i % len(LICENSES)]
        commits = [hashlib.sha1(f"{seed}-{i}-{r}".encode()).hexdigest() for r in range(1 + (i % 4 == 0))]
        weights = bad_safetensors() if broken(counter) else safetensors(weight_bytes, rnd)
        for r, commit in enumerate(commits):
            blob = repo.add(commit, "model.safetensors", weights, lfs=True)
            repo.add(commit, "config.json", config(i + r), lfs=False)
            repo.add(commit, "README.md", card(f"model-{i}", lic), lfs=False)
            spec = f"hf:org{i % 5}/model-{i}@{commit}"
            if hostile(counter):
                repo.add(commit, "pytorch_model.bin", EVIL_PICKLE, lfs=True)
                m.malicious.add(spec)
            if broken(counter):
                m.malformed.add(spec)
            m.targets += 1
        m.weight_files.append(blob)
        repo.ref(commits[-1])

    store = m.ollama
    (store / "blobs").mkdir(parents=True)
    for i in range(ollama_models):
        counter += 1
        lic = LICENSES[i % len(LICENSES)]
        layers = []
        model = bad_gguf() if broken(counter) else gguf(weight_bytes, f"ollama-{i}", lic, rnd)
        for media, data in (
            ("application/vnd.ollama.image.model", model),
            ("application/vnd.ollama.image.license", f"License: {lic}\n".encode()),
            ("application/vnd.ollama.image.template", b"{{ .Prompt }}"),
            ("application/vnd.ollama.image.params", b'{"temperature": 0.7}'),
        ):
            digest = hashlib.sha256(data).hexdigest()
            blob = store / "blobs" / f"sha256-{digest}"
            if not blob.exists():
                blob.write_bytes(data)
            layers.append({"mediaType": media, "digest": f"sha256:{digest}", "size": len(data)})
            if media.endswith(".model"):
                m.weight_files.append(blob)
                if broken(counter):
                    m.malformed.add(f"ollama:registry.ollama.ai/library/ollama-{i}:latest")
        cfg = b'{"model_format": "gguf"}'
        cfg_digest = hashlib.sha256(cfg).hexdigest()
        (store / "blobs" / f"sha256-{cfg_digest}").write_bytes(cfg)
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "digest": f"sha256:{cfg_digest}",
                "size": len(cfg),
            },
            "layers": layers,
        }
        mdir = store / "manifests" / "registry.ollama.ai" / "library" / f"ollama-{i}"
        mdir.mkdir(parents=True)
        (mdir / "latest").write_text(json.dumps(manifest))
        m.targets += 1

    for i in range(folders):
        counter += 1
        folder = m.models / f"org{i % 6}" / f"folder-{i}"
        folder.mkdir(parents=True)
        lic = LICENSES[i % len(LICENSES)]
        (folder / "config.json").write_bytes(config(i))
        (folder / "README.md").write_bytes(card(f"folder-{i}", lic))
        if i % 3 == 2:
            weights = folder / "model.gguf"
            weights.write_bytes(
                bad_gguf() if broken(counter) else gguf(weight_bytes, f"folder-{i}", lic, rnd)
            )
        else:
            weights = folder / "model.safetensors"
            weights.write_bytes(bad_safetensors() if broken(counter) else safetensors(weight_bytes, rnd))
        m.weight_files.append(weights)
        if broken(counter):
            m.malformed.add(str(folder))
        if hostile(counter):
            (folder / "optimizer.pkl").write_bytes(EVIL_PICKLE)
            m.malicious.add(str(folder))
        m.targets += 1

    for i in range(loose):
        counter += 1
        if hostile(counter):
            path = m.models / f"loose-{i}.pkl"
            path.write_bytes(EVIL_PICKLE)
            m.malicious.add(str(path))
        elif broken(counter):
            path = m.models / f"loose-{i}.safetensors"
            path.write_bytes(bad_safetensors())
            m.malformed.add(str(path))
        elif i % 2:
            path = m.models / f"loose-{i}.gguf"
            path.write_bytes(gguf(weight_bytes, f"loose-{i}", "mit", rnd))
        else:
            path = m.models / f"loose-{i}.pt"
            path.write_bytes(BENIGN_PICKLE)
        m.weight_files.append(path)
        m.targets += 1
    return m
