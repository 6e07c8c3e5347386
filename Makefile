# The README's commands. Everything runs inside .venv, installed from the lock on first use
# (and again whenever the lock changes): exact versions with hashes, so two machines a month
# apart get the same packages.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements-dev.txt
# the resolver used by `make lock` / `make upgrade` (the lock itself installs with plain pip)
UV_VERSION := 0.13.9
UV := .venv-lock/bin/uv
# pytest-xdist workers for `make test`: one per core (each with its own sandbox, database and
# Redis number); PYTEST_WORKERS=0 runs in one process
PYTEST_WORKERS ?= auto
COMPILE = $(UV) pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	--quiet --custom-compile-command "make lock"

.PHONY: run test lint bench venv clean translations lock upgrade catalogs

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) tools/check_lock.py
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m webapp

test: $(STAMP)
	$(BIN)/ruff check webapp tests bench tools
	$(BIN)/ruff format --check webapp tests bench tools
	@if [ -x "$${CHROMIUM:-/usr/bin/chromium}" ]; then \
	  echo "browser tests: using $${CHROMIUM:-/usr/bin/chromium}"; \
	else \
	  echo "browser tests: SKIPPED — Chromium not found at $${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)"; \
	fi
	@if [ -n "$${TEST_DATABASE_URL:-}" ]; then echo "database tests: SQLite and $${TEST_DATABASE_URL%%://*}"; \
	else echo "database tests: SQLite only — PostgreSQL SKIPPED (set TEST_DATABASE_URL=postgresql://…)"; fi
	@if [ -n "$${TEST_REDIS_URL:-}" ]; then echo "shared-state tests: Redis at $${TEST_REDIS_URL}"; \
	else echo "shared-state tests: Redis SKIPPED (set TEST_REDIS_URL=redis://…)"; fi
	$(BIN)/pytest -n $(PYTEST_WORKERS)

bench: $(STAMP)
	$(BIN)/python -m bench.run --scale $${SCALE:-40} --users $${USERS:-20} --seconds $${BENCH_SECONDS:-30} \
	  --teams $${TEAMS:-0} --index-rows $${INDEX_ROWS:-0} $${PROFILE:+--profile}

# the SAT catalogues (product and unit keys, postal codes) from a pinned python-satcfdi wheel
catalogs: $(STAMP)
	$(BIN)/python tools/build_sat_catalogs.py

# after changing UI text: refresh the catalogue, translate the new Spanish entries, compile
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --ignore-dirs=".* node_modules" \
	  --project gigstack-backoffice -o webapp/translations/messages.pot .
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations \
	  --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d webapp/translations --statistics

lint: $(STAMP)
	$(BIN)/ruff check webapp tests bench tools
	$(BIN)/ruff format --check webapp tests bench tools

$(UV):
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet uv==$(UV_VERSION)

# after editing pyproject.toml: resolve again, keeping every pin that still fits
lock: $(UV)
	$(COMPILE) -o requirements.txt
	$(COMPILE) --extra dev -o requirements-dev.txt

# on purpose, e.g. monthly: every package to the newest version pyproject.toml allows
upgrade: $(UV)
	$(COMPILE) --upgrade -o requirements.txt
	$(COMPILE) --upgrade --extra dev -o requirements-dev.txt

clean:
	rm -rf $(VENV) .venv-lock .pytest_cache .ruff_cache
