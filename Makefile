# The README's commands. Everything runs inside .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m webapp

test: $(STAMP)
	$(BIN)/ruff check webapp tests bench
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run --scale $${SCALE:-40}

lint: $(STAMP)
	$(BIN)/ruff check webapp tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
