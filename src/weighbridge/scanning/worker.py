"""``python -m weighbridge.scanning.worker``: scan one file in a process of its own.

The engine sends parse-bound files here (``schedule.py``: large pickles). Their analysis, opcode by opcode in
Python, then holds this process's GIL for its seconds, not the one the engine's hashing threads take twice per
chunk. A fresh interpreter running this module rather than ``multiprocessing``: spawn and forkserver import
the caller's ``__main__`` again in the worker, so a script calling ``weighbridge.scan`` without a
``__main__`` guard would run a second time.

Protocol: one JSON request on stdin (``file``, ``root``, ``limits``), one JSON answer on stdout (``record``,
the ``FileRecord.to_dict`` form, and ``references``). Nothing is unpickled on either side.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

from ..core.report import FileRecord, SnapshotFile
from ..formats.base import Limits

_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent.parent)  # the folder holding weighbridge/


def scan_in_worker(sfile: SnapshotFile, root: str, limits: Limits) -> tuple[FileRecord, list[str]]:
    """What ``engine.scan_file_with_references`` returns, computed by a worker process. Raises
    ``RuntimeError`` when the worker cannot run or fails; the caller then scans the file itself."""
    import subprocess  # 3 ms of start-up, only when a file is parse-bound

    if not sys.executable:
        raise RuntimeError("no Python executable to start a worker with")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    request = {"file": dataclasses.asdict(sfile), "root": root, "limits": dataclasses.asdict(limits)}
    done = subprocess.run(
        [sys.executable, "-m", "weighbridge.scanning.worker"],
        input=json.dumps(request).encode(),
        capture_output=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise RuntimeError(f"worker exited with {done.returncode}: {last[0][:300]}")
    from ..core.codec import file_record_from_dict  # the decoder's types load only when a worker answers

    try:
        answer = json.loads(done.stdout)
        return file_record_from_dict(answer["record"]), [str(r) for r in answer["references"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise RuntimeError(f"worker answered something else than a file record: {exc}") from None


def main() -> int:
    from .engine import scan_file_with_references

    request = json.loads(sys.stdin.buffer.read())
    record, references = scan_file_with_references(
        SnapshotFile(**request["file"]), request["root"], Limits(**request["limits"])
    )
    sys.stdout.write(json.dumps({"record": record.to_dict(), "references": references}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
