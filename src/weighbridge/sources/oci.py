"""OCI image layouts (``oci-layout`` + ``index.json`` + ``blobs/<algorithm>/<hex>``) inside a local folder.

Blobs are content-addressed: a blob's file name is the digest of its bytes. Marking each SHA-256 blob with
that expectation lets the engine's single read pass verify every layer, config and manifest (a mismatch is
the integrity finding for altered content). KitOps ModelKits unpacked with ``kit export``/``oras`` have the
same layout.
"""

from __future__ import annotations

import dataclasses
import re

from ..core.report import SnapshotFile

DIGEST_SOURCE = "OCI content-addressed blob name"
_BLOB = re.compile(r"^(?P<root>(?:.*/)?)blobs/sha256/(?P<hex>[0-9a-f]{64})$")


def with_blob_digests(files: list[SnapshotFile]) -> list[SnapshotFile]:
    """``files`` with the expected SHA-256 of every blob of an OCI layout (a folder holding ``oci-layout``)."""
    layouts = {
        f.rel[: -len("oci-layout")] for f in files if f.rel == "oci-layout" or f.rel.endswith("/oci-layout")
    }
    if not layouts:
        return files
    out: list[SnapshotFile] = []
    for f in files:
        match = _BLOB.match(f.rel)
        if match is not None and match.group("root") in layouts and f.expected_sha256 is None:
            f = dataclasses.replace(f, expected_sha256=match.group("hex"), digest_source=DIGEST_SOURCE)
        out.append(f)
    return out
