# One command, the same locally and in CI. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_VENV ?= .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

.PHONY: example test lint typecheck unit image-test soak bench standalone clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
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

example: $(STAMP)
	echo '{"program": "id"}' | $(BIN)/run-command-on-aws-lambda

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest --ignore=tests/image

# The Dockerfile built by a dockerd of the tests' own (Debian's docker.io, installed when
# missing) on base images made with debootstrap, and run the README's ways. Needs root, as CI
# has; the base images are kept in build/docker/ for the next run.
image-test: $(STAMP)
	$(BIN)/pytest tests/image

test: lint typecheck unit image-test

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
