# Two commands matter: `make demo` (main job on a bundled example) and `make test` (the whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test install install-test lint typecheck bench-compare bench-throughput clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.base: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.base

install: $(VENV)/.base
install-test: $(VENV)/.test

demo: $(VENV)/.base
	$(BIN)/python examples/make_examples.py examples/build
	$(BIN)/weighbridge inspect examples/build/tiny-chat-model
	-$(BIN)/weighbridge inspect examples/build/tampered-checkpoint
	@if [ -d examples/build/llama-finetune ]; then \
	  $(BIN)/weighbridge inspect examples/build/llama-finetune --policy examples/policies/eu-saas-startup.yaml; \
	fi

test: $(VENV)/.test
	$(BIN)/python tools/fetch_artifacts.py
	$(BIN)/ruff check src tests benchmarks examples tools
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(VENV)/.test
	$(BIN)/ruff check src tests benchmarks examples tools
	$(BIN)/mypy

bench-compare: $(VENV)/.test
	$(BIN)/python benchmarks/compare_scanners.py

bench-throughput: $(VENV)/.test
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf examples/build .cache/artifacts
