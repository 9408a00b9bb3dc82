# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NEZLAM_PORT ?= 8000

.PHONY: run test install lint bench clean messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/nezlam db upgrade
	$(BIN)/nezlam demo --if-empty
	$(BIN)/nezlam serve --port $(NEZLAM_PORT)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) var test-output

# Extract page strings and update every language's catalog (then translate the new entries).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -o var/messages.pot --no-location --omit-header .
	$(BIN)/pybabel update -i var/messages.pot -d src/nezlam/web/locales --no-location --width 100
