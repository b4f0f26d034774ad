# Two entry points for a newcomer: `make run` and `make test`. Both bootstrap .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# SAM CLI pins its own versions of libraries the app also pins, so it lives in a venv of its own.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
SAM_CLI_VERSION := 1.170.0
CFN_LINT_VERSION := 1.58.0
# pip-compile, in a venv of its own (its pip pins would fight the dev venv's), for `make lock`.
LOCK_VENV := .venv-lock
LOCK_STAMP := $(LOCK_VENV)/.installed
PIP_TOOLS_VERSION := 7.6.2
# The layer's lock: the full closure of pyproject.toml's runtime dependencies, every version pinned.
# `sam build` installs it into the layer (SAM cannot pass --no-deps, so nothing may be left to float)
# and it constrains the dev venv, so the tests run exactly the versions that ship.
LAYER_LOCK := shared/requirements.txt
# The API function's lock: fastapi and mangum with their closure, constrained to the layer's lock.
API_LOCK := functions/api/requirements.txt
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --strip-extras \
  --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
export SAM_CLI_TELEMETRY := 0
PORT ?= 8000

.PHONY: run test lint typecheck unit template-check bench invoke lock clean

# Two distributions, both editable: the root one (the layer's package in shared/, the dev tooling in
# dev/) and the Python client (clients/python, its own distribution, which the tooling uses).
# Constrained to the locks, so the tests run exactly the versions that ship.
$(STAMP): pyproject.toml clients/python/pyproject.toml $(LAYER_LOCK) $(API_LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip==26.3
	$(BIN)/python -m pip install -q -e '.[dev]' -e clients/python -c $(LAYER_LOCK) -c $(API_LOCK)
	@touch $(STAMP)

$(SAM_STAMP):
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q aws-sam-cli==$(SAM_CLI_VERSION) cfn-lint==$(CFN_LINT_VERSION)
	@touch $(SAM_STAMP)

$(LOCK_STAMP):
	@test -x $(LOCK_VENV)/bin/python || $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q pip-tools==$(PIP_TOOLS_VERSION)
	@touch $(LOCK_STAMP)

# Regenerate both locks after changing pyproject.toml's dependencies or functions/api/requirements.in
# (kept pins stay unless they must move; `make lock LOCK_ARGS=--upgrade` moves every transitive pin
# to its newest release). Then `make .venv/.installed` and the packaging tests.
lock: $(LOCK_STAMP)
	$(PIP_COMPILE) --output-file=$(LAYER_LOCK) pyproject.toml
	$(PIP_COMPILE) --output-file=$(API_LOCK) functions/api/requirements.in

run: $(STAMP)
	PORT=$(PORT) $(BIN)/python -m jobstream_local

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy shared/jobstream dev clients/python/jobstream_client

# Offline: neither command calls AWS.
template-check: $(SAM_STAMP)
	$(SAM_VENV)/bin/sam validate --lint --template template.yaml --region us-east-1
	$(SAM_VENV)/bin/cfn-lint template.yaml

unit: $(STAMP) $(SAM_STAMP)
	SAM_CLI=$(abspath $(SAM_VENV))/bin/sam $(BIN)/pytest

test: lint typecheck template-check unit

bench: $(STAMP)
	$(BIN)/python -m jobstream_bench

# One handler run locally without Docker, its response printed as it streams (see events/README.md):
#   make invoke FN=stream EVENT=events/stream_from_start.json [ARGS='--seed-params {"n": 50}']
invoke: $(STAMP)
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=api|stream|worker EVENT=events/<file>.json [ARGS=...]"; exit 2; }
	$(BIN)/python -m jobstream_local.invoke --function $(FN) --event $(EVENT) $(ARGS)

clean:
	rm -rf $(VENV) $(SAM_VENV) $(LOCK_VENV) .aws-sam .mypy_cache .ruff_cache .pytest_cache
