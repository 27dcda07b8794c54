# One command, the same locally and in CI. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: example test lint typecheck unit soak bench standalone clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	mkdir -p $(VENV)/typing && ln -sfn $(CURDIR)/src $(VENV)/typing/run_command_on_aws_lambda
	touch $(STAMP)

example: $(STAMP)
	echo '{"program": "id"}' | $(BIN)/run-command-on-aws-lambda

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

# The full soak (the default suite runs it with 1,000 invocations).
soak: $(STAMP)
	RUN_COMMAND_SOAK_INVOCATIONS=10000 $(BIN)/pytest -m soak -s

# The runtime as a self-contained directory that needs no Python where it runs (see the README).
standalone: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build/standalone packaging/standalone.spec
	du -sh dist/run-command-on-aws-lambda

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info .mypy_cache .pytest_cache .ruff_cache
