# Two commands: `make run` serves the sample directory, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install lint bench clean

# Development server: reloads on code changes and needs no secret key (a random one per start).
run: $(STAMP)
	$(BIN)/flask --app directory validate
	$(BIN)/flask --app directory index
	DIRECTORY_ENV_NAME=development $(BIN)/flask --app directory run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/python -m pytest

install: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check directory tests bench
	$(BIN)/ruff format --check directory tests bench

bench: $(STAMP)
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
