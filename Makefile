# planner — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PLANNER := $(VENV)/bin/planner
PORT ?= 5000

.PHONY: run test install install-test db demo-data bench clean

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

install: $(VENV)/.installed

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install-test: $(VENV)/.installed-test

db: install
	$(PLANNER) db upgrade

demo-data: db
	$(PLANNER) import content_library schedules
	$(PLANNER) users demo
	$(PLANNER) demo-history

## Run planner (web app + worker + local fake Facebook/Zalo) on SQLite with the demo data.
run: demo-data
	PORT=$(PORT) $(PLANNER) demo

## Install the test extras and run the whole test suite, on both cores (pytest-xdist; each worker has its own
## database; PYTEST_WORKERS=0 runs in one process, e.g. for a single test with pdb).
PYTEST_WORKERS ?= 2
test: install-test
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## Benchmarks (JSON on stdout; PLANNER_BENCH_PG_URL=postgresql+psycopg://… adds PostgreSQL).
bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/schedule.py
	$(PY) bench/dispatch.py
	$(PY) bench/calendar_page.py
	$(PY) bench/pages.py --small
	$(PY) bench/print.py

clean:
	rm -rf $(VENV) instance build *.egg-info .pytest_cache
