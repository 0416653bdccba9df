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

# Debian packages the set-up needs: as root with apt-get, as a user with passwordless sudo; otherwise
# it says what to install and goes on (judge then runs no model code and records why; the tests that
# need the package skip, saying so — CI, as root, installs it and runs them all).
APT = if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $(1); \
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
    sudo apt-get update -qq && sudo apt-get install -y -qq $(1); \
  else echo "note: install $(1) (sudo apt-get install $(1)) for $(2)"; fi

# Debian's bubblewrap: the sandbox for model-written code (judge executes nothing without it).
sandbox:
	@command -v bwrap >/dev/null || { $(call APT,bubblewrap,sandboxed execution of model-written code); }

# Debian's Chromium and its driver, for the report's browser tests.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  $(call APT,chromium chromium-driver,the report's browser tests); }

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
