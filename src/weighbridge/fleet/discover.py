"""Find the targets of a model mirror: HF-cache revisions, Ollama models, model folders, loose model files.

Discovery only lists and stats; it never reads file contents (an Ollama store's manifests, a few kilobytes
each, are the one exception: they are the store's index). What a folder is decides how it is walked:

* a Hugging Face cache repository (``models--org--name`` with ``snapshots/``): one target per revision folder,
  ``hf:org/name@COMMIT``; a folder holding such repositories is a cache;
* an Ollama store (``manifests/`` and ``blobs/``): one target per manifest, ``ollama:host/namespace/name:tag``;
* a model folder: it holds a configuration (``config.json``, ``model_index.json``, ``adapter_config.json``,
  ``params.json``), or weights and no model below it; the folder is one target, subfolders are its parts;
* anything else is a container: its subfolders are walked, and model files lying in it are one target each.

Links to folders are not followed (a mirror's layout is its real folders); ``.git`` folders are skipped.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..core.findings import WeighbridgeError
from ..core.report import TargetKind

CONFIG_NAMES = frozenset({"config.json", "model_index.json", "adapter_config.json", "params.json"})
WEIGHT_SUFFIXES = frozenset(
    {
        ".safetensors",
        ".gguf",
        ".bin",
        ".pt",
        ".pth",
        ".ckpt",
        ".onnx",
        ".h5",
        ".hdf5",
        ".keras",
        ".pkl",
        ".pickle",
        ".joblib",
        ".npz",
        ".npy",
        ".msgpack",
        ".tflite",
        ".llamafile",
        ".ggml",
        ".mar",
        ".pb",
    }
)
SKIP_DIRS = frozenset({".git", ".locks", "__pycache__"})


@dataclass(frozen=True, slots=True)
class TargetRef:
    """One target of the mirror. ``spec`` is what ``weighbridge.sources.resolve`` takes (with ``store`` as
    the HF cache or Ollama store to resolve in); ``path`` is the folder or file whose files make it up.
    Folders and files are named by their path below the root (``org/name``), so two ``name`` folders of
    different organizations stay two models; HF and Ollama targets keep the registry's default names."""

    kind: TargetKind
    spec: str
    path: str
    store: str | None = None
    name: str | None = None  # registry model name for folders and files: their path below the root


@dataclass(frozen=True, slots=True)
class Skipped:
    """A place discovery could not use, with why (one line)."""

    path: str
    reason: str


@dataclass(slots=True)
class Discovery:
    targets: list[TargetRef]
    skipped: list[Skipped]


def discover(roots: list[str]) -> Discovery:
    """Targets under every root, sorted by spec and without repeats. A root that does not exist is an input
    error (``WeighbridgeError``); what cannot be listed below a root is reported in ``skipped``."""
    found: dict[str, TargetRef] = {}
    skipped: list[Skipped] = []
    for root in roots:
        path = os.path.abspath(os.path.expanduser(root))
        try:
            st = os.stat(path)
        except OSError as exc:
            raise WeighbridgeError(
                f"cannot use fleet root {root}: {exc.strerror or type(exc).__name__}"
            ) from None
        if stat.S_ISREG(st.st_mode):
            refs = [TargetRef(TargetKind.FILE, path, path)]
        elif stat.S_ISDIR(st.st_mode):
            refs = _folder(path, skipped)
        else:
            raise WeighbridgeError(f"cannot use fleet root {root}: not a regular file or folder")
        for ref in refs:
            if ref.kind in (TargetKind.FOLDER, TargetKind.FILE):
                ref = dataclasses.replace(ref, name=_local_name(path, ref.path))
            found.setdefault(ref.spec, ref)
    return Discovery(sorted(found.values(), key=lambda r: r.spec), sorted(skipped, key=lambda s: s.path))


def _list(folder: str, skipped: list[Skipped]) -> list[os.DirEntry[str]] | None:
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as exc:
        skipped.append(Skipped(folder, f"cannot be listed: {exc.strerror or type(exc).__name__}"))
        return None


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file(follow_symlinks=True)
    except OSError:
        return False


def _folder(folder: str, skipped: list[Skipped]) -> list[TargetRef]:
    entries = _list(folder, skipped)
    if entries is None:
        return []
    names = {e.name for e in entries if _is_dir(e)}
    base = os.path.basename(folder)
    if base.startswith("models--") and "snapshots" in names:
        return _hf_repo(folder, os.path.dirname(folder), skipped)
    if any(n.startswith("models--") for n in names):
        refs: list[TargetRef] = []
        for e in entries:
            if _is_dir(e) and e.name.startswith("models--"):
                refs += _hf_repo(e.path, folder, skipped)
        return refs
    if {"manifests", "blobs"} <= names:
        return _ollama_store(folder, skipped)
    files = [e for e in entries if _is_file(e)]
    if any(e.name in CONFIG_NAMES for e in files):
        return [TargetRef(TargetKind.FOLDER, folder, folder)]
    below: list[TargetRef] = []
    for e in entries:
        if _is_dir(e) and e.name not in SKIP_DIRS:
            below += _folder(e.path, skipped)
    weights = [e for e in files if PurePosixPath(e.name.lower()).suffix in WEIGHT_SUFFIXES]
    if not below:
        return [TargetRef(TargetKind.FOLDER, folder, folder)] if weights else []
    return below + [TargetRef(TargetKind.FILE, e.path, e.path) for e in weights]


def _hf_repo(repo_dir: str, cache: str, skipped: list[Skipped]) -> list[TargetRef]:
    parts = os.path.basename(repo_dir)[len("models--") :].split("--")
    if not 1 <= len(parts) <= 2 or not all(parts):
        skipped.append(Skipped(repo_dir, "not a Hugging Face cache repository name (models--org--name)"))
        return []
    repo_id = "/".join(parts)
    entries = _list(os.path.join(repo_dir, "snapshots"), skipped)
    return [
        TargetRef(TargetKind.HF, f"hf:{repo_id}@{e.name}", e.path, store=cache)
        for e in entries or []
        if _is_dir(e)
    ]


def _ollama_store(store: str, skipped: list[Skipped]) -> list[TargetRef]:
    refs: list[TargetRef] = []
    manifests = os.path.join(store, "manifests")
    for host in _dirs(manifests, skipped):
        for namespace in _dirs(os.path.join(manifests, host), skipped):
            for name in _dirs(os.path.join(manifests, host, namespace), skipped):
                folder = os.path.join(manifests, host, namespace, name)
                for e in _list(folder, skipped) or []:
                    if _is_file(e):
                        refs.append(
                            TargetRef(
                                TargetKind.OLLAMA,
                                f"ollama:{host}/{namespace}/{name}:{e.name}",
                                e.path,
                                store=store,
                            )
                        )
    return refs


def _dirs(folder: str, skipped: list[Skipped]) -> list[str]:
    return [e.name for e in _list(folder, skipped) or [] if _is_dir(e)]


def _local_name(root: str, path: str) -> str:
    """``org/name`` for ``ROOT/org/name``; the root's own name when the root is the target."""
    rel = os.path.relpath(path, root) if path != root else os.path.basename(path)
    cleaned = re.sub(r"[^A-Za-z0-9._+:/-]", "-", rel.replace(os.sep, "/"))
    parts = [p.strip("-.") for p in cleaned.split("/")]
    return "/".join(p for p in parts if p)[:200] or "model"
