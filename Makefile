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

# llama.cpp is compiled from source. Its default -march=native build crashed (SIGSEGV in llama_decode on any
# prompt longer than one token) on these machines' Xeon CPUs (AVX-512, AMX); a portable AVX2 build runs. The
# wheel cache is bypassed for it so that a native wheel built earlier is not reused.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

$(VENV)/.test: pyproject.toml | $(BIN)/python
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -q --no-cache-dir 'llama-cpp-python[server]==0.3.36'
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.base

install: $(VENV)/.base
install-test: $(VENV)/.test

demo: $(VENV)/.base
	sh examples/demo.sh $(BIN)

test: $(VENV)/.test
	$(BIN)/python tools/fetch_artifacts.py
	$(BIN)/ruff check src tests benchmarks examples tools
	$(BIN)/ruff format --check src tests benchmarks examples tools
	$(BIN)/mypy
	$(BIN)/python -m pytest -rs --cov=weighbridge --cov-report=term:skip-covered --cov-report=xml:.cache/coverage.xml

lint: $(VENV)/.test
	$(BIN)/ruff check src tests benchmarks examples tools
	$(BIN)/ruff format --check src tests benchmarks examples tools
	$(BIN)/mypy

bench-compare: $(VENV)/.test
	$(BIN)/python benchmarks/compare_scanners.py

bench-throughput: $(VENV)/.test
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf examples/build .cache/artifacts
