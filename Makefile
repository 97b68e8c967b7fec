# Two commands: `make run` serves the sample directory, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The JavaScript clients the format tests read our exports with (ical.js, luxon), pinned by
# tests/node/package-lock.json; skipped with a note where Node.js is not installed.
NODE_STAMP := tests/node/node_modules/.installed-stamp
# The map's browser libraries, pinned by map/package-lock.json and copied into static/vendor/,
# so every page is served from our own origin (nothing is fetched from a CDN, at run time or
# ever). Without npm the map view is the server's SVG drawing alone.
MAP_STAMP := map/node_modules/.installed-stamp
VENDOR := static/vendor
VENDOR_STAMP := $(VENDOR)/.copied-stamp

# The gettext catalogs: messages.pot extracted from the code and templates (babel.cfg), each
# language's messages.po updated from it, and compiled to the messages.mo the app reads. `make
# run`, `make test` and `make install` do all three when a source changed (nothing to run by
# hand); `make translations` forces it. New messages then wait in each .po for their
# translation (a test lists them); docs/translating.md.
CATALOGS := directory/translations
POT := $(CATALOGS)/messages.pot
PO_FILES := $(wildcard $(CATALOGS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
MESSAGE_SOURCES := $(shell find directory templates -name '*.py' -o -name '*.html') babel.cfg \
	tools/extract_messages.py

.PHONY: run test install vendor lint bench clean translations

# Development server: reloads on code changes and needs no secret key (a random one per start).
run: $(STAMP) $(VENDOR_STAMP) $(MO_FILES)
	$(BIN)/flask --app directory validate
	$(BIN)/flask --app directory index
	DIRECTORY_ENV_NAME=development $(BIN)/flask --app directory run --host 127.0.0.1 --port 5000

test: $(STAMP) $(NODE_STAMP) $(VENDOR_STAMP) $(MO_FILES)
	$(BIN)/python -m pytest

install: $(STAMP) $(MO_FILES)

translations: $(STAMP)
	touch babel.cfg
	$(MAKE) $(MO_FILES)
	$(BIN)/pybabel compile -d $(CATALOGS) --statistics

# Extracting rewrites messages.pot with the same bytes when no message changed (no dates in
# it), so a change of code alone leaves the checkout clean.
$(POT): $(MESSAGE_SOURCES) | $(STAMP)
	$(BIN)/python tools/extract_messages.py
	$(BIN)/pybabel update -i $(POT) -d $(CATALOGS) --no-fuzzy-matching --ignore-obsolete \
		--ignore-pot-creation-date --width 100

# A .mo is remade after its .po changes, and after the update from a new messages.pot.
$(MO_FILES): $(POT)

%.mo: %.po | $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

vendor: $(VENDOR_STAMP)

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

$(MAP_STAMP): map/package.json map/package-lock.json
	@if command -v npm >/dev/null; then \
		cd map && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed-stamp; \
	else echo "npm not found: maps will be the server's drawing only (no zoomable map)"; fi

$(VENDOR_STAMP): $(MAP_STAMP)
	@if [ -d map/node_modules/leaflet ]; then \
		rm -rf $(VENDOR) && mkdir -p $(VENDOR)/leaflet $(VENDOR)/leaflet.markercluster $(VENDOR)/protomaps-leaflet && \
		cp map/node_modules/leaflet/dist/leaflet.js map/node_modules/leaflet/dist/leaflet.css map/node_modules/leaflet/LICENSE $(VENDOR)/leaflet/ && \
		cp map/node_modules/leaflet.markercluster/dist/leaflet.markercluster.js map/node_modules/leaflet.markercluster/dist/MarkerCluster.css map/node_modules/leaflet.markercluster/MIT-LICENCE.txt $(VENDOR)/leaflet.markercluster/ && \
		cp map/node_modules/protomaps-leaflet/dist/protomaps-leaflet.js map/node_modules/protomaps-leaflet/LICENSE $(VENDOR)/protomaps-leaflet/ && \
		touch $(VENDOR_STAMP); \
	fi

lint: $(STAMP)
	$(BIN)/ruff check directory tests bench
	$(BIN)/ruff format --check directory tests bench

bench: $(STAMP)
	$(BIN)/python bench/search.py
	$(BIN)/python bench/loading.py --change
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/memory.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis tests/node/node_modules map/node_modules $(VENDOR)
