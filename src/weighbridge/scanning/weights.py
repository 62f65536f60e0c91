"""Broken weights: a file whose name or content promises a weight format must parse to its end.

A truncated download, a swapped file, a Git LFS pointer saved under the weights' name or an empty file is a
failed integrity check (high), not an "unrecognised format" to look at later. The decision is made here, in
one place, from three pieces of data:

* ``WEIGHT_NAMES``: which file names promise which weight format (and which parsed formats keep it);
* ``CONTENT_WEIGHTS``: parsed formats that are weights whatever the file is called;
* ``INCOMPLETE_RULES``: the parser findings that mean "the structure could not be read to its end".

Parsers keep their own detailed findings; this adds one ``WB-INT-004`` finding per broken file that names
the defect (``truncated at byte N of M declared``, ``header is not a GGUF``, ``empty weight file``…).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..core.findings import Check, Finding, Location, Severity
from ..core.rules import define, make_finding

BROKEN_WEIGHTS = define(
    "WB-INT-004",
    Check.INTEGRITY,
    Severity.HIGH,
    "Weight file is broken",
    "The file's name or content promises a weight format (GGUF, safetensors, PyTorch, ONNX, HDF5, Keras, NumPy, "
    "Flax msgpack…) but it is empty, is something else, or does not parse to its end: a truncated or failed "
    "download, a Git LFS pointer in place of the weights, or a swapped or corrupted file. Loaders fail on it or "
    "read bytes nobody inspected.",
)


@dataclass(frozen=True, slots=True)
class WeightName:
    """File names (``fnmatch`` patterns on the lower-cased base name) that promise ``label`` (with its article,
    as messages use it); the parsed formats (handler names) that keep the promise."""

    label: str
    patterns: tuple[str, ...]
    formats: frozenset[str]


_TORCH = frozenset({"zip", "pickle"})  # PyTorch: a zip archive, or the legacy stacked pickles
WEIGHT_NAMES: tuple[WeightName, ...] = (
    WeightName("a GGUF file", ("*.gguf",), frozenset({"gguf"})),
    WeightName("a safetensors file", ("*.safetensors",), frozenset({"safetensors"})),
    WeightName(
        "a PyTorch checkpoint", ("pytorch_model*.bin", "adapter_model.bin", "*.pt", "*.pth", "*.ckpt"), _TORCH
    ),
    WeightName("an ONNX model", ("*.onnx",), frozenset({"onnx"})),
    WeightName("an HDF5 (Keras) weights file", ("*.h5", "*.hdf5"), frozenset({"hdf5"})),
    WeightName("a Keras archive", ("*.keras",), frozenset({"zip"})),
    WeightName("a NumPy array", ("*.npy",), frozenset({"npy"})),
    WeightName("a NumPy archive", ("*.npz",), frozenset({"zip"})),
    WeightName("a Flax msgpack checkpoint", ("*.msgpack",), frozenset({"msgpack"})),
)
CONTENT_WEIGHTS: dict[str, str] = {
    "gguf": "a GGUF file",
    "safetensors": "a safetensors file",
    "npy": "a NumPy array",
    "onnx": "an ONNX model",
    "hdf5": "an HDF5 file",
}
INCOMPLETE_RULES = frozenset(
    {
        "WB-GGUF-001",
        "WB-GGUF-002",
        "WB-GGUF-003",
        "WB-GGUF-005",  # truncated / not GGUF, version, counts, types
        "WB-ST-001",
        "WB-ST-002",
        "WB-ST-011",  # header length, header JSON, data truncated
        "WB-NPY-001",
        "WB-NPY-003",  # header, data truncated
        "WB-ONNX-007",
        "WB-PB-001",  # protobuf runs past the end
        "WB-ZIP-001",
        "WB-ZIP-004",
        "WB-ZIP-009",  # no central directory, CRC mismatch, member truncated
        "WB-TORCH-002",
        "WB-PKL-004",  # legacy storages, pickle stream
        "WB-MSGPACK-001",  # MessagePack stream truncated or malformed
        "WB-SCAN-002",  # the parser stopped with an error
    }
)
_HEAD = 256
_GGUF_MAGIC = b"GGUF"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"


def promised(rel: str) -> WeightName | None:
    """The weight format the file's name promises, if any."""
    name = PurePosixPath(rel.lower()).name
    return next((w for w in WEIGHT_NAMES if any(fnmatch.fnmatchcase(name, p) for p in w.patterns)), None)


def check_weight_file(rel: str, abspath: str, size: int, fmt: str, findings: list[Finding]) -> Finding | None:
    """The ``WB-INT-004`` finding when the file breaks what its name or content promises (``fmt`` is what the
    content was recognised as, ``findings`` are the file's own)."""
    named = promised(rel)
    label = named.label if named is not None else CONTENT_WEIGHTS.get(fmt)
    if label is None:
        return None
    if size == 0:
        return _broken(rel, f"empty weight file: named like {label} but 0 bytes long")
    head = _read_head(abspath)
    if named is not None and fmt not in named.formats:
        return _broken(rel, _not_the_format(named, fmt, head), head)
    incomplete = next(
        (
            f
            for f in findings
            if f.rule in INCOMPLETE_RULES and (f.location is None or f.location.member is None)
        ),
        None,
    )
    if incomplete is not None:
        return _broken(
            rel,
            f"does not parse to its end as {label}: {incomplete.detail}",
            head,
            offset=incomplete.location.offset if incomplete.location else None,
        )
    if fmt == "hdf5":
        declared = _hdf5_declared_end(head)
        if declared is not None and declared > size:
            return _broken(
                rel, f"truncated at byte {size} of {declared} declared by its HDF5 superblock", head
            )
    return None


def _not_the_format(named: WeightName, fmt: str, head: bytes) -> str:
    if head.startswith(_LFS_POINTER):
        size = next(
            (
                line.split()[-1].decode("ascii", "replace")
                for line in head.splitlines()
                if line.startswith(b"size ")
            ),
            "?",
        )
        return (
            f"header is not {named.label}: the file is a Git LFS pointer (to {size} bytes), not the weights "
            "(the download fetched the pointer only)"
        )
    shown = head[:8].hex(" ")
    if "gguf" in named.formats:
        return f"header is not a GGUF: the file starts with {shown}, not 'GGUF' (47 47 55 46)"
    what = {"unknown": "unrecognised binary", "text": "text"}.get(fmt, f"{fmt} content")
    return f"header is not {named.label}: the content is {what} (starts with {shown})"


def _broken(rel: str, detail: str, head: bytes = b"", *, offset: int | None = 0) -> Finding:
    return make_finding(
        BROKEN_WEIGHTS,
        rel,
        detail,
        location=Location(offset=offset),
        evidence=head[:16].hex(" ") if head else None,
    )


def _read_head(abspath: str) -> bytes:
    try:
        with open(abspath, "rb") as fh:
            return fh.read(_HEAD)
    except OSError:
        return b""


def _hdf5_declared_end(head: bytes) -> int | None:
    """Base address + end-of-file address from an HDF5 superblock at offset 0 (versions 0-3), if readable."""
    if not head.startswith(_HDF5_MAGIC) or len(head) < 16:
        return None
    version = head[8]
    if version in (0, 1):
        width, at = head[13], 24 + (4 if version == 1 else 0)
    elif version in (2, 3):
        width, at = head[9], 12
    else:
        return None
    if width not in (2, 4, 8) or len(head) < at + 3 * width:
        return None
    base = int.from_bytes(head[at : at + width], "little")
    eof = int.from_bytes(head[at + 2 * width : at + 3 * width], "little")
    undefined = (1 << (8 * width)) - 1
    if undefined in (base, eof):
        return None
    return base + eof
