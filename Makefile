# Two commands matter: `make demo` (every bundled example, see examples/demo.sh) and `make test` (the whole
# suite; -rs names every skipped test and why).
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
	sh examples/demo.sh $(BIN)

test: $(VENV)/.test
	$(BIN)/python tools/fetch_artifacts.py
	$(BIN)/ruff check src tests benchmarks examples tools
	$(BIN)/mypy
	$(BIN)/python -m pytest -rs

lint: $(VENV)/.test
	$(BIN)/ruff check src tests benchmarks examples tools
	$(BIN)/mypy

bench-compare: $(VENV)/.test
	$(BIN)/python benchmarks/compare_scanners.py

bench-throughput: $(VENV)/.test
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf examples/build .cache/artifacts
