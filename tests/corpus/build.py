"""Write the labelled corpus to a folder.

    python -m tests.corpus.build DEST      # writes DEST/{malicious,malformed,benign}/<sample>/... + DEST/labels.json

Each sample lives in its own folder ``DEST/<label>/<name>/`` so that file names can repeat (two
``pytorch_model.bin``) and folder-shaped samples (HF repositories, ONNX with external data) stay apart.
``Sample.path`` is the file to scan, or the folder for folder-shaped samples.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Label = Literal["malicious", "malformed", "benign"]


@dataclass(frozen=True)
class Sample:
    name: str
    path: Path
    label: Label
    technique: str
    note: str

    def to_dict(self, root: Path | None = None) -> dict[str, str]:
        path = self.path.relative_to(root) if root is not None else self.path
        return {
            "name": self.name,
            "path": str(path),
            "label": self.label,
            "technique": self.technique,
            "note": self.note,
        }


class Writer:
    """Collects samples of one label under ``root/label``."""

    def __init__(self, root: Path, label: Label) -> None:
        self.base = root / label
        self.label = label
        self.samples: list[Sample] = []
        self._names: set[str] = set()

    def _slot(self, name: str) -> Path:
        if name in self._names:
            raise ValueError(f"duplicate sample name {name!r}")
        self._names.add(name)
        slot = self.base / name
        slot.mkdir(parents=True, exist_ok=False)
        return slot

    def file(self, name: str, filename: str, data: bytes, technique: str, note: str) -> Path:
        """A single-file sample ``<name>/<filename>``."""
        path = self._slot(name) / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.samples.append(Sample(name, path, self.label, technique, note))
        return path

    def write_with(
        self, name: str, filename: str, writer: Callable[[Path], object], technique: str, note: str
    ) -> Path:
        """A single-file sample written by a library call (torch.save, np.save, h5py...)."""
        path = self._slot(name) / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        writer(path)
        if not path.exists():
            raise RuntimeError(f"{name}: writer did not create {path}")
        self.samples.append(Sample(name, path, self.label, technique, note))
        return path

    def folder(
        self,
        name: str,
        files: dict[str, bytes | str],
        technique: str,
        note: str,
        *,
        scan: str | None = None,
        symlinks: dict[str, str] | None = None,
    ) -> Path:
        """A folder-shaped sample. ``scan`` picks the file inside to scan (default: the folder itself)."""
        root = self._slot(name) / "repo"
        root.mkdir()
        for rel, content in files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                p.write_text(content, encoding="utf-8")
            else:
                p.write_bytes(content)
        for rel, target in (symlinks or {}).items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.symlink_to(target)
        path = root / scan if scan else root
        self.samples.append(Sample(name, path, self.label, technique, note))
        return path


def build_corpus(dest: Path) -> list[Sample]:
    """Generate every sample under ``dest`` (created if missing; must be empty) and return their labels."""
    from . import benign, gate, malformed, malicious, model_formats

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    samples: list[Sample] = []
    for label, module in (("malicious", malicious), ("malformed", malformed), ("benign", benign)):
        w = Writer(dest, label)  # type: ignore[arg-type]
        module.build(w)
        gate.build(w)  # issue 11/12 classes (keras configs, chat templates), kept apart from the main lists
        model_formats.BUILDERS.get(label, lambda _: None)(w)
        samples.extend(w.samples)
    names = [s.name for s in samples]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ValueError(f"duplicate sample names across labels: {sorted(dupes)}")
    return samples


def write_labels(dest: Path, samples: list[Sample]) -> Path:
    out = Path(dest) / "labels.json"
    out.write_text(json.dumps([s.to_dict(Path(dest)) for s in samples], indent=1), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m tests.corpus.build DEST", file=sys.stderr)
        return 2
    dest = Path(args[0])
    if dest.exists() and any(dest.iterdir()):
        for label in ("malicious", "malformed", "benign"):
            shutil.rmtree(dest / label, ignore_errors=True)
    samples = build_corpus(dest)
    write_labels(dest, samples)
    counts = {lab: sum(s.label == lab for s in samples) for lab in ("malicious", "malformed", "benign")}
    print(f"wrote {len(samples)} samples to {dest} ({counts})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
