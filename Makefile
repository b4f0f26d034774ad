# Two entry points for a newcomer: `make run` and `make test` (and `make check`, the fast loop while
# editing). All bootstrap .venv.
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

# The browser package (web/): npm ci from the committed lockfile, only when node_modules is missing
# or the lockfile changed (the stamp lives inside node_modules, so deleting it re-installs). No
# install scripts run: esbuild (under Vite) takes its binary from its per-platform package.
WEB := web
NPM_STAMP := $(WEB)/node_modules/.installed
WEB_TEST_PAGE := $(WEB)/test-app/dist/index.html
WEB_SOURCES := $(WEB)/jobstream-client.js $(wildcard $(WEB)/src/*.js) $(WEB)/test-app/index.html \
	$(WEB)/test-app/main.jsx $(WEB)/test-app/vite.config.js

# The Next.js example (examples/nextjs): its own lockfile, our package from its `npm pack` tarball
# (as an app installs it from a registry: one copy of React, the app's), then `next build`. Each
# step only when its inputs changed; the tarball is rebuilt from web/ whenever the package changes
# (the lockfile records no integrity for it, so npm ci always installs this checkout's package).
EXAMPLE := examples/nextjs
EXAMPLE_TARBALL := $(EXAMPLE)/vendor/jobstream-client.tgz
EXAMPLE_STAMP := $(EXAMPLE)/node_modules/.installed
EXAMPLE_BUILD := $(EXAMPLE)/.next/BUILD_ID
EXAMPLE_SOURCES := $(shell find $(EXAMPLE)/app $(EXAMPLE)/lib -type f 2>/dev/null) \
	$(EXAMPLE)/next.config.mjs $(EXAMPLE)/tsconfig.json
export NEXT_TELEMETRY_DISABLED := 1

.PHONY: sam run check test lint typecheck deadcode template-check web web-typecheck example-nextjs bench invoke lock clean

# The OpenTelemetry Lambda instrumentation the trace tests run (tests/functional/observability; the
# ADOT layer brings its own on Lambda). Its newest release pins opentelemetry-instrumentation
# 0.66b1, whose semantic conventions pin opentelemetry-api 1.45.1, one patch below the API lock's
# 1.45.2 (fastapi's dependency, shipped); no release matches 1.45.2. So it comes without its
# dependencies, which pyproject.toml's dev extra pins at the 0.66b2 patch built on 1.45.2.
OTEL_AWS_LAMBDA := opentelemetry-instrumentation-aws-lambda==0.66b1

# Two distributions, both editable: the root one (the layer's package in shared/, the dev tooling in
# dev/) and the Python client (clients/python, its own distribution, which the tooling uses).
# Constrained to the locks, so the tests run exactly the versions that ship.
$(STAMP): pyproject.toml clients/python/pyproject.toml $(LAYER_LOCK) $(API_LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip==26.3
	$(BIN)/python -m pip install -q -e '.[dev]' -e clients/python -c $(LAYER_LOCK) -c $(API_LOCK)
	$(BIN)/python -m pip install -q --no-deps $(OTEL_AWS_LAMBDA)
	@touch $(STAMP)

$(SAM_STAMP):
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q aws-sam-cli==$(SAM_CLI_VERSION) cfn-lint==$(CFN_LINT_VERSION)
	@touch $(SAM_STAMP)

# SAM CLI alone, for a deploy (README, "Deploy"): .venv-sam/bin/sam.
sam: $(SAM_STAMP)
	@$(SAM_VENV)/bin/sam --version

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

# The code has no default auth mode (settings.py, api_auth): the local stack chooses none unless
# you do (`JOBSTREAM_API_AUTH=jwt make run` signs callers in with the dev issuer).
run: $(STAMP)
	PORT=$(PORT) $(BIN)/python -m jobstream_local

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy shared/jobstream dev clients/python/jobstream_client
	@# Each handler on its own: three modules named app cannot share one mypy run.
	for handler in functions/*/app.py; do $(BIN)/mypy $$handler || exit 1; done

# Unused code at vulture's 80% confidence (settings in pyproject.toml); dead modules are a unit test.
deadcode: $(STAMP)
	$(BIN)/vulture

$(NPM_STAMP): $(WEB)/package-lock.json $(WEB)/package.json
	cd $(WEB) && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# tsc checks the package, the demo page and the React test page (JS with JSDoc types), generates
# the package's .d.ts files from them, and checks a TypeScript app's use of those .d.ts files.
web-typecheck: $(NPM_STAMP)
	cd $(WEB) && node_modules/.bin/tsc --noEmit -p tsconfig.json
	cd $(WEB) && node_modules/.bin/tsc -p tsconfig.types.json
	cd $(WEB) && node_modules/.bin/tsc -p tsconfig.consumer.json

# The React page tests/browser/test_react_hook.py drives, built with the pinned Vite.
$(WEB_TEST_PAGE): $(NPM_STAMP) $(WEB_SOURCES)
	cd $(WEB) && npm run --silent build:test-app

web: web-typecheck $(WEB_TEST_PAGE)

$(EXAMPLE_TARBALL): $(NPM_STAMP) $(WEB)/package.json $(WEB)/jobstream-client.js $(wildcard $(WEB)/src/*.js)
	@mkdir -p $(@D)
	packed=$$(cd $(WEB) && npm pack --silent --pack-destination $(abspath $(@D))) && \
	  mv $(@D)/$$packed $@

$(EXAMPLE_STAMP): $(EXAMPLE)/package-lock.json $(EXAMPLE)/package.json $(EXAMPLE_TARBALL)
	cd $(EXAMPLE) && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# tests/browser/test_nextjs_*.py start it (`next start`) against a local stack.
$(EXAMPLE_BUILD): $(EXAMPLE_STAMP) $(EXAMPLE_SOURCES)
	cd $(EXAMPLE) && node_modules/.bin/next build
	@touch $@

example-nextjs: $(EXAMPLE_BUILD)

# Offline: neither command calls AWS.
# Run for both worker drivers: the durable variant is the same template with WorkerDriver=durable
# (and a runtime that supports it) as defaults, next to it so that CodeUri paths still resolve.
# And with tracing through the ADOT layer (an AdotLayerArn of the published form as default).
template-check: $(SAM_STAMP)
	$(SAM_VENV)/bin/sam validate --lint --template template.yaml --region us-east-1
	$(SAM_VENV)/bin/cfn-lint template.yaml
	sed -e '/^  WorkerDriver:/,/Default:/s/Default: chain/Default: durable/' \
	    -e '/^  PythonRuntime:/,/Default:/s/Default: python3.1[12]/Default: python3.13/' \
	    template.yaml > .template-durable.yaml
	$(SAM_VENV)/bin/sam validate --lint --template .template-durable.yaml --region us-east-1
	$(SAM_VENV)/bin/cfn-lint .template-durable.yaml
	@rm -f .template-durable.yaml
	@# Tracing with the ADOT layer (AdotLayerArn set): its layer and exec wrapper on every function.
	sed -e '/^  AdotLayerArn:/,/Default:/s|Default: ""|Default: arn:aws:lambda:us-east-1:901920570463:layer:aws-otel-python-arm64-ver-1-32-0:2|' \
	    template.yaml > .template-adot.yaml
	$(SAM_VENV)/bin/sam validate --lint --template .template-adot.yaml --region us-east-1
	$(SAM_VENV)/bin/cfn-lint .template-adot.yaml
	@rm -f .template-adot.yaml
	@# SnapStart on the stream and API functions (the default runtime, python3.12, has it).
	sed -e '/^  SnapStart:/,/Default:/s/Default: "false"/Default: "true"/' template.yaml > .template-snapstart.yaml
	grep -q 'Default: "true"' .template-snapstart.yaml
	$(SAM_VENV)/bin/sam validate --lint --template .template-snapstart.yaml --region us-east-1
	$(SAM_VENV)/bin/cfn-lint .template-snapstart.yaml
	@rm -f .template-snapstart.yaml
	@# Scopes per operation (JWTs): required scopes on every operation.
	sed -e '/^  Jwt[A-Za-z]*Scopes:/,/Default:/s|Default: ""|Default: "jobs/write,jobs:all"|' template.yaml > .template-scopes.yaml
	test "$$(grep -c 'Default: "jobs/write,jobs:all"' .template-scopes.yaml)" = 4
	$(SAM_VENV)/bin/sam validate --lint --template .template-scopes.yaml --region us-east-1
	$(SAM_VENV)/bin/cfn-lint .template-scopes.yaml
	@rm -f .template-scopes.yaml
	@# The REST API front: the only way to the stream (its Function URL AWS_IAM), throttled.
	sed -e '/^  StreamFront:/,/Default:/s/Default: FunctionUrl/Default: RestApi/' template.yaml > .template-rest.yaml
	grep -q 'Default: RestApi' .template-rest.yaml
	$(SAM_VENV)/bin/sam validate --lint --template .template-rest.yaml --region us-east-1
	$(SAM_VENV)/bin/cfn-lint .template-rest.yaml
	@rm -f .template-rest.yaml
	@# The token key never rotated (TokenKeyRotationDays=0: no rotation function or schedule), and
	@# the shortest token lifetimes the parameters allow.
	sed -e '/^  TokenKeyRotationDays:/,/Default:/s/Default: 30/Default: 0/' \
	    -e '/^  ViewTokenTtlSeconds:/,/Default:/s/Default: 600/Default: 30/' \
	    -e '/^  ControlTokenTtlSeconds:/,/Default:/s/Default: 604800/Default: 300/' \
	    template.yaml > .template-norotation.yaml
	grep -q 'Default: 0$$' .template-norotation.yaml
	$(SAM_VENV)/bin/sam validate --lint --template .template-norotation.yaml --region us-east-1
	$(SAM_VENV)/bin/cfn-lint .template-norotation.yaml
	@rm -f .template-norotation.yaml

# The test tiers, one folder each under tests/ (see the README's Tests section). Each tier runs in
# a pytest process of its own, so that process-wide state one tier leaves behind (log levels,
# Powertools log keys, loaded handler modules) cannot change what a later tier sees; fastest
# first, so a break shows in seconds. Hypothesis takes its example budget from HYPOTHESIS_PROFILE
# (profiles in tests/conftest.py): `gate` for `make test`, `check` for the fast loop.
TIERS := unit functional integration browser reliability
TIER_TARGETS := $(addprefix test-,$(TIERS))
.PHONY: $(TIER_TARGETS)

test-unit: $(STAMP)
	$(BIN)/pytest tests/unit

# sam build (tests/integration) finds the pinned SAM CLI through SAM_CLI.
$(filter-out test-unit,$(TIER_TARGETS)): test-%: $(STAMP) $(SAM_STAMP)
	SAM_CLI=$(abspath $(SAM_VENV))/bin/sam $(BIN)/pytest tests/$*

# The loop to run after every edit (under a minute): lint, types, dead code and the unit tier.
check: export HYPOTHESIS_PROFILE := check
check: lint typecheck deadcode test-unit

# The full gate (.ci/run calls it): every check, then every tier.
test: export HYPOTHESIS_PROFILE := gate
test: lint typecheck deadcode template-check web example-nextjs $(TIER_TARGETS)

# The cold-start lab (section lab) runs `sam build` (SAM_CLI) and needs root for its cgroup and
# mount namespace; without root it says it was skipped and why.
bench: $(STAMP) $(SAM_STAMP)
	SAM_CLI=$(abspath $(SAM_VENV))/bin/sam $(BIN)/python -m jobstream_bench

# One handler run locally without Docker, its response printed as it streams (see events/README.md):
#   make invoke FN=stream EVENT=events/stream_from_start.json [ARGS='--seed-params {"n": 50}']
invoke: $(STAMP)
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=api|stream|worker|sweep EVENT=events/<file>.json [ARGS=...]"; exit 2; }
	@# ARGS reaches the command untouched, through the environment: pasted into the shell line,
	@# a JSON object in it would lose its quotes (jobstream_local/invoke/extra_args.py splits it).
	$(BIN)/python -m jobstream_local.invoke --function $(FN) --event $(EVENT) --args "$$ARGS"

clean:
	rm -rf $(VENV) $(SAM_VENV) $(LOCK_VENV) .aws-sam .mypy_cache .ruff_cache .pytest_cache
	rm -rf $(WEB)/node_modules $(WEB)/types $(WEB)/test-app/dist
	rm -rf $(EXAMPLE)/node_modules $(EXAMPLE)/.next $(EXAMPLE)/vendor
