# Two commands a new machine needs:  make run  (the portal)  and  make test  (the suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
NPM ?= npm
export FLASK_APP := app

TRANSLATIONS := app/translations
PYBABEL := $(BIN)/pybabel

.PHONY: run test install browser-deps lint clean translations compile-translations

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

install: $(VENV)/.installed node_modules/.installed compile-translations

## Urdu and Pashto catalogues (app/translations/<lang>/LC_MESSAGES/messages.po), compiled to .mo for the app.
compile-translations: $(VENV)/.installed
	$(PYBABEL) -q compile -d $(TRANSLATIONS)

## After changing texts: extract them (babel.cfg), merge into each catalogue, compile. Then translate the
## new entries in each messages.po (make test fails on an untranslated or fuzzy entry).
translations: $(VENV)/.installed
	$(PYBABEL) -q extract -F babel.cfg -k _l -k lazy_gettext -k _n:1,2 -k _ln:1,2 --no-wrap --sort-by-file \
		--ignore-dirs=node_modules --ignore-dirs=".*" --project "Citizen's Portal" -o $(TRANSLATIONS)/messages.pot .
	$(PYBABEL) -q update --no-wrap --no-fuzzy-matching -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)
	$(PYBABEL) -q compile -d $(TRANSLATIONS)

## The analyst workbench's BPMN modeler (bpmn-js) comes from the npm registry, pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	@command -v $(NPM) >/dev/null 2>&1 || { echo "$(NPM) not found: install Node.js 18+ with npm (Debian: apt-get install nodejs npm); the analyst workbench serves bpmn-js from node_modules"; exit 1; }
	$(NPM) ci --no-audit --no-fund
	@touch $@

## The portal on its embedded default: SQLite, no Redis, timer sweep in-process, demo data.
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed
	HOST=$(HOST) PORT=$(PORT) $(BIN)/flask serve

## The whole suite: pyflakes and layer contracts, then tests on SQLite, then on PostgreSQL when
## TEST_DATABASE_URL is set (worker tests use TEST_REDIS_URL or local Redis db 15).
test: install browser-deps
	$(BIN)/ruff check --select F,E9 app workflows config tests worker.py
	$(BIN)/lint-imports
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: $$TEST_DATABASE_URL"; \
		$(BIN)/python -m pytest -m "not browser"; \
	fi

## Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y -q chromium >/dev/null; \
		else sudo apt-get install -y -q chromium >/dev/null; fi; \
	fi

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache
