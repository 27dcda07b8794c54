# One command, the same locally and in CI. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
BENCH_VENV ?= .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

.PHONY: example test lint typecheck unit wheel-test image-test soak bench standalone clean

# What running needs (make example): the project, editable, and its few dependencies.
$(RUN_STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

# What the tests need on top (every other target): the test extras, and mypy's view of src/.
$(STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	mkdir -p $(VENV)/typing && ln -sfn $(CURDIR)/src $(VENV)/typing/run_command_on_aws_lambda
	touch $(STAMP)

# The benchmark runs a regular install, as in an image: the editable install's import hook
# would add about 10 ms to the start of every Python contender. Reinstalled when src/ changes.
$(BENCH_STAMP): pyproject.toml setup.py $(shell find src -name '*.py')
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet --force-reinstall --no-deps .
	$(BENCH_VENV)/bin/python -m pip install --quiet '.[bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python -m bench.peers $(BENCH_ARGS)
	$(BENCH_VENV)/bin/python -m bench.managed $(MANAGED_BENCH_ARGS)

example: $(RUN_STAMP)
	echo '{"program": "id"}' | $(BIN)/run-command-on-aws-lambda

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy

# tests/wheel runs under wheel-test, against the same build as the end-to-end files there;
# tests/image under image-test.
unit: $(STAMP)
	$(BIN)/pytest --ignore=tests/wheel --ignore=tests/image

# What users install: the sdist and the wheel as `python -m build` makes them, the wheel in a
# fresh virtual environment (not editable), and the end-to-end files for local mode, Lambda
# mode and --serve (with boto3) run again against that installation's console script.
WHEEL_DIR := build/wheel-test
WHEEL_E2E := tests/e2e/test_local_mode.py tests/e2e/test_lambda_mode.py tests/e2e/test_emulator.py
wheel-test: $(STAMP)
	rm -rf $(WHEEL_DIR)
	$(BIN)/python -m build --quiet --outdir $(WHEEL_DIR)/dist .
	$(PYTHON) -m venv $(WHEEL_DIR)/venv
	$(WHEEL_DIR)/venv/bin/python -m pip install --quiet $(WHEEL_DIR)/dist/*.whl
	RUN_COMMAND_TEST_DIST=$(WHEEL_DIR)/dist \
	RUN_COMMAND_TEST_SCRIPT=$(CURDIR)/$(WHEEL_DIR)/venv/bin/run-command-on-aws-lambda \
		$(BIN)/pytest tests/wheel $(WHEEL_E2E)

# The Dockerfile built by a dockerd of the tests' own (Debian's docker.io, installed when
# missing) on base images made with debootstrap, and run the README's ways. Needs root, as CI
# has; the base images are kept in build/docker/ for the next run.
image-test: $(STAMP)
	$(BIN)/pytest tests/image

test: lint typecheck unit wheel-test image-test

# The full soak (the default suite runs it with 1,000 invocations).
soak: $(STAMP)
	RUN_COMMAND_SOAK_INVOCATIONS=10000 $(BIN)/pytest -m soak -s

# The runtime as a self-contained directory that needs no Python where it runs (see docs/container-images.md).
standalone: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build/standalone packaging/standalone.spec
	du -sh dist/run-command-on-aws-lambda

clean:
	rm -rf $(VENV) $(BENCH_VENV) build dist *.egg-info src/*.egg-info .mypy_cache .pytest_cache .ruff_cache
