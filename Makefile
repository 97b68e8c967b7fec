# Two commands: `make run` serves the sample directory, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The JavaScript clients the format tests read our exports with (ical.js, luxon), pinned by
# tests/node/package-lock.json; skipped with a note where Node.js is not installed.
NODE_STAMP := tests/node/node_modules/.installed-stamp

# The gettext catalogs: messages.pot extracted from the code and templates (babel.cfg), each
# language's messages.po updated from it, and compiled to the messages.mo the app reads.
# `make translations` after changing any text shown to people; docs/translating.md.
CATALOGS := directory/translations
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(CATALOGS)/*/LC_MESSAGES/messages.po))

.PHONY: run test install lint bench clean translations

# Development server: reloads on code changes and needs no secret key (a random one per start).
run: $(STAMP) $(MO_FILES)
	$(BIN)/flask --app directory validate
	$(BIN)/flask --app directory index
	DIRECTORY_ENV_NAME=development $(BIN)/flask --app directory run --host 127.0.0.1 --port 5000

test: $(STAMP) $(NODE_STAMP) $(MO_FILES)
	$(BIN)/python -m pytest

install: $(STAMP) $(MO_FILES)

translations: $(STAMP)
	$(BIN)/python tools/extract_messages.py
	$(BIN)/pybabel update -i $(CATALOGS)/messages.pot -d $(CATALOGS) --no-fuzzy-matching --ignore-obsolete \
		--ignore-pot-creation-date --width 100
	$(BIN)/pybabel compile -d $(CATALOGS) --statistics

%.mo: %.po | $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json
	@if command -v npm >/dev/null; then \
		cd tests/node && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed-stamp; \
	else echo "npm not found: the tests that read our files with ical.js and luxon will be skipped"; fi

lint: $(STAMP)
	$(BIN)/ruff check directory tests bench
	$(BIN)/ruff format --check directory tests bench

bench: $(STAMP)
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis tests/node/node_modules
