# The two commands (see README): `make quickstart` and `make test`. CI runs .ci/run -> `make test`.
# Everything installs into a project virtual environment, so a fresh machine needs only
# Python 3.11+, Java 17+ and Maven; nothing is installed by hand.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install jars lint test quickstart bench bench-java clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Apache Kafka's jars from Maven Central, cached in ~/.cache/kconnect (once per machine).
jars: install
	$(PY) -m kconnect.supervisor.devbroker.jars

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# Any failing step fails the target; that includes pytest's exit code 5 ("no tests collected").
test: jars lint
	$(PY) -m pytest -q --durations=30

quickstart: jars
	$(VENV)/bin/kconnect quickstart

bench: jars
	$(PY) tests/bench/bench_foundation.py

bench-java: jars
	$(PY) tests/bench/bench_vs_java.py

clean:
	rm -rf $(VENV) .kconnect
