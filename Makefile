# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
JOB    ?= inputs/baseline.toml

.PHONY: run scenarios frontier stress test lint validate clean chromium bench bench-full

# Installation says what it does (it takes a minute or two the first time); pip's -qq keeps
# only errors, so no build chatter (setuptools' notes on editable installs) reaches the screen.
$(BIN)/python:
	@echo "oreflow: creating the virtual environment $(VENV) (first run only)"
	$(PYTHON) -m venv $(VENV)
	@echo "oreflow: upgrading pip"
	$(BIN)/python -m pip install -qq --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "oreflow: installing oreflow and its dependencies into $(VENV) (about a minute the first time)"
	$(BIN)/python -m pip install -qq -e .
	@echo "oreflow: installed"
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	@echo "oreflow: installing oreflow with its test and lint tools into $(VENV) (a minute or two the first time)"
	$(BIN)/python -m pip install -qq -e ".[dev]"
	@echo "oreflow: installed"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/oreflow run $(JOB)

scenarios: $(VENV)/.installed
	$(BIN)/oreflow run inputs/scenarios_2024.toml

frontier: $(VENV)/.installed
	$(BIN)/oreflow sweep inputs/frontier_ndpr.toml

stress: $(VENV)/.installed
	$(BIN)/oreflow stress $(JOB)

validate: $(VENV)/.installed
	$(BIN)/oreflow validate $(JOB)

test: $(VENV)/.installed-dev chromium lint
	$(BIN)/python -m pytest -q

# ruff (lint and format check) and mypy, configured in pyproject.toml. mypy reads the
# package as it is installed (model/ and solvers/ as oreflow.model and oreflow.solvers)
# through a tree of symbolic links, $(MYPY_TREE), rebuilt on every run. Tests are checked
# for names, imports and signatures: they narrow optional results and numpy/pandas values
# by asserting them at run time, which mypy cannot follow ($(TEST_LEAVES)).
MYPY_TREE := .mypy-tree
MYPY := ../$(BIN)/mypy --config-file ../pyproject.toml
TEST_LEAVES := $(foreach code,union-attr arg-type assignment misc operator attr-defined,--disable-error-code $(code))
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	rm -rf $(MYPY_TREE)/oreflow && mkdir -p $(MYPY_TREE)/oreflow
	for entry in oreflow/*; do ln -s ../../$$entry $(MYPY_TREE)/oreflow/; done
	ln -s ../../model $(MYPY_TREE)/oreflow/model && ln -s ../../solvers $(MYPY_TREE)/oreflow/solvers
	cd $(MYPY_TREE) && $(MYPY) -p oreflow && $(MYPY) ../benchmarks && $(MYPY) $(TEST_LEAVES) ../tests

# Benchmarks (benchmarks/README.md): results are recorded in benchmarks/RESULTS.md.
# bench: a quick subset (a couple of minutes); bench-full: every size and reference (an hour or more).
bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run.py --sizes 1e3 1e4 --repeat 3
	$(BIN)/python benchmarks/algorithms.py --sizes 1e3 1e4
	$(BIN)/python benchmarks/warm.py --sizes 1e4
	$(BIN)/python benchmarks/pyomo_compare.py --sizes 1e4
	$(BIN)/python benchmarks/small_jobs.py
	$(BIN)/python benchmarks/sweep.py --sizes 1e4 --points 200

bench-full: $(VENV)/.installed
	$(BIN)/python benchmarks/run.py --sizes 1e3 1e4 1e5 2e5 --repeat 3
	$(BIN)/python benchmarks/algorithms.py --sizes 1e3 1e4 1e5
	$(BIN)/python benchmarks/warm.py --sizes 1e4 1e5
	$(BIN)/python benchmarks/pyomo_compare.py --sizes 1e4 1e5
	$(BIN)/python benchmarks/small_jobs.py
	$(BIN)/python benchmarks/sweep.py --sizes 1e4 1e5 --points 200

# Headless Chromium for the report's browser tests (tests/test_report.py). Never fails the
# build: where it cannot be installed, those tests skip and say why.
chromium:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium and chromium-driver for the browser tests (apt-get)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1 \
	    || echo "chromium could not be installed: the browser tests will be skipped"; \
	else echo "no apt-get: chromium not installed, the browser tests will be skipped"; fi

clean:
	rm -rf $(VENV) outputs .pytest_cache .mypy-tree .ruff_cache
