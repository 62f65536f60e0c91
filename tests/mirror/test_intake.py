"""Intake from a Hub-API upstream (a fake hub on 127.0.0.1) into quarantine, through the policy, into the store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.mirror.fake_hub import APACHE_FILES, LLAMA_FILES, FakeHub, fake_hub
from tests.registry.reports import LENIENT, STRICT

from weighbridge.core.mirror import IntakeState, Refusal, RefusalKind, ServedVersion
from weighbridge.core.registry import Decision, DecisionAction
from weighbridge.mirror import BlobStore, Gate
from weighbridge.mirror.intake import IntakeError, IntakeResult, QuarantinePublisher, intake
from weighbridge.mirror.upstream import Limits, Upstream, UpstreamError, parse_source
from weighbridge.registry import Registry, open_registry

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with fake_hub() as running:
        yield running


@pytest.fixture
def lenient(tmp_path: Path) -> Path:
    path = tmp_path / "lenient.yaml"
    path.write_text(LENIENT, encoding="utf-8")
    return path


def _intake(
    reg: Registry,
    store: BlobStore,
    hub: FakeHub,
    source: str,
    policy: Path | None,
    *,
    limits: Limits | None = None,
    pin: bool = False,
    stale_after: float = 60.0,
) -> IntakeResult:
    with Upstream(hub.url, limits=limits or Limits(read_timeout=5, connect_timeout=5)) as upstream:
        return intake(
            reg,
            store,
            source,
            upstream=upstream,
            actor="intake-bot",
            policy_path=policy,
            pin=pin,
            stale_after=stale_after,
        )


def _blobs(store: BlobStore) -> list[str]:
    return list(store.iter_digests())


def test_admitted_intake_is_published_and_served(
    reg: Registry, store: BlobStore, hub: FakeHub, lenient: Path
) -> None:
    commit = hub.add("acme/tiny", APACHE_FILES)
    result = _intake(reg, store, hub, "hf:acme/tiny", lenient)
    assert result.fetched and result.served and result.record.key == f"hf:acme/tiny@{commit}"
    assert result.version is not None and result.version.decision is Decision.ADMITTED
    served = Gate(reg, store).resolve("acme/tiny", "main")
    assert isinstance(served, ServedVersion) and served.commit == commit
    assert {f.path for f in served.files} == set(APACHE_FILES)
    assert list(store.quarantine.iterdir()) == []  # staging removed once published
    again = _intake(reg, store, hub, f"hf:acme/tiny@{commit}", lenient)  # nothing new to fetch
    assert not again.fetched and again.served and len(hub.downloads("model.safetensors")) == 1


def test_not_admitted_waits_for_a_person(
    reg: Registry, store: BlobStore, hub: FakeHub, lenient: Path, tmp_path: Path
) -> None:
    hub.add("acme/llama", LLAMA_FILES)
    result = _intake(reg, store, hub, "hf:acme/llama", lenient)
    assert result.record.state is IntakeState.WAITING and "needs-review" in (result.record.detail or "")
    assert _blobs(store) == []  # nothing reached the served store
    gate = Gate(reg, store, on_missing=QuarantinePublisher(reg, store))
    refusal = gate.resolve("acme/llama")
    assert isinstance(refusal, Refusal) and refusal.kind is RefusalKind.AWAITING_REVIEW
    reg.decide("acme/llama", DecisionAction.APPROVE, actor="alice", reason="licence cleared with legal")
    served = gate.resolve("acme/llama")  # the approval publishes from quarantine on the next request
    assert isinstance(served, ServedVersion) and len(_blobs(store)) == len(LLAMA_FILES)
    assert reg.mirror.intake(result.record.key).state is IntakeState.PUBLISHED  # type: ignore[union-attr]
    strict = tmp_path / "strict.yaml"
    strict.write_text(STRICT, encoding="utf-8")
    hub.add("acme/llama2", LLAMA_FILES)
    rejected = _intake(reg, store, hub, "hf:acme/llama2", strict)
    assert rejected.record.state is IntakeState.WAITING and "rejected" in (rejected.record.detail or "")
    refusal = gate.resolve("acme/llama2")
    assert isinstance(refusal, Refusal) and refusal.kind is RefusalKind.REJECTED


def test_pins_and_floating_main(reg: Registry, store: BlobStore, hub: FakeHub, lenient: Path) -> None:
    first = hub.add("acme/tiny", APACHE_FILES)
    with pytest.raises(IntakeError, match="pinned intake takes exact commits"):
        _intake(reg, store, hub, "hf:acme/tiny", lenient, pin=True)
    assert _intake(reg, store, hub, f"hf:acme/tiny@{first}", lenient, pin=True).served
    changed = dict(APACHE_FILES, **{"config.json": b'{"model_type": "llama", "v": 2}'})
    second = hub.add("acme/tiny", changed)  # main moved upstream
    moved = _intake(reg, store, hub, "hf:acme/tiny", lenient)
    assert moved.fetched and moved.record.key == f"hf:acme/tiny@{second}"
    gate = Gate(reg, store)
    newest = gate.resolve("acme/tiny", "main")
    assert isinstance(newest, ServedVersion) and newest.commit == second
    pinned = gate.resolve("acme/tiny", first)
    assert isinstance(pinned, ServedVersion) and pinned.commit == first


def test_concurrent_intakes_fetch_once_and_pulls_never_see_a_partial_model(
    reg: Registry, store: BlobStore, hub: FakeHub, lenient: Path
) -> None:
    hub.add("acme/tiny", APACHE_FILES)
    hub.behaviour.chunk, hub.behaviour.delay = 512, 0.05  # about half a second per weights file
    results: list[IntakeResult] = []
    seen: list[object] = []
    done = threading.Event()

    def take() -> None:
        results.append(_intake(reg, store, hub, "hf:acme/tiny", lenient, stale_after=30))

    def pull() -> None:
        gate = Gate(reg, store)
        while not done.is_set():
            seen.append(gate.resolve("acme/tiny"))
            time.sleep(0.02)

    workers = [threading.Thread(target=take) for _ in range(3)]
    puller = threading.Thread(target=pull)
    puller.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    done.set()
    puller.join(timeout=10)
    assert len(results) == 3 and all(r.served for r in results)
    assert sum(1 for r in results if r.fetched) == 1
    assert len(hub.downloads("model.safetensors")) == 1
    refusals = [s for s in seen if isinstance(s, Refusal)]
    # before the decision: not admitted (being taken in); between admission and the last blob: not whole yet
    assert refusals and {r.kind for r in refusals} <= {RefusalKind.NOT_ADMITTED, RefusalKind.BLOB_MISSING}
    assert any("being taken in" in r.reason for r in refusals)
    for item in seen:  # whatever was served was whole
        if isinstance(item, ServedVersion):
            assert all(store.has(f.sha256) for f in item.files)


@pytest.mark.parametrize(
    ("setup", "limits", "message"),
    [
        ("extra", Limits(read_timeout=5), "more than the 51 allowed"),
        ("lie", Limits(read_timeout=5), "do not match the digest"),
        ("stall", Limits(read_timeout=0.5), "timed out"),
        ("trickle", Limits(read_timeout=5, deadline=0.5), "deadline"),
        ("cap", Limits(read_timeout=5, max_bytes=1000), "more than the 1000 allowed"),
        ("names", Limits(read_timeout=5), "unsafe file name"),
        ("count", Limits(read_timeout=5, max_files=2), "more than 2"),
    ],
)
def test_misbehaving_upstreams_fail_closed(
    reg: Registry, store: BlobStore, hub: FakeHub, lenient: Path, setup: str, limits: Limits, message: str
) -> None:
    commit = hub.add("acme/tiny", APACHE_FILES)
    behaviour = hub.behaviour
    if setup == "extra":
        behaviour.extra_bytes = 10
    elif setup == "lie":
        behaviour.lie_sha = True
    elif setup == "stall":
        behaviour.stall_after = 100
    elif setup == "trickle":
        behaviour.chunk, behaviour.delay = 64, 0.1
    elif setup == "names":
        hub.repos[f"acme/tiny@{commit}"].extra_siblings.append({"rfilename": "../../escape.py", "size": 1})
    started = time.monotonic()
    with pytest.raises((IntakeError, UpstreamError), match=message):
        _intake(reg, store, hub, "hf:acme/tiny", lenient, limits=limits)
    assert time.monotonic() - started < 20
    assert _blobs(store) == []
    refusal = Gate(reg, store).resolve("acme/tiny")
    assert isinstance(refusal, Refusal)
    record = reg.mirror.intake(f"hf:acme/tiny@{commit}")
    if record is not None:
        assert record.state is IntakeState.FAILED and message.split()[0] in (record.detail or "")
    assert not list(store.root.rglob("escape.py"))


def test_bad_sources_and_upstreams() -> None:
    for bad in ("acme/tiny", "hf:../etc", "hf:a/b/c", "hf:acme/tiny@../main", "ollama:x"):
        with pytest.raises(UpstreamError):
            parse_source(bad)
    assert parse_source("hf:acme/tiny") == ("acme/tiny", "main")
    with pytest.raises(UpstreamError, match="http"):
        Upstream("file:///etc")


@pytest.mark.slow
def test_kill_9_during_intake_serves_nothing_and_a_rerun_resumes(
    tmp_path: Path, hub: FakeHub, lenient: Path
) -> None:
    hub.add("acme/tiny", APACHE_FILES)
    hub.behaviour.stall_after = 2000  # the weights file stops half way and the connection hangs
    db, root = tmp_path / "registry.db", tmp_path / "store"
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(REPO_ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        WEIGHBRIDGE_HOME=str(tmp_path / "home"),
    )
    command = [
        sys.executable,
        "-m",
        "weighbridge",
        "mirror",
        "intake",
        "hf:acme/tiny",
        "--upstream",
        hub.url,
        "--policy",
        str(lenient),
        "--db",
        str(db),
        "--store",
        str(root),
        "--stale-after",
        "1",
        "--actor",
        "ci",
    ]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    part: list[Path] = []
    while time.monotonic() < deadline and not part:
        part = [
            p for p in root.glob("quarantine/intake-*/model.safetensors.part") if p.stat().st_size >= 2000
        ]
        time.sleep(0.05)
    assert part, proc.stderr.read().decode() if proc.poll() is not None else "no partial download appeared"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    store = BlobStore(root)
    with open_registry(str(db)) as reg:
        assert _blobs(store) == []
        refusal = Gate(reg, store).resolve("acme/tiny")
        assert isinstance(refusal, Refusal) and "being taken in" in refusal.reason
        hub.behaviour.stall_after = None
        time.sleep(1.2)  # the dead owner's heartbeat goes stale
        result = _intake(reg, store, hub, "hf:acme/tiny", lenient, stale_after=1)
        assert result.fetched and result.served
        assert any(
            r[2] == "bytes=2000-" for r in hub.downloads("model.safetensors")
        )  # resumed, not restarted
        served = Gate(reg, store).resolve("acme/tiny")
        assert isinstance(served, ServedVersion)
        for item in served.files:
            assert store.path(item.sha256).read_bytes() == APACHE_FILES[item.path]


def test_intake_on_first_request(tmp_path: Path, hub: FakeHub, lenient: Path) -> None:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import RepositoryNotFoundError
    from tests.web.server import serve_in_thread

    from weighbridge.mirror.app import create_mirror_app
    from weighbridge.mirror.background import AutoIntake

    commit = hub.add("acme/tiny", APACHE_FILES)
    db = str(tmp_path / "registry.db")
    app = create_mirror_app(
        db, store_root=tmp_path / "store", auto_intake=AutoIntake(endpoint=hub.url, policy_path=lenient)
    )
    try:
        with serve_in_thread(app) as url:
            with pytest.raises(RepositoryNotFoundError, match="intake from the upstream has started"):
                snapshot_download("acme/tiny", endpoint=url, cache_dir=tmp_path / "hf")
            registry = app.state.mirror.registry
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                row = registry.mirror.intake(f"hf:acme/tiny@{commit}")
                if row is not None and row.state is IntakeState.PUBLISHED:
                    break
                time.sleep(0.1)
            path = Path(snapshot_download("acme/tiny", endpoint=url, cache_dir=tmp_path / "hf"))
            assert path.name == commit
            assert {p.name: p.read_bytes() for p in path.iterdir()} == APACHE_FILES
            assert row is not None and row.requested_by == "mirror-intake-on-request"
    finally:
        app.state.mirror.registry.close()
