# Two commands do everything on a fresh machine (see README.md):
#   make demo   set up .venv, then run a blind comparison offline on the bundled small model
#   make test   set up .venv and Chromium, then run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# llama.cpp's llama-server is compiled once into $(JUDGE_CACHE_DIR)/bin (default ~/.cache/judge/bin).

.PHONY: demo test setup sandbox browser lint bench clean

setup: $(VENV)/.installed

# torch first, pinned: the CPU wheel on these machines (an unpinned torch pulls GBs of CUDA).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[hf,local,dev]'
	$(BIN)/judge setup-server
	touch $@

# Debian's bubblewrap (the sandbox for model-written code: judge executes nothing without it).
sandbox:
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq bubblewrap; \
	  else echo "install the sandbox: sudo apt-get install bubblewrap"; exit 1; fi; }

# Debian's Chromium and its driver, for the report's browser tests (root on CI machines).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver; \
	  else echo "install Chromium: sudo apt-get install chromium chromium-driver"; exit 1; fi; }

demo: setup sandbox
	$(BIN)/judge demo

test: setup sandbox browser
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check judge tests benchmarks scripts
	$(BIN)/ruff format --check judge tests benchmarks scripts
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/bench_judge.py
	$(BIN)/python benchmarks/bench_stats.py

clean:
	rm -rf $(VENV) build *.egg-info
