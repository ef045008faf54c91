# The whole set-up on a fresh machine: `make run` starts driftcheck, `make test` proves it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test test-unit test-faults lint bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/driftcheck

system-deps:
	@bash tests/system-deps.sh

test: $(STAMP) system-deps
	$(PY) -m pytest

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit

# The fault suite alone (README "Faults"); the 50 kill -9 rounds are `$(PY) bench/bench_faults.py`.
test-faults: $(STAMP) system-deps
	$(PY) -m pytest tests/e2e/test_faults.py tests/e2e/test_x_restart.py \
		tests/unit/test_faults_store.py tests/unit/test_faults_clock.py tests/unit/test_migrations.py

lint: $(STAMP)
	$(VENV)/bin/ruff check widget tests bench
	$(VENV)/bin/mypy widget

bench: $(STAMP) system-deps
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
