# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NEZLAM_PORT ?= 8000

.PHONY: run test test-fast install lint typecheck bench clean messages browser

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

# Style breaks fail like a test: the lint runs first, then the whole suite.
test: install browser lint
	$(BIN)/python -m pytest

# The inner loop: SQLite only, no browser, no server processes (a few minutes, not fifteen).
# `make test` is still what must pass.
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not postgres"

# Browser tests drive Debian's Chromium (never a downloaded one). Installed when missing and we
# may; otherwise those tests are skipped with the reason (under CI=true they fail instead).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	      || echo "could not install chromium; browser tests will say why"; \
	  else echo "no /usr/bin/chromium: browser tests will be skipped (apt-get install chromium)"; fi; \
	fi

# Type errors fail like style breaks (strict for domain, geo, store, reading, channels).
lint: install typecheck
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy src

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) var test-output

# Extract page strings and update every language's catalog (then translate the new entries).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -o var/messages.pot --no-location --omit-header .
	$(BIN)/pybabel update -i var/messages.pot -d src/nezlam/web/locales --width 100 --no-fuzzy-matching
