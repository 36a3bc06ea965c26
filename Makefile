# kerasseq developer commands. Each target installs what it needs into .venv first,
# so they work on a fresh machine that has only Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export KERAS_BACKEND := tensorflow
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: install test lint format demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml setup.cfg
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

lint: install
	$(BIN)/ruff check kerasseq tests benchmarks conftest.py
	$(BIN)/ruff format --check kerasseq tests benchmarks conftest.py

format: install
	$(BIN)/ruff check --fix kerasseq tests benchmarks conftest.py
	$(BIN)/ruff format kerasseq tests benchmarks conftest.py

test: lint
	$(BIN)/python -m pytest -n auto  # one worker per core (pytest-xdist)

demo: install
	$(BIN)/kerasseq demo

bench: install
	$(BIN)/python benchmarks/recurrent.py
	$(BIN)/python benchmarks/text.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
