"""Send a large request body over a raw socket and watch the serving process's memory while it is answered.

The body is generated chunk by chunk (never held by the client), so any growth of this process's resident
set during the request is the server buffering what it was sent.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

CHUNK = 1024 * 1024


def rss_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


@dataclass
class Probe:
    status: int
    sent_bytes: int
    peak_growth: int  # bytes of resident memory above the level before the request


def send_body(
    base_url: str,
    method: str,
    path: str,
    size: int,
    headers: dict[str, str] | None = None,
    chunked: bool = False,
    timeout: float = 60.0,
) -> Probe:
    url = urlsplit(base_url)
    baseline = rss_bytes()
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_bytes())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    sent = 0
    status = 0
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=timeout) as sock:
            lines = [f"{method} {path} HTTP/1.1", f"Host: {url.hostname}", "Content-Type: application/json"]
            lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
            lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            block = b"x" * CHUNK
            try:
                while sent < size:
                    piece = block[: min(CHUNK, size - sent)]
                    sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                    sent += len(piece)
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                pass  # the server answered and closed without reading the rest
            reply = b""
            try:
                while b"\r\n" not in reply:
                    data = sock.recv(4096)
                    if not data:
                        break
                    reply += data
            except (ConnectionResetError, TimeoutError):
                pass
            if reply.startswith(b"HTTP/1.1 "):
                status = int(reply.split()[1])
    finally:
        done.set()
        sampler.join()
    return Probe(status=status, sent_bytes=sent, peak_growth=max(0, peak - baseline))
