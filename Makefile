# The README's commands. Everything runs inside .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench venv clean translations

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
	@if [ -x "$${CHROMIUM:-/usr/bin/chromium}" ]; then \
	  echo "browser tests: using $${CHROMIUM:-/usr/bin/chromium}"; \
	else \
	  echo "browser tests: SKIPPED — Chromium not found at $${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)"; \
	fi
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run --scale $${SCALE:-40}

# after changing UI text: refresh the catalogue, translate the new Spanish entries, compile
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --ignore-dirs=".* node_modules" \
	  --project gigstack-backoffice -o webapp/translations/messages.pot .
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations \
	  --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d webapp/translations --statistics

lint: $(STAMP)
	$(BIN)/ruff check webapp tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
