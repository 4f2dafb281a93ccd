# Casework: two commands do all the set-up on a fresh machine with Python 3.11+ and make.
#   make demo   installs into .venv, loads the demonstration data into ./casework.db, serves it
#   make test   installs into .venv with the dev extra, runs the linters (ruff, mypy, import
#               contracts) and the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install demo serve test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Casework needs Python 3.11 or newer: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/casework db upgrade
	@test -f casework-signing-key.json || $(BIN)/casework keys signing create casework-signing-key.json
	$(BIN)/casework demo --with-cqc bundled --users
	$(BIN)/casework serve --host $(HOST) --port $(PORT)

serve: $(STAMP)
	$(BIN)/casework serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(STAMP) lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .ruff_cache test-artifacts
