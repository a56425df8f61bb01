# The two commands of the README: `make demo` and `make test`.
# Each bootstraps .venv from pyproject.toml on first use.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test build bench clean

demo: $(STAMP)
	$(PY) -m autograder build
	$(PY) -m autograder grade examples/submissions --out out/demo --salt demo-salt
	$(PY) -m autograder report out/demo

test: $(STAMP)
	$(PY) -m pytest

build: $(STAMP)
	$(PY) -m autograder build

bench: $(STAMP)
	$(PY) -m autograder build
	$(PY) bench/throughput.py --n 1000

$(STAMP): pyproject.toml
	.ci/system-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) out dist
