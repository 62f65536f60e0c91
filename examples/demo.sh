#!/bin/sh
# `make demo`: build the example models, then inspect every one of them; last, serve them from the mirror and
# pull through it with the real huggingface_hub client. One example is meant to fail (a
# pickle that would run a shell command): it must exit 1, and the demo says so; anything else fails the demo.
set -u
BIN=${1:-.venv/bin}
BUILD=examples/build
WB="$BIN/weighbridge"

"$BIN/python" examples/make_examples.py "$BUILD" || exit 1

step() { printf '\n=== %s\n' "$*"; }

expect() {  # expect CODE COMMAND…: run it, and stop the demo unless it exits CODE
    want=$1; shift
    "$@"; got=$?
    if [ "$got" -ne "$want" ]; then
        echo "demo: unexpected exit $got (expected $want) from: $*" >&2
        exit 1
    fi
}

step "tiny-chat-model: a clean Hugging Face-style folder (expected: PASS, exit 0)"
expect 0 "$WB" inspect "$BUILD/tiny-chat-model"

step "tampered-checkpoint: the same model with a pickle that runs a shell command on load (expected: FAIL, exit 1)"
expect 1 "$WB" inspect "$BUILD/tampered-checkpoint"
echo "as expected: the tampered checkpoint fails the gate (exit 1); nothing in it was loaded or run"

step "llama-finetune under the eu-saas-startup policy: licence terms, lineage, inherited obligations (expected: WARN, exit 0)"
expect 0 "$WB" inspect "$BUILD/llama-finetune" --policy examples/policies/eu-saas-startup.yaml

step "qwen-chat under the government-agency policy (expected: FAIL, exit 1: licence, openness and jurisdiction rules)"
expect 1 "$WB" inspect "$BUILD/qwen-chat" --policy examples/policies/government-agency.yaml
echo "as expected: the government-agency policy refuses this model (exit 1); the reasons are listed above"

step "the same model as a Markdown review record (first lines)"
expect 0 "$WB" inspect "$BUILD/llama-finetune" --policy examples/policies/eu-saas-startup.yaml -f markdown -o "$BUILD/llama-finetune.md"
head -n 12 "$BUILD/llama-finetune.md"

step "the mirror: serve the example registry, pull the admitted model with huggingface_hub, refuse the tampered one"
"$BIN/python" examples/mirror_demo.py --no-serve --dest "$BUILD/mirror-demo" || exit 1
PORT=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
"$WB" mirror serve --port "$PORT" --db "$BUILD/mirror-demo/mirror/registry.db" \
    --store "$BUILD/mirror-demo/mirror/store" >"$BUILD/mirror-demo/serve.log" 2>&1 &
MIRROR=$!
trap 'kill "$MIRROR" 2>/dev/null' EXIT
"$BIN/python" -c '
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=1).read(); break
    except OSError: time.sleep(0.1)
else: sys.exit("demo: the mirror did not start (see " + sys.argv[2] + ")")
' "$URL" "$BUILD/mirror-demo/serve.log" || exit 1
echo "weighbridge mirror serve is up on $URL; now: HF_ENDPOINT=$URL snapshot_download(…)"
PULL='
import sys
from pathlib import Path
from huggingface_hub import snapshot_download
try:
    path = Path(snapshot_download(sys.argv[1], cache_dir=sys.argv[2]))
except Exception as exc:  # the client exception carries the mirror'"'"'s one-line reason
    line = next((x for x in str(exc).splitlines() if "weighbridge mirror:" in x), str(exc).splitlines()[0])
    print(f"refused: {type(exc).__name__}: {line.strip()}")
    sys.exit(1)
print(f"pulled {sys.argv[1]} through the mirror: " + ", ".join(sorted(p.name for p in path.iterdir())))
'
export HF_ENDPOINT="$URL" HF_HUB_OFFLINE=0 HF_HUB_DISABLE_PROGRESS_BARS=1 HF_HUB_DISABLE_TELEMETRY=1
expect 0 "$BIN/python" -c "$PULL" weighbridge-examples/tiny-chat-model "$BUILD/mirror-demo/hf-cache"
expect 1 "$BIN/python" -c "$PULL" weighbridge-examples/tampered-checkpoint "$BUILD/mirror-demo/hf-cache"
echo "as expected: the mirror serves the admitted model and refuses the rejected one, with the policy's reason"
kill "$MIRROR" && wait "$MIRROR" 2>/dev/null
trap - EXIT
echo "mirror stopped"
