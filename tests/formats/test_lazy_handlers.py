"""The lazy handler entries (formats/lazy.py) behave as the handlers they stand for."""

from __future__ import annotations

import os
import pickle
import random

import pytest

from weighbridge.formats.base import FormatHandler
from weighbridge.formats.lazy import LAZY_HANDLERS, lazy_handler, real_handler
from weighbridge.formats.registry import HANDLERS

MAGICS = [
    b"GGUF",
    b"\x93NUMPY",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"PK\x07\x08",
    b"PK\x06\x06",
    b"PK\x01\x02",
    b"7z\xbc\xaf\x27\x1c",
    b"7z\xbc\xaf\x27",
    b"\x89HDF\r\n\x1a\n",
    b"\x89HDF\r\n\x1a",
]


def sample_heads() -> list[bytes]:
    rng = random.Random(13)
    heads = [b"", b"G", b"GGU", b"ggUF", pickle.dumps({"a": 1}), b'{"chat_template": "x"}']
    for magic in MAGICS:
        heads.append(magic)
        heads.append(magic + bytes(rng.randrange(256) for _ in range(64)))
        heads.append(b"\x00" + magic)
        for offset in (512, 1024, 2048, 100):
            heads.append(b"\x00" * offset + magic + b"\x00" * 16)
    heads.extend(os.urandom(rng.randrange(1, 4096)) for _ in range(200))
    return heads


@pytest.mark.parametrize(
    ("entry", "module", "attribute"), LAZY_HANDLERS, ids=lambda v: getattr(v, "name", "")
)
def test_lazy_entry_matches_the_real_handler(entry: FormatHandler, module: str, attribute: str) -> None:
    real = real_handler(module, attribute)
    assert entry.name == real.name
    assert entry.needs_seek == real.needs_seek
    for head in sample_heads():
        for name in ("model.bin", "x.gguf", "a.npy", "b.zip", "c.7z", "d.h5"):
            assert entry.sniff(head, name) == real.sniff(head, name), (real.name, head[:16])


def test_registry_uses_every_lazy_entry() -> None:
    for entry, _, _ in LAZY_HANDLERS:
        assert entry in HANDLERS


def test_lazy_handler_refuses_what_is_not_a_handler() -> None:
    entry = lazy_handler(
        "bad", lambda head, name: True, "weighbridge.formats.lazy", "GGUF_MAGIC", needs_seek=False
    )
    with pytest.raises(TypeError):
        entry.scan(None, None)  # type: ignore[arg-type]
