# Two commands for a fresh machine: `make run` (the demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench system-deps clean

PORT ?= 5000

# pip's and the build's own chatter goes to a log, shown only when something fails.
$(STAMP): pyproject.toml
	@echo "Installing Chronology and its libraries into $(VENV) (the first time only)..."
	@$(PYTHON) -m venv $(VENV)
	@{ $(BIN)/python -m pip install --quiet --upgrade pip && \
	   $(BIN)/python -m pip install --quiet -e '.[dev]'; } > $(VENV)/install.log 2>&1 || \
	 { cat $(VENV)/install.log; echo "Installing failed: the messages above say why."; exit 1; }
	@touch $(STAMP)

system-deps:
	bash scripts/system-deps.sh

## run: install, migrate a SQLite database, add the synthetic demo school, print its logins, serve
run: $(STAMP)
	@$(BIN)/flask --app chronology db upgrade > $(VENV)/upgrade.log 2>&1 || \
	 { cat $(VENV)/upgrade.log; echo "Setting up the database failed: the messages above say why."; exit 1; }
	@$(BIN)/flask --app chronology seed-demo
	@echo "Open http://127.0.0.1:$(PORT) and sign in with one of the logins above. Press Ctrl+C to stop."
	@$(BIN)/gunicorn --workers 2 --bind 127.0.0.1:$(PORT) --log-level warning 'chronology:create_app()'

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
