# The two commands a newcomer needs: `make run` (the bot) and `make test` (the suite).
# Both create .venv and install the project on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-stamp

.PHONY: venv run test lint bench check migrate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: venv
	$(BIN)/wbrep run

migrate: venv
	$(BIN)/wbrep migrate

check: venv
	$(BIN)/wbrep check

# Two workers or more (one per core): each has its own template database and event loop.
test: venv
	$(BIN)/pytest -q -n auto

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

bench: venv
	$(BIN)/pytest -q -s -p no:randomly -o python_files='bench_*.py' -o addopts='' --timeout=1800 tests/bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
