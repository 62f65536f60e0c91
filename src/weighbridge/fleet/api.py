"""``scan_mirror``: a fleet scan with its executor and registry opened and closed around it."""

from __future__ import annotations

from ..core.policy import Policy
from ..formats.base import Limits
from ..registry import Registry
from .executors import RayExecutor, default_workers, make_executor
from .run import FleetScanResult, Progress, fleet_scan
from .store import FleetStore


def scan_mirror(
    roots: list[str],
    *,
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    store: FleetStore | Registry | None = None,
    db_url: str | None = None,
    policy: Policy | None = None,
    full: bool = False,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> FleetScanResult:
    """Scan every target under ``roots`` on ``engine`` (``local`` process pool or ``ray``) and record the
    reports in ``store`` (default: the registry at ``db_url``). Raises ``WeighbridgeError`` with one line for
    unusable roots, engines or registries."""
    from ..registry import open_registry

    registry = open_registry(db_url) if store is None else None
    if registry is not None:
        store = registry
    assert store is not None
    try:
        executor = make_executor(engine, workers=workers, address=address)
    except BaseException:
        if registry is not None:
            registry.close()
        raise
    try:
        count = workers or default_workers()
        if isinstance(executor, RayExecutor) and address is not None:
            count = executor.cluster_cpus
        return fleet_scan(
            roots,
            executor=executor,
            store=store,
            engine=engine,
            workers=count,
            policy=policy,
            full=full,
            limits=limits,
            progress=progress,
        )
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        if registry is not None:
            registry.close()
