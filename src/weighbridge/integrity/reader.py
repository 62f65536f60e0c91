"""A seekable file reader that computes SHA-256 of the whole file in the same pass as parsing.

Parsers read (and seek) as they please. The reader keeps a *frontier*: every byte before it has been fed to
the hash. A read that starts at or before the frontier and ends after it extends the hash with the new
bytes. A read that starts beyond the frontier first reads the gap sequentially (hashing it) — those bytes
must be read for the digest anyway, so nothing is read twice from disk except what a parser deliberately
re-reads (headers, zip directories: small). ``finish()`` hashes whatever the parser never touched.
Memory stays bounded by the chunk size whatever the file size.
"""

from __future__ import annotations

import hashlib
import io
import os
from typing import Any

# 1 MiB: the buffer stays in a core's L2 cache (2 MiB on these Xeons) between the copy from the page cache
# and the hash, with two files hashed in parallel; 4 MiB cost ~13% more CPU and ~30% more wall time on a
# 2.5 GiB folder.
CHUNK = 1024 * 1024


class HashingReader(io.RawIOBase):
    def __init__(self, path: str | os.PathLike[str], chunk: int = CHUNK) -> None:
        super().__init__()
        self._fd = os.open(os.fspath(path), os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self.size = os.fstat(self._fd).st_size
        self._pos = 0
        self._frontier = 0
        self._hash = hashlib.sha256()
        self._buf = bytearray(chunk)
        self.bytes_read = 0  # what came from the OS, to measure the "one pass" claim

    # -- io.RawIOBase ---------------------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            new = offset
        elif whence == io.SEEK_CUR:
            new = self._pos + offset
        elif whence == io.SEEK_END:
            new = self.size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if new < 0:
            raise OSError("negative seek position")
        self._pos = new
        return new

    def readinto(self, b: Any) -> int:
        mv = memoryview(b).cast("B")
        want = len(mv)
        if want == 0 or self._pos >= self.size:
            return 0
        if self._pos > self._frontier:
            self._advance_hash(self._pos)
        n = os.preadv(self._fd, [mv], self._pos) if want > 0 else 0
        self.bytes_read += n
        end = self._pos + n
        if self._pos <= self._frontier < end:
            self._hash.update(mv[self._frontier - self._pos : n])
            self._frontier = end
        self._pos = end
        return n

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = max(0, self.size - self._pos)
        if size == 0:
            return b""
        buf = bytearray(min(size, max(0, self.size - self._pos)))
        got = 0
        while got < len(buf):
            n = self.readinto(memoryview(buf)[got:])
            if n == 0:
                break
            got += n
        del buf[got:]
        return bytes(buf)

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()

    # -- hashing ---------------------------------------------------------------------------------------
    def _advance_hash(self, until: int) -> None:
        until = min(until, self.size)
        buf = self._buf
        while self._frontier < until:
            want = min(len(buf), until - self._frontier)
            mv = memoryview(buf)[:want]
            n = os.preadv(self._fd, [mv], self._frontier)
            if n <= 0:  # file shrank underneath us
                break
            self.bytes_read += n
            self._hash.update(mv[:n])
            self._frontier += n

    def skip(self, n: int) -> None:
        """Move forward ``n`` bytes without returning them (the hash still covers them)."""
        self.seek(n, io.SEEK_CUR)

    def finish(self) -> str:
        """Hash the bytes no parser read and return the hex digest of the whole file."""
        self._advance_hash(self.size)
        if self._frontier != self.size:
            raise OSError(f"file changed size while being read ({self._frontier} of {self.size} bytes)")
        return self._hash.hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    with HashingReader(path) as r:
        return r.finish()
