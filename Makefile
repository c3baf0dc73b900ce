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

.PHONY: run test install browser-deps lint clean translations compile-translations lock check-lock

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

## Every package at the version and hash the lock names (requirements/test.txt: runtime + demo + test),
## then the portal itself from the checkout (editable, its dependencies already there).
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml requirements/test.txt
	$(BIN)/pip install -q --require-hashes -r requirements/test.txt
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

## The lock: setup.cfg compiled by uv (pinned here) into requirements/runtime.txt (install_requires),
## demo.txt (+ the demo extra) and test.txt (+ the test extra), every package with its hashes, for
## Python 3.11-3.13 at once (--universal). Run it after changing a requirement in setup.cfg.
UV_VERSION := 0.13.8
UV := $(VENV)/uv-$(UV_VERSION)/bin/uv
LOCK_OPTIONS := --universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock" -q
$(UV): $(BIN)/python
	$(BIN)/python -m venv $(VENV)/uv-$(UV_VERSION)
	$(VENV)/uv-$(UV_VERSION)/bin/pip install -q uv==$(UV_VERSION)

lock: $(UV)
	$(UV) pip compile setup.cfg $(LOCK_OPTIONS) -o requirements/runtime.txt
	$(UV) pip compile setup.cfg --extra demo -c requirements/runtime.txt $(LOCK_OPTIONS) -o requirements/demo.txt
	$(UV) pip compile setup.cfg --extra test -c requirements/runtime.txt $(LOCK_OPTIONS) -o requirements/test.txt

## Fails when setup.cfg and the lock disagree (someone changed a pin and did not run make lock).
check-lock:
	@$(or $(wildcard $(BIN)/python),$(PYTHON)) requirements/check_lock.py

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

## The whole suite: pyflakes and layer contracts, then tests on SQLite and, at the same time, on PostgreSQL
## when TEST_DATABASE_URL is set (worker tests use TEST_REDIS_URL or local Redis db 15; on PostgreSQL db 14).
test: check-lock install browser-deps
	$(BIN)/ruff check --select F,E9 app workflows tests worker.py
	$(BIN)/lint-imports
	bash tests/run_suites.sh $(BIN)/python

## Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y -q chromium >/dev/null; \
		else sudo apt-get install -y -q chromium >/dev/null; fi; \
	fi

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache
