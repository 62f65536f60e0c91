"""The format handlers as entries whose parser module loads only when a head could be theirs.

Ruling a format out must not cost its parser: a one-file scan (a pre-commit hook, a CI job) would otherwise
import every parser, and the libraries behind them, to read one pickle. Each entry here keeps a test that
imports nothing:

* an **exact** test, for formats recognised by fixed magic bytes (GGUF, NumPy, zip, 7z, HDF5): it is the
  handler's own sniff, and the module loads the first time a file of its format is scanned;
* a **pre-test**, for formats recognised by their structure (protobuf shapes, flatbuffers, MessagePack, JSON
  and YAML manifests…): a condition every head the real sniff accepts meets — its first protobuf tag, a
  file identifier, a key the manifest must hold. A head that fails it is not that format; a head that passes
  is handed to the real sniff, whose module loads then.

``tests/formats/test_lazy_handlers.py`` holds every entry to its handler: the same name and ``needs_seek``;
exact tests answer as the real sniff does, and no head the real sniff accepts fails a pre-test (over the
whole generated corpus, archive members included, and mutated and random heads).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from .base import FormatHandler

if TYPE_CHECKING:
    from .base import ScanContext

Sniff = Callable[[bytes, str], bool]


@dataclass(frozen=True)
class LazyEntry:
    """How a handler is stood for: its ``test`` (exact or a pre-test) and where the real one lives."""

    handler: FormatHandler
    test: Sniff
    module: str
    attribute: str
    exact: bool


def real_handler(module: str, attribute: str) -> FormatHandler:
    handler = getattr(importlib.import_module(module), attribute)
    if not isinstance(handler, FormatHandler):
        raise TypeError(f"{module}.{attribute} is not a FormatHandler")
    return handler


def lazy_handler(
    name: str, test: Sniff, module: str, attribute: str, *, needs_seek: bool, exact: bool = True
) -> FormatHandler:
    """A handler called ``name`` standing for ``module.attribute`` (a ``FormatHandler``), which is imported
    the first time it is needed: to scan (``exact``: ``test`` is the whole sniff) or to sniff a head that
    passed the pre-test ``test``."""
    loaded: list[FormatHandler] = []

    def real() -> FormatHandler:
        if not loaded:
            loaded.append(real_handler(module, attribute))
        return loaded[0]

    def scan(ctx: ScanContext, stream: BinaryIO) -> None:
        real().scan(ctx, stream)

    if exact:
        return FormatHandler(name=name, sniff=test, scan=scan, needs_seek=needs_seek)

    def sniff(head: bytes, lowercase_name: str) -> bool:
        return test(head, lowercase_name) and real().sniff(head, lowercase_name)

    return FormatHandler(name=name, sniff=sniff, scan=scan, needs_seek=needs_seek)


# -- exact magic tests (equal to the handlers' own sniffs) ------------------------------------------------
GGUF_MAGIC = b"GGUF"
NPY_MAGIC = b"\x93NUMPY"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")  # local header, end of directory, descriptor
SEVENZ_SIGNATURE = b"7z\xbc\xaf\x27\x1c"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
HDF5_USERBLOCK_OFFSETS = (0, 512, 1024, 2048)


def sniff_gguf(head: bytes, name: str) -> bool:
    return head[:4] == GGUF_MAGIC


def sniff_npy(head: bytes, name: str) -> bool:
    return head.startswith(NPY_MAGIC)


def sniff_zip(head: bytes, name: str) -> bool:
    return head[:4] in ZIP_SIGNATURES


def sniff_7z(head: bytes, name: str) -> bool:
    return head.startswith(SEVENZ_SIGNATURE)


def sniff_hdf5(head: bytes, name: str) -> bool:
    return any(head[o : o + len(HDF5_MAGIC)] == HDF5_MAGIC for o in HDF5_USERBLOCK_OFFSETS)


# -- pre-tests (necessary conditions of the handlers' sniffs) ---------------------------------------------
TAR_BLOCK = 512
COMPRESSED_MAGICS = (
    b"ZF",  # joblib's zlib container
    b"\x78",  # zlib
    b"\x1f\x8b",  # gzip
    b"BZh",  # bzip2
    b"\xfd7zXZ\x00",  # xz
    b"\x5d\x00\x00",  # lzma-alone
    b"\x04\x22\x4d\x18",  # lz4 frame
)
EXECUTABLE_MAGICS = (b"MZ", b"\x7fELF", b"jartsr", b"APEDBG")  # PE and APE (MZqFpD), ELF, APE variants
MACHO_MAGICS = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")


def first_tag(head: bytes) -> tuple[int, int] | None:
    """(field number, wire type) of the protobuf tag ``head`` starts with; None when it starts with none."""
    value = shift = 0
    for byte in head[:10]:
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value >> 3, value & 7
        shift += 7
    return None


def tag_in(*allowed: tuple[int, int]) -> Sniff:
    """Pre-test of a message whose first field is one of ``allowed`` (field number, wire type)."""
    wanted = frozenset(allowed)

    def test(head: bytes, name: str) -> bool:
        return first_tag(head) in wanted

    return test


def any_tag(head: bytes, name: str) -> bool:
    """Pre-test of any protobuf message: a first tag with a field number and a wire type that exists."""
    tag = first_tag(head)
    return tag is not None and tag[0] >= 1 and tag[1] in (0, 1, 2, 5)


def may_be_tar(head: bytes, name: str) -> bool:
    """ustar magic, or a v7 header: a whole first block, a name, and octal digits in the checksum field."""
    if head[257:262] == b"ustar":
        return True
    if len(head) < TAR_BLOCK or head[0] == 0:
        return False
    field = head[148:156].split(b"\x00", 1)[0].strip()
    return bool(field) and len(field) <= 8 and all(0x30 <= b <= 0x37 for b in field)


def may_be_compressed(head: bytes, name: str) -> bool:
    return head.startswith(COMPRESSED_MAGICS)


def may_be_tflite(head: bytes, name: str) -> bool:
    return head[4:8] == b"TFL3"


def may_be_executorch(head: bytes, name: str) -> bool:
    return head[4:6] == b"ET"


def may_be_paddle_params(head: bytes, name: str) -> bool:
    return head[:4] == b"\0\0\0\0"


def may_be_executable(head: bytes, name: str) -> bool:
    return head.startswith(EXECUTABLE_MAGICS) or head[:4] in MACHO_MAGICS


def may_be_msgpack(head: bytes, name: str) -> bool:
    return bool(head) and (0x81 <= head[0] <= 0x8F or head[0] in (0xDE, 0xDF))


def may_be_pbtxt(head: bytes, name: str) -> bool:
    return b"op:" in head


def may_be_config(head: bytes, name: str) -> bool:
    """A YAML configuration: text (no NUL) that does not open as JSON, naming a target or with a ``key:``."""
    return (
        (b":" in head or b"_target_" in head) and b"\0" not in head and head.lstrip()[:1] not in (b"{", b"[")
    )


def json_with(*keys: bytes) -> Sniff:
    """Pre-test of a JSON manifest that must hold every one of ``keys``."""

    def test(head: bytes, name: str) -> bool:
        return head.lstrip()[:1] == b"{" and all(key in head for key in keys)

    return test


def may_be_keras_savedmodel_metadata(head: bytes, name: str) -> bool:
    return b"_tf_keras" in head


def may_be_keras_metadata(head: bytes, name: str) -> bool:
    return head[:1] == b"\x0a"


def may_be_safetensors(head: bytes, name: str) -> bool:
    return len(head) >= 10 and head[8] == 0x7B


F = "weighbridge.formats."

#: every entry, in the order the registry tries them
LAZY_ENTRIES: tuple[LazyEntry, ...] = tuple(
    LazyEntry(
        lazy_handler(name, test, F + module, attribute, needs_seek=needs_seek, exact=exact),
        test,
        F + module,
        attribute,
        exact,
    )
    for name, test, module, attribute, needs_seek, exact in (
        ("gguf", sniff_gguf, "gguf", "GGUF_HANDLER", True, True),
        ("npy", sniff_npy, "numpy", "NPY_HANDLER", False, True),
        ("zip", sniff_zip, "archives.zip", "ZIP_HANDLER", True, True),
        ("7z", sniff_7z, "archives.sevenzip", "SEVENZ_HANDLER", True, True),
        ("tar", may_be_tar, "archives.tar", "TAR_HANDLER", True, False),
        ("hdf5", sniff_hdf5, "hdf5", "HDF5_HANDLER", True, True),
        ("compressed", may_be_compressed, "archives.compressed", "COMPRESSED_HANDLER", False, False),
        # the model formats recognised by their structure (model_formats.MODEL_FORMAT_HANDLERS, same order)
        ("tflite", may_be_tflite, "mobile", "TFLITE_HANDLER", True, False),
        ("executorch", may_be_executorch, "mobile", "EXECUTORCH_HANDLER", True, False),
        ("tf-savedmodel", tag_in((1, 0), (2, 2)), "tensorflow", "SAVED_MODEL_HANDLER", True, False),
        (
            "tf-graphdef",
            tag_in((1, 2), (2, 2), (3, 0), (4, 2)),
            "tensorflow",
            "GRAPH_DEF_HANDLER",
            True,
            False,
        ),
        (
            "keras-savedmodel-metadata",
            may_be_keras_savedmodel_metadata,
            "tensorflow",
            "KERAS_METADATA_HANDLER",
            True,
            False,
        ),
        ("paddle-program", tag_in((1, 2)), "paddle", "PADDLE_HANDLER", True, False),
        ("paddle-params", may_be_paddle_params, "paddle", "PADDLE_PARAMS_HANDLER", True, False),
        ("coreml", tag_in((1, 0)), "coreml", "COREML_HANDLER", True, False),
        ("executable", may_be_executable, "executable", "EXECUTABLE_HANDLER", True, False),
        ("msgpack", may_be_msgpack, "msgpack", "MSGPACK_HANDLER", True, False),
        ("tf-pbtxt", may_be_pbtxt, "tensorflow", "PBTXT_HANDLER", False, False),
        ("yaml-config", may_be_config, "config_targets", "CONFIG_TARGETS_HANDLER", False, False),
        ("text", json_with(b'"modelName"'), "torchserve", "TORCHSERVE_MANIFEST_HANDLER", False, False),
        ("text", json_with(b'"__loader__"', b'"__module__"'), "skops", "SKOPS_SCHEMA_HANDLER", False, False),
        ("text", json_with(b'"schemaVersion"'), "oci", "OCI_MANIFEST_HANDLER", False, False),
        ("text", json_with(b'"itemInfoEntries"'), "coreml", "MLPACKAGE_MANIFEST_HANDLER", False, False),
        # then the content probes; the pickle handler has no pre-test (a pickle may start with most bytes)
        ("safetensors", may_be_safetensors, "safetensors", "SAFETENSORS_HANDLER", True, False),
        ("pickle", lambda head, name: True, "pickle.handler", "PICKLE_HANDLER", False, False),
        ("keras-metadata", may_be_keras_metadata, "keras_metadata", "KERAS_METADATA_HANDLER", True, False),
        ("onnx", any_tag, "onnx", "ONNX_HANDLER", True, False),
        ("protobuf", any_tag, "onnx", "PROTOBUF_HANDLER", True, False),
    )
)

ENTRY_BY_NAME = {entry.handler.name: entry for entry in LAZY_ENTRIES if entry.exact}
GGUF = ENTRY_BY_NAME["gguf"].handler
NPY = ENTRY_BY_NAME["npy"].handler
ZIP = ENTRY_BY_NAME["zip"].handler
SEVENZ = ENTRY_BY_NAME["7z"].handler
HDF5 = ENTRY_BY_NAME["hdf5"].handler
