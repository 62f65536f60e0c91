"""The one thing that differs between ``--engine local`` and ``--engine ray``: a ``concurrent.futures.Executor``.

``local`` is a ``ProcessPoolExecutor`` (forkserver start method: no inherited threads or database handles).
``ray`` is ``RayExecutor``, a thin adapter that runs each submitted call as a Ray remote task and hands back
the task's ``concurrent.futures.Future``. Ray is imported only here and only when asked for, so the local
engine works without it. Tasks receive paths and byte counts, never file contents; each worker reads the
files where they live (a shared mount or the node's own disks).
"""

from __future__ import annotations

import multiprocessing
import os
import socket
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any, TypeVar

from ..core.findings import WeighbridgeError

T = TypeVar("T")
ENGINES = ("local", "ray")


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def make_executor(engine: str, *, workers: int | None = None, address: str | None = None) -> Executor:
    """An executor for ``engine``; ``WeighbridgeError`` (one line) for a bad choice or a missing Ray."""
    if workers is not None and workers < 1:
        raise WeighbridgeError(f"--workers must be at least 1, not {workers}")
    if engine == "local":
        if address is not None:
            raise WeighbridgeError("--address is for --engine ray")
        return ProcessPoolExecutor(
            max_workers=workers or default_workers(), mp_context=multiprocessing.get_context("forkserver")
        )
    if engine == "ray":
        return RayExecutor(address=address, workers=workers)
    raise WeighbridgeError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")


class RayExecutor(Executor):
    """``Executor`` over Ray remote tasks (one CPU each).

    Without ``address`` a local Ray instance is started with ``workers`` CPUs (all of them by default);
    with one, the process joins that cluster (``ray://host:10001`` or ``host:6379``) and tasks spread over
    its nodes. An already initialised Ray (a test fixture, a notebook) is used as it is and left running.
    """

    def __init__(self, *, address: str | None = None, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise WeighbridgeError("--engine ray needs Ray: pip install 'weighbridge[ray]'") from None
        self._ray = ray
        self._owns_ray = False
        if not ray.is_initialized():
            if address is not None:
                check_reachable(address)  # ray.init would wait minutes for a cluster that is not there
            options: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
            }
            if address is None:
                options["num_cpus"] = workers or default_workers()
            try:
                ray.init(address=address, **options)
            except Exception as exc:  # Ray raises many types (ConnectionError, RuntimeError, ValueError…)
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise WeighbridgeError(
                    f"cannot start or join Ray at {address or 'a local instance'}: {first}"
                ) from None
            self._owns_ray = True
        self._remote: dict[Callable[..., Any], Any] = {}
        self._shutdown = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        if self._shutdown:
            raise RuntimeError("cannot submit after shutdown")
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self._ray.remote(num_cpus=1, max_retries=2)(fn)
        future: Future[T] = remote.remote(*args, **kwargs).future()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        if self._owns_ray:
            self._ray.shutdown()

    @property
    def cluster_cpus(self) -> int:
        """CPUs Ray can schedule tasks on (all nodes)."""
        return int(self._ray.cluster_resources().get("CPU", 0))  # type: ignore[no-untyped-call]


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail in ``timeout`` seconds with one line when a ``host:port`` or ``ray://host:port`` Ray address does
    not accept connections (``auto`` and other forms are left to Ray)."""
    body = address.removeprefix("ray://")
    host, colon, port = body.rpartition(":")
    if not colon or not port.isdigit() or not host:
        if address == "auto":
            return
        raise WeighbridgeError(f"bad Ray address {address!r}: expected host:port, ray://host:port or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise WeighbridgeError(f"cannot reach the Ray cluster at {address}: {reason}") from None
