"""Diagnostics for people running the CLI: standard ``logging`` on stderr, off unless asked for.

``-v`` shows INFO, ``-vv`` DEBUG; ``WEIGHBRIDGE_LOG=debug|info|warning|error`` sets the level without the flag
(the flag wins when both are given). Users still get the one-line error; with logging on, an unexpected error
also writes its traceback here, so a bug report can carry it.
"""

from __future__ import annotations

import logging
import os
import sys

LOGGER = logging.getLogger("weighbridge")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def level_for(verbosity: int, env: str | None) -> int | None:
    """The level ``-v`` repeated ``verbosity`` times or ``WEIGHBRIDGE_LOG`` asks for; ``None``: stay quiet."""
    if verbosity >= 2:
        return logging.DEBUG
    if verbosity == 1:
        return logging.INFO
    if env:
        return _LEVELS.get(env.strip().lower(), logging.INFO)
    return None


def configure(verbosity: int = 0) -> None:
    """Send the ``weighbridge`` loggers to stderr at the level asked for (once per process)."""
    level = level_for(verbosity, os.environ.get("WEIGHBRIDGE_LOG"))
    if level is None:
        return
    if not any(getattr(h, "_weighbridge", False) for h in LOGGER.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._weighbridge = True  # type: ignore[attr-defined]
        LOGGER.addHandler(handler)
    LOGGER.setLevel(level)


def enabled() -> bool:
    """Whether diagnostics go anywhere (an unexpected error then logs its traceback)."""
    return LOGGER.isEnabledFor(logging.ERROR) and any(
        getattr(h, "_weighbridge", False) for h in LOGGER.handlers
    )
