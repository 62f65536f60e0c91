"""HDF5 files (legacy Keras ``.h5`` models and any other HDF5 container).

Only metadata is read: the object tree, link types, dataset storage properties, and the root attributes
Keras writes (``model_config`` goes to the Keras configuration walker). Dataset contents are never read and
links are never followed out of the file.

The HDF5 C library is a large parser with a history of memory-safety bugs on malformed files, so h5py runs
in a separate worker process with an address-space limit and a per-file timeout: a file that crashes or
hangs the library becomes a finding instead of taking the scanner down. The worker is started once and
reused; it reports plain observations (JSON) and this module turns them into findings.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import importlib.util
import json
import os
import re
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from typing import Any, BinaryIO

from ..core.findings import Check, Location, Severity
from ..core.rules import define
from .base import FormatHandler, ScanContext
from .keras import scan_keras_config

MAGIC = b"\x89HDF\r\n\x1a\n"
USERBLOCK_OFFSETS = (0, 512, 1024, 2048)
BUILTIN_FILTERS = frozenset({1, 2, 3, 4, 5, 6})  # deflate, shuffle, fletcher32, szip, nbit, scaleoffset
MAX_LISTED = 200
TEXT_CAP = 1024
MAX_SOFT_HOPS = 16
TIMEOUT_SECONDS = 120.0
WORKER_MEMORY = 2 * 1024**3
WORKER_REQUESTS = 500  # restart the worker now and then so the library's state cannot pile up
RAW_SEARCH_BYTES = 64 * 1024 * 1024  # how much of a file the h5py-free Keras config search reads
RAW_CONFIG_BYTES = 16 * 1024 * 1024  # longest configuration decoded from the raw bytes
_RAW_MARKERS = (b"model_config", b"training_config")
_RAW_START = re.compile(r'\{\s*"')  # where a JSON object with keys may start
RAW_ATTEMPTS = 4096

NOT_INSPECTED = define(
    "WB-H5-001",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "HDF5 file not inspected",
    "The HDF5 metadata could not be read: h5py is not installed, the library rejected the file, crashed or "
    "timed out on it. Keras configurations are then read from the raw bytes; high when the file names a "
    "Keras model_config that could not be read that way (a Keras model can carry code).",
)
EXTERNAL_STORAGE = define(
    "WB-H5-002",
    Check.ARTIFACT,
    Severity.HIGH,
    "Dataset stored in external files",
    "A dataset's raw data lives in external files named in the dataset's properties. Reading the dataset "
    "(loading the weights) reads those files from the host, e.g. /etc/passwd or private keys.",
)
EXTERNAL_LINK = define(
    "WB-H5-003",
    Check.ARTIFACT,
    Severity.HIGH,
    "External link to another HDF5 file",
    "The file links to an object in another file; following the link makes the library open a file "
    "chosen by the model author.",
)
SOFT_LINK = define(
    "WB-H5-004",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Soft link that does not resolve inside the file",
    "A soft link points to a path that does not exist in the file, loops, or leads through an external "
    "link. Loaders that follow it fail or open another file.",
)
VIRTUAL_DATASET = define(
    "WB-H5-005",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "Virtual dataset",
    "A virtual dataset assembles its data from source datasets, possibly in other files; reading it opens "
    "those files.",
)
FILTER_PLUGIN = define(
    "WB-H5-006",
    Check.ARTIFACT,
    Severity.LOW,
    "Dataset needs a third-party filter plugin",
    "A dataset is compressed with a filter that is not built into HDF5. Reading it makes the library load a "
    "native plugin from HDF5_PLUGIN_PATH.",
)
INCOMPLETE = define(
    "WB-H5-007",
    Check.ARTIFACT,
    Severity.MEDIUM,
    "HDF5 object tree not inspected completely",
    "Walking the object tree stopped early (too many objects, an unreadable link or object). What lies "
    "beyond was not checked.",
)
KERAS_MODEL = define(
    "WB-H5-008",
    Check.ARTIFACT,
    Severity.INFO,
    "Keras HDF5 model",
    "The file carries a Keras model configuration, which was checked like a .keras config.json.",
)


def _sniff(head: bytes, name: str) -> bool:
    return any(head[o : o + len(MAGIC)] == MAGIC for o in USERBLOCK_OFFSETS)


# -- worker side (runs in the child process; imports h5py) ------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value)
    return text if len(text) <= TEXT_CAP else text[:TEXT_CAP] + "…"


def _attr_bytes(h5py: Any, obj: Any, name: str, cap: int) -> tuple[bytes | None, int | None]:
    """Read a (string) attribute when its stored size is within ``cap``; returns (bytes, oversize)."""
    if name not in obj.attrs:
        return None, None
    size = int(h5py.h5a.open(obj.id, name.encode()).get_storage_size())
    if size > cap:
        return None, size
    value = obj.attrs[name]
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else json.dumps([_text(v) for v in value])
    if isinstance(value, bytes):
        return value, None
    return str(value).encode("utf-8", "surrogatepass"), None


class _Walk:
    def __init__(self, h5py: Any, f: Any, max_objects: int) -> None:
        self.h5py = h5py
        self.f = f
        self.max_objects = max_objects
        self.out: dict[str, Any] = {
            "external_storage": [],
            "external_links": [],
            "soft_links": [],
            "virtual": [],
            "filters": [],
            "objects": 0,
            "truncated": None,
        }

    def add(self, key: str, item: dict[str, Any]) -> None:
        items: list[dict[str, Any]] = self.out[key]
        if len(items) < MAX_LISTED:
            items.append(item)

    def run(self) -> dict[str, Any]:
        h5py = self.h5py
        queue: deque[tuple[str, Any]] = deque([("/", self.f)])
        visited: set[tuple[int, int]] = set()
        while queue:
            path, group = queue.popleft()
            for name in group:
                self.out["objects"] += 1
                if self.out["objects"] > self.max_objects:
                    self.out["truncated"] = f"more than {self.max_objects} objects"
                    return self.out
                full = f"{path.rstrip('/')}/{name}"
                link = group.get(name, getlink=True)
                if isinstance(link, h5py.ExternalLink):
                    self.add(
                        "external_links",
                        {"link": full, "file": _text(link.filename), "target": _text(link.path)},
                    )
                elif isinstance(link, h5py.SoftLink):
                    problem = self.resolve(link.path, path, 0)
                    if problem:
                        self.add("soft_links", {"link": full, "target": _text(link.path), "problem": problem})
                else:
                    self.object(full, group[name], queue, visited)
        return self.out

    def object(
        self, full: str, obj: Any, queue: deque[tuple[str, Any]], visited: set[tuple[int, int]]
    ) -> None:
        h5py = self.h5py
        if isinstance(obj, h5py.Group):
            info = h5py.h5o.get_info(obj.id)
            key = (int(info.fileno), int(info.addr))
            if key not in visited:
                visited.add(key)
                queue.append((full, obj))
        elif isinstance(obj, h5py.Dataset):
            external = obj.external
            if external:
                self.add(
                    "external_storage",
                    {
                        "dataset": full,
                        "files": [[_text(n), int(o), int(s)] for n, o, s in external[:MAX_LISTED]],
                    },
                )
            if obj.is_virtual:
                sources = [
                    [_text(s.file_name), _text(s.dset_name)] for s in obj.virtual_sources()[:MAX_LISTED]
                ]
                self.add("virtual", {"dataset": full, "sources": sources})
            dcpl = obj.id.get_create_plist()
            unknown = []
            for i in range(min(dcpl.get_nfilters(), 32)):
                code, _flags, _values, fname = dcpl.get_filter(i)
                if int(code) not in BUILTIN_FILTERS:
                    unknown.append([int(code), _text(fname)])
            if unknown:
                self.add("filters", {"dataset": full, "filters": unknown})

    def resolve(self, target: str, base: str, hops: int) -> str | None:
        """Follow a soft link by hand (never through an external link); returns a problem or None."""
        h5py = self.h5py
        if hops > MAX_SOFT_HOPS:
            return "soft links loop or chain too deep"
        full = target if target.startswith("/") else f"{base.rstrip('/')}/{target}"
        current = self.f["/"]
        here = "/"
        parts = [p for p in full.split("/") if p and p != "."]
        for i, part in enumerate(parts):
            if not isinstance(current, h5py.Group) or part == "..":
                return f"path component {part!r} does not name a group member"
            link = current.get(part, getlink=True)
            if link is None:
                return "target does not exist"
            if isinstance(link, h5py.ExternalLink):
                return f"leads through an external link to {_text(link.filename)!r}"
            if isinstance(link, h5py.SoftLink):
                rest = "/".join(parts[i + 1 :])
                linked = link.path if link.path.startswith("/") else f"{here.rstrip('/')}/{link.path}"
                return self.resolve(f"{linked.rstrip('/')}/{rest}" if rest else linked, "/", hops + 1)
            current = current[part]
            here = f"{here.rstrip('/')}/{part}"
        return None


def probe_file(path: str, max_objects: int, max_attr: int) -> dict[str, Any]:
    """Observations about one HDF5 file (runs inside the worker; tests may call it directly)."""
    try:
        import h5py
    except ImportError:
        return {"ok": False, "missing_h5py": True}
    try:
        f = h5py.File(path, "r", locking=False)
    except Exception as exc:  # noqa: BLE001 - any refusal by the library is an observation
        return {"ok": False, "error": _text(f"{type(exc).__name__}: {exc}")}
    result: dict[str, Any] = {"ok": True, "attrs": {}, "oversize": {}}
    with f:
        try:
            for name in ("model_config", "training_config", "keras_version", "backend"):
                value, oversize = _attr_bytes(h5py, f, name, max_attr)
                if value is not None:
                    result["attrs"][name] = base64.b64encode(value).decode("ascii")
                if oversize is not None:
                    result["oversize"][name] = oversize
        except Exception as exc:  # noqa: BLE001
            result["attr_error"] = _text(f"{type(exc).__name__}: {exc}")
        walk = _Walk(h5py, f, max_objects)
        try:
            walk.run()
        except Exception as exc:  # noqa: BLE001
            walk.out["truncated"] = _text(f"{type(exc).__name__}: {exc}")
        result.update(walk.out)
    return result


def worker_main() -> None:
    """Serve probe requests, one JSON line in, one JSON line out, until stdin closes."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    except (ImportError, ValueError, OSError):
        pass
    for line in sys.stdin:
        try:
            request = json.loads(line)
            reply = probe_file(str(request["path"]), int(request["max_objects"]), int(request["max_attr"]))
        except MemoryError:
            reply = {"ok": False, "error": "the HDF5 library ran out of memory"}
        except Exception as exc:  # noqa: BLE001 - reported to the parent as a refusal
            reply = {"ok": False, "error": _text(f"{type(exc).__name__}: {exc}")}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


