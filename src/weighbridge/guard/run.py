"""``weighbridge run -- COMMAND ARGS…``: find the models a command names, require each admitted, then run it.

Models are found among the arguments: existing ``*.gguf``, ``*.safetensors``, ``*.bin``, ``*.pt``/``*.pth``
files, existing folders holding ``config.json``, and the values of ``--model``/``-m`` (also ``--model=X``).
A ``--model``/``-m`` value that is not a local path but looks like a hub id (``org/name``) is refused unless
``allow_remote`` — a hub id names bytes nobody here has weighed. Other values (``python -m package``) are not
models. ``extra_models`` (``weighbridge run --model``) may also be ``hf:org/name[@revision]`` or
``ollama:name[:tag]``, resolved from the local caches. The command runs as a child process; SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are
forwarded to it and its exit code is returned (``128 + N`` when a signal N ended it).

The check happens before the command starts: a file swapped after the check and before the command reads it
is outside what this can see (use the in-process hooks, which check at load time, for that).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

from ..core.findings import WeighbridgeError

MODEL_SUFFIXES = (".gguf", ".safetensors", ".bin", ".pt", ".pth")
MODEL_OPTIONS = ("--model", "-m")
FORWARDED_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
    if hasattr(signal, name)
)
_HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class NamedModels:
    paths: tuple[str, ...]  # local files and folders, as written in the command
    hub_ids: tuple[str, ...]  # --model/-m values that are not local paths but look like org/name


def looks_like_model(path: str) -> bool:
    if os.path.isfile(path):
        return path.lower().endswith(MODEL_SUFFIXES)
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, "config.json"))


def find_models(command: Sequence[str]) -> NamedModels:
    """The models ``command`` names (its program, ``command[0]``, is never one)."""
    paths: list[str] = []
    hub: list[str] = []
    args = list(command[1:])
    i = 0
    while i < len(args):
        arg = args[i]
        option, eq, value = arg.partition("=")
        if option in MODEL_OPTIONS and (eq or i + 1 < len(args)):
            if not eq:
                value = args[i + 1]
                i += 1
            if os.path.exists(value):
                paths.append(value)
            elif _HUB_ID.fullmatch(value):
                hub.append(value)
        elif arg.startswith("-") and eq and looks_like_model(value):
            paths.append(value)  # --weights=./model.gguf
        elif looks_like_model(arg):
            paths.append(arg)
        i += 1
    return NamedModels(tuple(dict.fromkeys(paths)), tuple(dict.fromkeys(hub)))


def check_command(
    command: Sequence[str],
    *,
    registry: Any = None,
    extra_models: Sequence[str] = (),
    allow_remote: bool = False,
) -> list[str]:
    """Require every model ``command`` names (and ``extra_models``) admitted; return the paths checked.
    Raises NotAdmittedError (or WeighbridgeError for bad input) naming the first that is not."""
    from .core import NotAdmittedError, is_source_target, require_admitted

    named = find_models(command)
    for path in extra_models:
        if not is_source_target(path) and not os.path.exists(path):
            raise WeighbridgeError(f"no such model file or folder: {path}")
    if named.hub_ids and not allow_remote:
        raise NotAdmittedError(
            f"{named.hub_ids[0]} is not a local path: a hub model cannot be checked against "
            "the registry before it is downloaded (pass --allow-remote to let it through)",
            path=named.hub_ids[0],
        )
    paths = list(dict.fromkeys([*extra_models, *named.paths]))
    if not paths and not named.hub_ids:
        raise WeighbridgeError(
            "no model file or folder found in the command; name it with weighbridge run --model PATH -- …"
        )
    for path in paths:
        require_admitted(path, registry=registry)
    return paths


def guarded_run(
    command: Sequence[str],
    *,
    db: str | None = None,
    registry: Any = None,
    extra_models: Sequence[str] = (),
    allow_remote: bool = False,
) -> int:
    """Check, then run ``command``; its exit code."""
    if registry is None:
        from ..registry import open_registry

        registry = open_registry(db)
    check_command(command, registry=registry, extra_models=extra_models, allow_remote=allow_remote)
    return run_forwarding_signals(command)


def run_forwarding_signals(command: Sequence[str]) -> int:
    try:
        child = subprocess.Popen(list(command))
    except OSError as exc:
        raise WeighbridgeError(f"cannot run {command[0]}: {exc.strerror or exc}") from None

    def forward(signum: int, _frame: FrameType | None) -> None:
        child.send_signal(signum)

    previous = {}
    for sig in FORWARDED_SIGNALS:
        try:
            previous[sig] = signal.signal(sig, forward)
        except ValueError:  # not the main thread: signals stay with the default handlers
            break
    try:
        while True:
            try:
                code = child.wait()
                break
            except KeyboardInterrupt:  # a handler we could not replace; the child got SIGINT from the tty
                continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code
