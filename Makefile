# Two commands on a fresh machine:
#   make demo   sets everything up and runs the main job
#   make test   sets everything up and runs every check CI runs
# Both are idempotent: setup is redone only when pyproject.toml or package.json change.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CDK := node_modules/.bin/cdk
# jsii prints a banner on every run under Node 20; the toolchain works, the banner only hides real output.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: setup demo synth test lint lock clean bench

setup: $(VENV)/.installed node_modules/.installed

PIP_VERSION := 26.3

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet 'pip==$(PIP_VERSION)'
	PIP_CONSTRAINT=constraints.txt $(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# Re-resolve constraints.txt from pyproject.toml in a fresh environment (after changing a pin there).
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet 'pip==$(PIP_VERSION)'
	.venv-lock/bin/python -m pip install --quiet -e '.[dev]'
	{ sed -n '1,2p' constraints.txt; .venv-lock/bin/python -m pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .venv-lock

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Benchmarks (figures, not tests): synth and cold start against the floor and the peer, the wait modes' costs, scale;
# the figures go to bench/RESULTS.md.
bench: setup
	$(PY) bench/run.py

synth: setup
	$(CDK) synth --quiet --no-notices

demo: setup
	$(PY) -m bedrock_customization_local.driver demo

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Two workers (pytest-xdist), a whole test module at a time each: the suite is CPU-bound (synths, the local emulator).
test: lint
	$(PY) -m pytest -n 2 --dist loadscope

clean:
	rm -rf $(VENV) node_modules cdk.out
