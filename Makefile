# Two commands on a fresh machine with Python 3.11+ and make:
#   make run    the server on the embedded store, with the demo data
#   make test   the whole test suite (SQLite and PostgreSQL)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: run test test-large lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The server needs only the runtime dependencies; the tests add the dev extras.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/ledger serve --demo --port $(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/pytest -q

# CI's large check, after `make test` (~30 min, needs PostgreSQL): a 100,000-decision
# `ledger import --restore` into PostgreSQL, whole and SIGKILLed halfway (bench/large.py).
test-large: $(VENV)/.installed-dev
	$(BIN)/python -m bench.large

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check domain ledger projections api tests bench tools
	$(BIN)/mypy

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.serve --backend sqlite --ledger var/bench-100k --build 100000
	$(BIN)/python -m bench.serve --backend postgres --workers 4 --build 100000 \
	    --postgres 'postgresql://postgres@127.0.0.1:5432/test?schema=bench100k'
	$(BIN)/python -m bench.api --requests 300
	$(BIN)/python -m bench.api --requests 300 --postgres postgresql://postgres@127.0.0.1:5432/test
	$(BIN)/python -m bench.imports --source var/bench-100k --sizes 10000,50000
	$(BIN)/python -m bench.chain
	$(BIN)/python -m bench.evaluation --ledger var/bench-100k --queries 10
	$(BIN)/python -m bench.append

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
