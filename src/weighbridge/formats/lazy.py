"""Handlers whose module loads only when their content is seen.

A format recognised by fixed magic bytes needs none of its parser (or the parser's libraries: py7zr for 7z,
Jinja2 for GGUF chat templates) to be ruled out. ``LazyEntry`` keeps the magic test here, in a module that
imports nothing, and imports the real handler the first time the test accepts a head. The start-up of a
one-file scan (a pre-commit hook, a CI job) then pays only for the parsers the file needs.

``tests/formats/test_lazy_handlers.py`` checks each entry against its real handler: same name, same
``needs_seek``, same sniff answer on every sample head.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO

from .base import FormatHandler

if TYPE_CHECKING:
    from .base import ScanContext


def lazy_handler(
    name: str, sniff: Callable[[bytes, str], bool], module: str, attribute: str, *, needs_seek: bool
) -> FormatHandler:
    """A handler called ``name`` that sniffs with ``sniff`` and scans with ``module.attribute`` (a
    ``FormatHandler``), importing that module on its first scan."""
    loaded: list[FormatHandler] = []

    def scan(ctx: ScanContext, stream: BinaryIO) -> None:
        if not loaded:
            loaded.append(real_handler(module, attribute))
        loaded[0].scan(ctx, stream)

    return FormatHandler(name=name, sniff=sniff, scan=scan, needs_seek=needs_seek)


def real_handler(module: str, attribute: str) -> FormatHandler:
    handler = getattr(importlib.import_module(module), attribute)
    if not isinstance(handler, FormatHandler):
        raise TypeError(f"{module}.{attribute} is not a FormatHandler")
    return handler


# The magic tests, equal to the handlers' own ``_sniff`` (the test above holds them to it).
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


GGUF = lazy_handler("gguf", sniff_gguf, "weighbridge.formats.gguf", "GGUF_HANDLER", needs_seek=True)
NPY = lazy_handler("npy", sniff_npy, "weighbridge.formats.numpy", "NPY_HANDLER", needs_seek=False)
ZIP = lazy_handler("zip", sniff_zip, "weighbridge.formats.archives.zip", "ZIP_HANDLER", needs_seek=True)
SEVENZ = lazy_handler(
    "7z", sniff_7z, "weighbridge.formats.archives.sevenzip", "SEVENZ_HANDLER", needs_seek=True
)
HDF5 = lazy_handler("hdf5", sniff_hdf5, "weighbridge.formats.hdf5", "HDF5_HANDLER", needs_seek=True)

#: (lazy entry, module, attribute of the real handler), for the test that holds them equal
LAZY_HANDLERS: tuple[tuple[FormatHandler, str, str], ...] = (
    (GGUF, "weighbridge.formats.gguf", "GGUF_HANDLER"),
    (NPY, "weighbridge.formats.numpy", "NPY_HANDLER"),
    (ZIP, "weighbridge.formats.archives.zip", "ZIP_HANDLER"),
    (SEVENZ, "weighbridge.formats.archives.sevenzip", "SEVENZ_HANDLER"),
    (HDF5, "weighbridge.formats.hdf5", "HDF5_HANDLER"),
)
