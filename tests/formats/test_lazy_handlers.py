"""The lazy registry entries (formats/lazy.py) behave as the handlers they stand for: the same name and
``needs_seek``, exact magic tests answering as the real sniff, and pre-tests that no head the real sniff
accepts fails — over every file of the generated corpus (archive members included), mutations of those heads
and random bytes."""

from __future__ import annotations

import io
import os
import pickle
import random
import tarfile
import zipfile
from pathlib import Path

import pytest
from tests.corpus.build import build_corpus

from weighbridge.formats.archives.compressed import COMPRESSED_HANDLER
from weighbridge.formats.archives.tar import TAR_HANDLER
from weighbridge.formats.archives.zip import ZIP_HANDLER
from weighbridge.formats.base import FormatHandler
from weighbridge.formats.keras_metadata import KERAS_METADATA_HANDLER
from weighbridge.formats.lazy import GGUF, LAZY_ENTRIES, LazyEntry, first_tag, lazy_handler, real_handler
from weighbridge.formats.model_formats import MODEL_FORMAT_HANDLERS
from weighbridge.formats.onnx import ONNX_HANDLER, PROTOBUF_HANDLER
from weighbridge.formats.pickle.handler import PICKLE_HANDLER
from weighbridge.formats.registry import HANDLERS
from weighbridge.formats.safetensors import SAFETENSORS_HANDLER
from weighbridge.scanning.dispatch import HEAD_BYTES

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
NAMES = (
    "model.bin",
    "x.gguf",
    "a.npy",
    "b.zip",
    "c.7z",
    "d.h5",
    "saved_model.pb",
    "m.onnx",
    "c.yaml",
    "x.json",
)


def member_heads(path: Path) -> list[bytes]:
    """The heads of an archive's members (they are sniffed too when the archive is scanned)."""
    heads: list[bytes] = []
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist()[:200]:
                    with archive.open(info) as member:
                        heads.append(member.read(HEAD_BYTES))
        elif tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                for tar_info in archive.getmembers()[:200]:
                    extracted = archive.extractfile(tar_info) if tar_info.isfile() else None
                    if extracted is not None:
                        heads.append(extracted.read(HEAD_BYTES))
    except Exception:  # noqa: BLE001 - the malformed samples (bad deflate, cut archives…): their heads are in
        pass  # the list already
    return heads


@pytest.fixture(scope="module")
def heads(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    root = tmp_path_factory.mktemp("corpus")
    build_corpus(root)
    rng = random.Random(13)
    found: list[bytes] = [b"", b"G", b"GGU", b"ggUF", pickle.dumps({"a": 1}), b'{"chat_template": "x"}']
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        with path.open("rb") as f:
            found.append(f.read(HEAD_BYTES))
        found.extend(member_heads(path))
    for head in list(found):  # mutations keep most of a real head: the pre-tests must not lean on luck
        if len(head) > 16:
            for _ in range(3):
                mutated = bytearray(head)
                mutated[rng.randrange(8, len(head))] ^= 1 << rng.randrange(8)
                found.append(bytes(mutated))
            found.append(head[: rng.randrange(1, len(head))])
    for magic in MAGICS:
        found.append(magic)
        found.append(magic + bytes(rng.randrange(256) for _ in range(64)))
        found.append(b"\x00" + magic)
        for offset in (512, 1024, 2048, 100):
            found.append(b"\x00" * offset + magic + b"\x00" * 16)
    found.extend(os.urandom(rng.randrange(1, 4096)) for _ in range(200))
    return found


def test_corpus_reaches_every_structured_format(heads: list[bytes]) -> None:
    """The check below is only as good as its heads: every pre-tested format must be accepted by some."""
    for entry in LAZY_ENTRIES:
        real = real_handler(entry.module, entry.attribute)
        assert any(real.sniff(head, name) for head in heads for name in NAMES), real.name


@pytest.mark.parametrize("entry", LAZY_ENTRIES, ids=lambda e: f"{e.handler.name}:{e.attribute}")
def test_lazy_entry_stands_for_its_handler(entry: LazyEntry, heads: list[bytes]) -> None:
    real = real_handler(entry.module, entry.attribute)
    assert entry.handler.name == real.name
    assert entry.handler.needs_seek == real.needs_seek
    for head in heads:
        for name in NAMES:
            accepted = real.sniff(head, name)
            if entry.exact:
                assert entry.test(head, name) == accepted, (real.name, head[:16])
            elif accepted:
                assert entry.test(head, name), (real.name, entry.attribute, head[:32])
            assert entry.handler.sniff(head, name) == accepted


def test_registry_order_is_the_handlers_order() -> None:
    stood_for = tuple(real_handler(entry.module, entry.attribute) for entry in LAZY_ENTRIES)
    assert tuple(entry.handler for entry in LAZY_ENTRIES) == HANDLERS
    assert stood_for[0] is real_handler("weighbridge.formats.gguf", "GGUF_HANDLER")
    assert stood_for[6:] == (
        COMPRESSED_HANDLER,
        *MODEL_FORMAT_HANDLERS,
        SAFETENSORS_HANDLER,
        PICKLE_HANDLER,
        KERAS_METADATA_HANDLER,
        ONNX_HANDLER,
        PROTOBUF_HANDLER,
    )
    assert stood_for[2] is ZIP_HANDLER and stood_for[4] is TAR_HANDLER


def test_first_tag_reads_protobuf_tags() -> None:
    assert first_tag(b"\x08\x01") == (1, 0)
    assert first_tag(b"\x12\x00") == (2, 2)
    assert first_tag(b"\x88\x00") == (1, 0)  # a non-minimal varint is still field 1
    assert first_tag(b"\x80\x04\x95") == (64, 0)  # a pickle's PROTO 4 read as a tag
    assert first_tag(b"\xff" * 12) is None
    assert first_tag(b"") is None


def test_lazy_handler_refuses_what_is_not_a_handler() -> None:
    entry = lazy_handler(
        "bad", lambda head, name: True, "weighbridge.formats.lazy", "GGUF_MAGIC", needs_seek=False
    )
    with pytest.raises(TypeError):
        entry.scan(None, None)  # type: ignore[arg-type]
    assert isinstance(GGUF, FormatHandler)


def test_pickle_head_loads_no_other_parser() -> None:
    """What a one-file pickle scan pays for: no pre-test before the pickle handler passes a pickle's head."""
    head = pickle.dumps({"layer.weight": [0.5, 1.5], "step": 3}, protocol=4)
    before = [entry for entry in LAZY_ENTRIES if entry.handler.name != "pickle"][:24]
    assert [e.handler.name for e in before if e.test(head, "weights.pkl")] == []
    assert io.BytesIO(head).read(2) == b"\x80\x04"
