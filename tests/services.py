"""What the suite needs from the machine (PostgreSQL, Chromium, the fetched artifacts): skipped with a message
on a workstation without it, a failure under CI (``CI`` set; ``.ci/run`` sets it), where `tools/ci_services.sh`
and `make test` provide every one of them — so CI never passes by skipping what it can run."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(message: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so this test must run: .ci/run installs what it needs)")
    pytest.skip(message)
