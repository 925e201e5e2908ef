# vcrypto: `make demo` (the main job) and `make test` (the test suite), from a fresh Debian 12 machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: all venv demo test test-fast lint bench clean

all: test

$(STAMP): pyproject.toml
	@scripts/setup-host.sh
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	@touch $@

venv: $(STAMP)

include scripts/guest.mk

demo: $(STAMP) guest
	$(PY) scripts/demo.py

test: $(STAMP) guest
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/pytest -q

test-fast: $(STAMP)
	$(VENV)/bin/pytest -q -m "not e2e"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts

bench: $(STAMP)
	$(PY) bench/bench_device.py

clean:
	rm -rf build $(VENV)
