# Two commands to start: `make run` and `make test`. Both create .venv and install on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-test
EVAL_STAMP := $(VENV)/.installed-eval

.PHONY: run test lint typecheck bench eval clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(EVAL_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,eval]'
	touch $@

run: $(STAMP)
	$(VENV)/bin/diplobrief run

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

test: lint typecheck
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m bench

eval: $(EVAL_STAMP)
	$(PY) -m bench.eval

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
