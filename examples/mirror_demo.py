"""Start the mirror on the bundled example registry (one command; pull from it with a second).

Generates the example models (``make_examples.py``), records them in an example registry under
``examples/build/mirror/`` — ``tiny-chat-model`` admitted by ``examples/policies/research-lab.yaml`` and
published into the mirror's blob store, ``tampered-checkpoint`` refused by the same policy — then runs
``weighbridge mirror serve`` on it (127.0.0.1:8471 unless ``--port``). Then, in another terminal:

    HF_ENDPOINT=http://127.0.0.1:8471 .venv/bin/hf download weighbridge-examples/tiny-chat-model
    HF_ENDPOINT=http://127.0.0.1:8471 .venv/bin/hf download weighbridge-examples/tampered-checkpoint   # refused

``--no-serve`` only builds the registry and the store (for scripts and tests).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
POLICY = HERE / "policies" / "research-lab.yaml"
NAMESPACE = "weighbridge-examples"


def build(dest: Path) -> tuple[Path, Path]:
    """The example registry and blob store under ``dest`` (made afresh); returns (registry file, store)."""
    sys.path.insert(0, str(HERE))
    import make_examples

    from weighbridge.core.registry import Decision
    from weighbridge.mirror import BlobStore, publish_folder
    from weighbridge.registry import open_registry

    models = dest / "models"
    make_examples.main(str(models))
    mirror = dest / "mirror"
    shutil.rmtree(mirror, ignore_errors=True)
    mirror.mkdir(parents=True)
    db, store = mirror / "registry.db", BlobStore(mirror / "store")
    with open_registry(str(db)) as reg:
        for name in ("tiny-chat-model", "tampered-checkpoint"):
            version, decision = reg.admit(
                str(models / name), policy_path=POLICY, actor="mirror-demo", name=f"{NAMESPACE}/{name}"
            )
            print(f"{NAMESPACE}/{name}: {decision.decision.value} ({decision.reason})")
            if decision.decision is Decision.ADMITTED:
                publish_folder(reg, store, version.model, models / name)
    return db, store.root


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=HERE / "build")
    parser.add_argument("--port", type=int, default=8471)
    parser.add_argument("--no-serve", action="store_true")
    args = parser.parse_args()
    db, store = build(args.dest)
    if args.no_serve:
        return 0
    command = [
        sys.executable,
        "-m",
        "weighbridge",
        "mirror",
        "serve",
        "--port",
        str(args.port),
        "--db",
        str(db),
        "--store",
        str(store),
    ]
    os.execv(sys.executable, command)


if __name__ == "__main__":
    sys.exit(main())
