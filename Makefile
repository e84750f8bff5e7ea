# The developer loop. `make check` is what to run before a commit; CI runs `make ci` (the whole suite).
PY ?= .venv/bin/python

.PHONY: setup test fast lint format check ci

setup:            ## a .venv with the kit and its extras (Debian packages too, as root)
	bash .ci/setup

fast:             ## the suite without the slow end-to-end tests (nbgrader, fresh venvs, the agreement run)
	$(PY) -m pytest -m "not slow"

test:             ## the whole suite, as CI runs it
	$(PY) -m pytest

lint:             ## ruff's lint rules and layout (pyproject.toml)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format:           ## ruff's formatter
	$(PY) -m ruff format .

check: lint       ## lint, then the kit's own proofs: exercises/ fresh, solutions 100, stubs 0, every body checked
	$(PY) -m autograder.cli build --check
	$(PY) -m autograder.cli verify

ci: check test