# -- parent side ------------------------------------------------------------------------------------------


def _worker_command() -> list[str]:
    # The worker needs this module only: it registers a bare ``weighbridge`` package object so that the
    # package's __init__ (the whole scanner) is not imported into the child.
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = (
        "import sys, types\n"
        "pkg = types.ModuleType('weighbridge')\n"
        f"pkg.__path__ = [{package!r}]\n"
        "sys.modules['weighbridge'] = pkg\n"
        "from weighbridge.formats.hdf5 import worker_main\n"
        "worker_main()\n"
    )
    return [sys.executable, "-c", code]


class Worker:
    """One reusable child process running ``worker_main``; a crash or a timeout costs only that child."""

    def __init__(self, command: list[str] | None = None, timeout: float = TIMEOUT_SECONDS) -> None:
        self.command = command or _worker_command()
        self.timeout = timeout
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None
        self.served = 0

    def _start(self) -> subprocess.Popen[bytes]:
        env = dict(
            os.environ,
            HDF5_USE_FILE_LOCKING="FALSE",
            OPENBLAS_NUM_THREADS="1",
            OMP_NUM_THREADS="1",
            HDF5_PLUGIN_PATH=os.devnull,
        )
        self.served = 0
        return subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()

    def request(self, payload: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None or self.served >= WORKER_REQUESTS:
                self.stop()
                self.proc = self._start()
            proc = self.proc
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(json.dumps(payload).encode() + b"\n")
                proc.stdin.flush()
            except OSError:
                self.stop()
                return {"ok": False, "crashed": "the worker process could not be reached"}
            line = self._read_line(proc)
            self.served += 1
            if line is None:
                self.stop()
                return {"ok": False, "timeout": self.timeout}
            if not line:
                code = proc.wait()
                self.stop()
                return {"ok": False, "crashed": f"the HDF5 worker died (exit status {code})"}
            try:
                reply = json.loads(line)
            except ValueError:
                self.stop()
                return {"ok": False, "crashed": "the HDF5 worker sent an unreadable reply"}
            return reply if isinstance(reply, dict) else {"ok": False, "crashed": "unexpected reply"}

    def _read_line(self, proc: subprocess.Popen[bytes]) -> bytes | None:
        """One reply line; b"" when the child died, None on timeout."""
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        chunks: list[bytes] = []
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            deadline = time.monotonic() + self.timeout
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not sel.select(remaining):
                    return None
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return b""
                chunks.append(chunk)
                if chunk.endswith(b"\n"):
                    return b"".join(chunks)


_WORKER = Worker()
atexit.register(_WORKER.stop)


def _h5py_available() -> bool:
    return importlib.util.find_spec("h5py") is not None


def _spool(stream: BinaryIO) -> str:
    """Copy a nested stream to a temporary file the worker can open (chunked: bounded memory)."""
    fd, path = tempfile.mkstemp(suffix=".h5", prefix="weighbridge-")
    with os.fdopen(fd, "wb") as out:
        stream.seek(0)
        while True:
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            out.write(chunk)
    return path


def _scan(ctx: ScanContext, stream: BinaryIO) -> None:
    if not _h5py_available():
        raw_keras(ctx, stream, "h5py is not installed (pip install h5py)", "import h5py failed")
        return
    top_level = ctx.member is None and ctx.fs_path is not None
    try:
        path = ctx.fs_path if top_level and ctx.fs_path else _spool(stream)
    except OSError as exc:
        ctx.report(
            NOT_INSPECTED,
            f"the HDF5 content could not be copied for inspection: {exc}",
            evidence=type(exc).__name__,
        )
        return
    try:
        reply = _WORKER.request(
            {"path": path, "max_objects": ctx.limits.max_members, "max_attr": ctx.limits.max_header_bytes}
        )
    finally:
        if not top_level:
            os.unlink(path)
    report_observations(ctx, reply)
    if not reply.get("ok"):
        raw_keras(ctx, stream, None, None)


# -- without the HDF5 library: Keras configurations found in the raw bytes ------------------------------------


def _raw_configs(data: bytes) -> tuple[list[bytes], bool]:
    """JSON objects in ``data`` that look like Keras configurations (class_name somewhere inside), and whether
    every candidate was examined.

    A string attribute is stored contiguously: fixed-length strings inside the object header message, variable-
    length ones in a global heap collection. Either way the JSON text is in the file as is, so a JSON decoder
    started at each object opening finds it without understanding the HDF5 structure around it. The work is
    bounded (starts and decoded characters); running out of it means the search was not complete.
    """
    text = data.decode("utf-8", "replace")
    decoder = json.JSONDecoder()
    found: list[bytes] = []
    budget = 4 * len(text) + 1024
    pos = 0
    for _attempt in range(RAW_ATTEMPTS):
        match = _RAW_START.search(text, pos)
        if match is None:
            return found, True
        if budget <= 0:
            return found, False
        at = match.start()
        try:
            value, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            budget -= max(exc.pos - at, 1)
            pos = at + 1
            continue
        except (ValueError, RecursionError):
            budget -= 1024
            pos = at + 1
            continue
        budget -= end - at
        if isinstance(value, dict) and '"class_name"' in text[at:end] and end - at <= RAW_CONFIG_BYTES:
            found.append(text[at:end].encode("utf-8"))
        pos = max(end, at + 1)
    return found, _RAW_START.search(text, pos) is None


def raw_keras(ctx: ScanContext, stream: BinaryIO, why: str | None, evidence: str | None) -> None:
    """Fail closed without the library: find Keras configurations in the bytes and check them.

    ``why`` is reported as the reason the object tree was not walked (None: already reported).
    """
    try:
        stream.seek(0)
        data = stream.read(RAW_SEARCH_BYTES)
    except (OSError, ValueError):
        data = b""
    marker = next((m.decode() for m in _RAW_MARKERS if m in data), None)
    configs, complete = _raw_configs(data) if marker else ([], True)
    if why is not None:
        detail = f"{why}: links, external storage and filters were not checked"
        if configs:
            detail += f"; {len(configs)} Keras configuration(s) were read from the raw bytes and checked"
        ctx.report(NOT_INSPECTED, detail, evidence=evidence)
    if marker and (not configs or not complete):
        ctx.report(
            NOT_INSPECTED,
            f"the file names a Keras {marker!r} attribute that could not be read "
            + ("completely " if configs else "")
            + "without the HDF5 library; a Keras model can carry code "
            "(Lambda layers) that was not checked",
            location=Location(key=f"attrs/{marker}"),
            evidence=marker,
            severity=Severity.HIGH,
        )
    for i, config in enumerate(configs[:8]):
        scan_keras_config(ctx, config, source=f"raw-config[{i}]")


# -- observations → findings --------------------------------------------------------------------------------


def _decode(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError):
        return None


def _parent_escape(name: str) -> bool:
    norm = name.replace("\\", "/")
    return norm.startswith("/") or (len(norm) > 1 and norm[1] == ":") or ".." in norm.split("/")


def report_observations(ctx: ScanContext, reply: dict[str, Any]) -> None:
    if not reply.get("ok"):
        _report_failure(ctx, reply)
        return
    _report_keras(ctx, reply)
    for item in reply.get("external_storage", []):
        files = item.get("files", [])
        names = [str(f[0]) for f in files if isinstance(f, list) and f]
        severe = any(_parent_escape(n) for n in names)
        ctx.report(
            EXTERNAL_STORAGE,
            f"dataset {item.get('dataset')!r} reads its data from external file(s) "
            f"{', '.join(repr(n) for n in names[:5])}",
            location=Location(key=str(item.get("dataset"))),
            evidence=json.dumps(files[:5]),
            severity=Severity.CRITICAL if severe else None,
        )
    for item in reply.get("external_links", []):
        ctx.report(
            EXTERNAL_LINK,
            f"link {item.get('link')!r} points to {item.get('target')!r} in file {item.get('file')!r}",
            location=Location(key=str(item.get("link"))),
            evidence=f"ExternalLink(filename={item.get('file')!r}, path={item.get('target')!r})",
        )
    for item in reply.get("soft_links", []):
        ctx.report(
            SOFT_LINK,
            f"soft link {item.get('link')!r} → {item.get('target')!r}: {item.get('problem')}",
            location=Location(key=str(item.get("link"))),
            evidence=f"SoftLink({item.get('target')!r})",
        )
    for item in reply.get("virtual", []):
        sources = item.get("sources", [])
        other = [s for s in sources if isinstance(s, list) and s and s[0] != "."]
        ctx.report(
            VIRTUAL_DATASET,
            f"virtual dataset {item.get('dataset')!r} maps {len(sources)} source(s)"
            + (f", {len(other)} in other files" if other else ""),
            location=Location(key=str(item.get("dataset"))),
            evidence=json.dumps(sources[:5]),
            severity=Severity.HIGH if other else None,
        )
    for item in reply.get("filters", []):
        ctx.report(
            FILTER_PLUGIN,
            f"dataset {item.get('dataset')!r} uses filter(s) that need a plugin",
            location=Location(key=str(item.get("dataset"))),
            evidence=json.dumps(item.get("filters")),
        )
    truncated = reply.get("truncated") or reply.get("attr_error")
    if truncated:
        severe = (ctx.max_severity() or Severity.INFO) >= Severity.HIGH
        ctx.report(
            INCOMPLETE,
            f"object tree walk stopped after {reply.get('objects')} object(s): {truncated}",
            evidence=str(truncated),
            severity=Severity.HIGH if severe else None,
        )


def _report_failure(ctx: ScanContext, reply: dict[str, Any]) -> None:
    if reply.get("missing_h5py"):
        detail = "h5py is not installed; links and external storage were not checked (pip install h5py)"
        evidence = "import h5py"
    elif reply.get("timeout") is not None:
        detail = f"the HDF5 library did not finish reading the metadata within {reply.get('timeout')} s"
        evidence = "worker timed out"
    elif reply.get("crashed"):
        detail, evidence = (
            f"the HDF5 library crashed on this file: {reply.get('crashed')}",
            str(reply.get("crashed")),
        )
    else:
        detail, evidence = (
            f"the HDF5 library cannot open this file: {reply.get('error')}",
            str(reply.get("error")),
        )
    ctx.report(NOT_INSPECTED, detail, evidence=evidence)


def _report_keras(ctx: ScanContext, reply: dict[str, Any]) -> None:
    attrs = reply.get("attrs", {})
    oversize = reply.get("oversize", {})
    for name, size in oversize.items():
        ctx.report(
            INCOMPLETE,
            f"root attribute {name!r} of {size} bytes is larger than the header limit and was not inspected",
            location=Location(key=f"attrs/{name}"),
            evidence=f"{name}: {size} bytes",
        )
    version = (_decode(attrs.get("keras_version")) or b"").decode("utf-8", "replace")
    backend = (_decode(attrs.get("backend")) or b"").decode("utf-8", "replace")
    config = _decode(attrs.get("model_config"))
    if config is not None:
        ctx.report(
            KERAS_MODEL,
            f"Keras model (keras_version {version or '?'}, backend {backend or '?'})",
            location=Location(key="attrs/model_config"),
            evidence=f"keras_version={version!r} backend={backend!r}",
        )
        scan_keras_config(ctx, config, source="attrs/model_config")
    training = _decode(attrs.get("training_config"))
    if training is not None:
        scan_keras_config(ctx, training, source="attrs/training_config")


HDF5_HANDLER = FormatHandler(name="hdf5", sniff=_sniff, scan=_scan, needs_seek=True)
