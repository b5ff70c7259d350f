# videohook: `make run` serves the whole service locally; `make test` runs every test.
# The first target that needs it builds .venv (and .tools for uv and the SAM CLI) by itself.

PYTHON ?= $(shell .ci/find-python)
VENV := .venv
PY := $(VENV)/bin/python
# .tools holds the build tools, apart from the project's dependencies: uv and the SAM CLI.
TOOLS := .tools
UV_VERSION := 0.13.9
SAM_CLI_VERSION := 1.170.0
UV := $(TOOLS)/bin/uv
SAM := $(TOOLS)/bin/sam
# `sam build` needs the functions' runtime (python3.13) on PATH.
RUNTIME_BIN := $(dir $(shell .ci/find-python))
# What `sam build` installs into CommonLayer: the lock's runtime set, pinned and hashed.
LAYER_REQUIREMENTS := layers/common/requirements.txt
LAYER_EXPORT := $(UV) export --locked --no-dev --no-emit-project --no-header --format requirements.txt
# Only registries are reachable: uv must use the interpreter it is given, never fetch one.
export UV_PYTHON_DOWNLOADS := never
# The SAM CLI would otherwise try to send usage telemetry from every run.
export SAM_CLI_TELEMETRY := 0

.DEFAULT_GOAL := help
.PHONY: help run invoke demo bench catalog openapi replay-dlq reshard-pending add-client test test-unit test-integration test-e2e lint check-lock lock format build deploy simulator venv tools clean

help: ## show this menu
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Exactly the lock (dev group and the project, editable, included); --locked refuses a lock
# that no longer matches pyproject.toml instead of rewriting it.
$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python $(PYTHON)
	touch $@

$(TOOLS)/.installed: $(UV)
	$(UV) pip install --quiet --python $(TOOLS)/bin/python "aws-sam-cli==$(SAM_CLI_VERSION)"
	touch $@

venv: $(VENV)/.installed ## create the project venv
tools: $(TOOLS)/.installed ## install uv and the SAM CLI into .tools, apart from the project

run: venv ## run the whole service locally (moto, upstream simulator, API on :3000)
	$(PY) -m local

invoke: venv ## one event through one function against `make run`: make invoke FUNCTION=PollerFunction EVENT=events/poller_schedule_tick.json
	$(PY) -m local.invoke $(FUNCTION) $(EVENT)

demo: venv ## one generation end to end against the local stack, callback verified
	$(PY) -m local.demo

simulator: venv ## run the upstream simulator alone on :8089
	$(PY) -m local.upstream_simulator --port 8089 --seconds-to-complete 3

test: venv ## unit, integration and end-to-end tests
	$(PY) -m pytest

test-unit: venv ## unit tests only (no sockets)
	$(PY) -m pytest tests/unit

test-integration: venv ## handlers under moto with loopback peers
	$(PY) -m pytest tests/integration

test-e2e: venv ## the local stack over HTTP
	$(PY) -m pytest tests/e2e

bench: venv ## every benchmark, each ratio next to its goal (docs/performance.md, docs/reliability.md); ~27 min
	$(PY) -m benchmarks.copy_memory
	$(PY) -m benchmarks.catalog_validation
	$(PY) -m benchmarks.notifier_throughput
	$(PY) -m benchmarks.poller_throughput
	$(PY) -m benchmarks.fanout_simulation
	$(PY) -m benchmarks.lag
	$(PY) -m benchmarks.lag_local_stack
	$(PY) -m benchmarks.cold_start

catalog: venv ## regenerate the model catalog from the provider's schemas (../shared/provider)
	$(PY) -m ops.build_catalog

openapi: venv ## regenerate docs/openapi.json from the API's routes
	$(PY) -m ops.export_openapi

replay-dlq: venv ## move dead callbacks back to the notify queue: make replay-dlq ARGS="--stack videohook"
	$(PY) -m ops.replay_dlq $(ARGS)

reshard-pending: venv ## after an upgrade from the unsharded index, or lowering PendingPartitions: make reshard-pending ARGS="--stack videohook"
	$(PY) -m ops.reshard_pending $(ARGS)

add-client: venv ## new API key + usage plan + its own signing secret: make add-client ARGS="--stack videohook --name acme"
	$(PY) -m ops.add_client $(ARGS)

lock: $(UV) ## re-resolve uv.lock after a dependency change; re-export the layer's requirements
	$(UV) lock
	$(LAYER_EXPORT) --output-file $(LAYER_REQUIREMENTS) --quiet

check-lock: $(UV) ## uv.lock matches pyproject.toml and the layer installs exactly its runtime set
	$(UV) lock --check
	$(LAYER_EXPORT) | diff -u $(LAYER_REQUIREMENTS) - || { echo "$(LAYER_REQUIREMENTS) is stale: run make lock" >&2; exit 1; }

lint: venv tools check-lock ## lock in sync, ruff, mypy, cfn-lint and sam validate --lint
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --region us-east-1

format: venv ## apply ruff's fixes and formatting
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

build: tools ## sam build, then hash-checked bytecode for every function and the layer (needs python3.13 on PATH)
	PATH="$(RUNTIME_BIN):$$PATH" $(SAM) build
	PATH="$(RUNTIME_BIN):$$PATH" python3.13 ops/compile_build.py .aws-sam/build

deploy: build ## sam deploy --guided (needs an AWS account)
	$(SAM) deploy --guided

clean: ## remove build output and caches (keeps the venvs)
	rm -rf .aws-sam .pytest_cache .ruff_cache .mypy_cache .hypothesis .benchmarks
