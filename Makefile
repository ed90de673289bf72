# Two commands for a fresh machine: `make run` (the demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

system-deps:
	bash scripts/system-deps.sh

## run: install, migrate a SQLite database, add the synthetic demo school, print its logins, serve
run: $(STAMP)
	$(BIN)/flask --app chronology db upgrade
	$(BIN)/flask --app chronology seed-demo
	@echo "Open http://127.0.0.1:5000 and sign in with one of the logins above."
	$(BIN)/flask --app chronology run --host 127.0.0.1 --port 5000

## test: install everything (PostgreSQL included) and run the whole suite on SQLite and PostgreSQL
test: system-deps $(STAMP)
	$(BIN)/bandit --quiet --recursive chronology --severity-level high
	$(BIN)/python -m pytest

## bench: the benchmark suite (bench/README.md); SIZE=smoke (default, a few minutes), school or full
SIZE ?= smoke
bench: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y -qq wrk || echo "wrk is missing: figure 1 will be skipped"
	$(BIN)/python bench/run.py --size $(SIZE)

clean:
	rm -rf $(VENV) instance .pytest_cache tests/e2e/node_modules test-artifacts
