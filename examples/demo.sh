#!/bin/sh
# `make demo`: build the example models, then inspect every one of them. One example is meant to fail (a
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
