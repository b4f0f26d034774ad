# How `sam build` builds the layer and the functions (template.yaml: BuildMethod makefile).
#
# SAM's own Python builder installs a layer or a function without bytecode, and Lambda's /opt and
# /var/task are read-only, so every cold start would compile every module it imports. Plain .pyc
# would not help: SAM's zips give every file the same 1980 timestamp, so timestamp-validated
# bytecode never matches its source and is compiled again anyway (aws-lambda-builders issue 924).
# These recipes install the same locks SAM would, for the target runtime and architecture, and
# then compile hash-based bytecode (PEP 552), which carries no timestamp and survives the zip.
#
# SAM hands a makefile build nothing but ARTIFACTS_DIR (working directory: a copy of the CodeUri
# or ContentUri folder), so the target comes from the folder the template picks by ContextPath:
# lambda-build/<PythonRuntime>-<Architecture>/Makefile sets RUNTIME and ARCHITECTURE and
# includes this file.
#
# Bytecode is per interpreter version (__pycache__/*.cpython-312.pyc), so it is compiled by the
# runtime's own Python: `$(RUNTIME)` on PATH. Without it the build stops and says why; set
# JOBSTREAM_BYTECODE=off to build without bytecode anyway (every cold start then compiles).

ifndef RUNTIME
$(error lambda-build/lambda.mk is included by lambda-build/<runtime>-<architecture>/Makefile)
endif

SHELL := /bin/sh
VERSION := $(patsubst python%,%,$(RUNTIME))
ABI := cp$(subst .,,$(VERSION))

# Wheels Lambda's runtime can load: manylinux up to its glibc (python3.11 runs on Amazon Linux 2,
# glibc 2.26; python3.12 and later on Amazon Linux 2023, glibc 2.34), as SAM's Python builder
# chooses them (aws_lambda_builders/workflows/python_pip/packager.py).
ifeq ($(ARCHITECTURE),arm64)
MACHINE := aarch64
PLATFORMS := manylinux2014_aarch64 manylinux_2_17_aarch64
else
MACHINE := x86_64
PLATFORMS := manylinux1_x86_64 manylinux2010_x86_64 manylinux2014_x86_64 manylinux_2_17_x86_64
endif
ifneq ($(VERSION),3.11)
PLATFORMS += manylinux_2_28_$(MACHINE) manylinux_2_34_$(MACHINE)
endif

# The lock is the full closure with every version pinned, so nothing is resolved here (--no-deps),
# and only wheels for the target are taken (never an sdist built for this machine).
PIP_TARGET_FLAGS := --no-deps --no-compile --only-binary=:all: --implementation cp \
  --python-version $(VERSION) --abi $(ABI) $(addprefix --platform ,$(PLATFORMS)) \
  --disable-pip-version-check --quiet

# The runtime's interpreter, if PATH has it (a pyenv shim that cannot run it does not count).
RUNTIME_PYTHON = $(shell command -v $(RUNTIME) >/dev/null 2>&1 && $(RUNTIME) -c \
  'import sys; print(sys.executable if "%d.%d" % sys.version_info[:2] == "$(VERSION)" else "")' \
  2>/dev/null)

# Copy a source folder without the bytecode a local run may have left in it (timestamp-based,
# and made by whatever Python ran it).
copy_tree = mkdir -p "$(2)" && tar -C "$(1)" --exclude=__pycache__ --exclude=Makefile -cf - . \
  | tar -C "$(2)" -xf -

INSTALL = $(or $(RUNTIME_PYTHON),python3) -m pip install $(PIP_TARGET_FLAGS) --target
ifeq ($(JOBSTREAM_BYTECODE),off)
# On stdout: sam build shows a build's stdout, and its stderr only when the build fails.
COMPILE = @echo "jobstream: WARNING: JOBSTREAM_BYTECODE=off: no bytecode in" \
  "$(ARTIFACTS_DIR); every cold start on Lambda compiles what it imports"; true
else
COMPILE = $(RUNTIME_PYTHON) -m compileall -q -f -j 0 --invalidation-mode
endif

.PHONY: build-SharedLayer build-ApiFunction build-StreamFunction build-WorkerFunction \
  build-DurableWorkerFunction build-TokenKeyRotationFunction build-SweepFunction runtime-python

# The layer: the lock and the jobstream package under python/ (where Lambda's Python runtime looks
# in /opt). unchecked-hash: a layer version never changes, so the interpreter need not even read
# a source to check its bytecode.
build-SharedLayer: runtime-python
	$(INSTALL) "$(ARTIFACTS_DIR)/python" -r requirements.txt
	@# Console scripts (jp.py, ...) with this machine's interpreter in their #! line: no use on Lambda.
	rm -rf "$(ARTIFACTS_DIR)/python/bin"
	$(call copy_tree,jobstream,$(ARTIFACTS_DIR)/python/jobstream)
	$(COMPILE) unchecked-hash "$(ARTIFACTS_DIR)/python"

# A function: its folder, and its lock if it names anything (the API's). checked-hash: the
# console's code editor can change a function's source in place, and the old bytecode must then
# not win.
build-ApiFunction build-StreamFunction build-WorkerFunction build-DurableWorkerFunction \
  build-TokenKeyRotationFunction build-SweepFunction: runtime-python
	$(call copy_tree,.,$(ARTIFACTS_DIR))
	if grep -qs '^[^#[:space:]]' requirements.txt; then \
	  $(INSTALL) "$(ARTIFACTS_DIR)" -r requirements.txt && rm -rf "$(ARTIFACTS_DIR)/bin"; fi
	$(COMPILE) checked-hash "$(ARTIFACTS_DIR)"

runtime-python:
ifneq ($(JOBSTREAM_BYTECODE),off)
	@if [ -z "$(RUNTIME_PYTHON)" ]; then \
	  echo "jobstream: ERROR: no working $(RUNTIME) on PATH." >&2; \
	  echo "  PythonRuntime=$(RUNTIME): its bytecode (hash-based .pyc, PEP 552, which survives" >&2; \
	  echo "  the zip's fixed timestamps) must be compiled by Python $(VERSION) itself. Either" >&2; \
	  echo "  - put $(RUNTIME) on PATH ('uv python install $(VERSION)', pyenv, your OS's package)," >&2; \
	  echo "  - deploy the Python you have: --parameter-overrides PythonRuntime=python3.X, or" >&2; \
	  echo "  - build without bytecode: JOBSTREAM_BYTECODE=off sam build (every cold start then" >&2; \
	  echo "    compiles each module it imports: docs/deploy.md, 'Bytecode')." >&2; \
	  exit 1; \
	fi
endif
