# SocialPulse: every entry point a developer, the demo and CI use.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(HOME)/.local/bin:$(PATH)
# Python may cache compiled modules (a set PYTHONDONTWRITEBYTECODE makes every process
# compile its imports from source again).
unexport PYTHONDONTWRITEBYTECODE

SP := .venv/bin/socialpulse
PY := .venv/bin/python

.PHONY: help setup stack-up stack-down stack-status test-stack-down lint test test-faults demo bench docs extracts walkthrough
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o -type f \( -name '*.sql' -o -name '*.yml' \) -print)

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

setup: ## uv + locked Python env + .env + every native service installed (cached, idempotent)
	@bash infra/scripts/bootstrap.sh
	@$(MAKE) --no-print-directory $(MANIFEST)

# The dbt manifest Cosmos renders the transform DAG from; rebuilt only when the project changes.
$(MANIFEST): $(DBT_SOURCES)
	$(PY) -m socialpulse.transform.manifest

stack-up: setup ## start every service natively and wait until healthy
	$(SP) stack up

stack-down: ## stop every native service
	$(SP) stack down

stack-status: ## one row per service: version, URL, health, pid
	$(SP) stack status

test-stack-down: ## stop the test suite's own stack (ports + SOCIALPULSE_TEST_PORT_OFFSET)
	$(SP) stack --test-stack down

lint: setup ## ruff format + ruff lint (Airflow rules) + mypy + compose schema + sqlfluff
	.venv/bin/ruff format --check .
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	.venv/bin/sqlfluff lint dbt_project

# pytest with these arguments; collecting no test at all is a failure too.
pytest = @set +e; .venv/bin/pytest $(1); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure" >&2; exit 1; fi; \
	exit $$rc

test: setup ## the test suite against the real stack (starts what it needs); not the fault suite
	$(call pytest,-m "not faults")

test-faults: setup ## SIGKILL every service mid-run, recover, compare with an undisturbed build (~30 min)
	$(call pytest,-m faults -s tests/faults)

demo: setup ## start the stack and run the main job end to end
	$(SP) demo

docs: setup ## generate the dbt docs site and serve it on http://127.0.0.1:8081
	$(SP) stack up postgres clickhouse
	$(PY) -m socialpulse.transform.docs serve --port 8081

bench: setup ## run every benchmark under benchmarks/ and print its figures
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

extracts: setup ## every mart as extracts/<mart>.hyper + .csv, and extracts/SocialPulse.twbx (Tableau Public)
	$(SP) stack up clickhouse
	$(PY) -m socialpulse.tableau.extracts --out extracts --database marts
	$(PY) -m socialpulse.tableau.workbook --twbx extracts/SocialPulse.twbx --extracts extracts

walkthrough: setup ## record the running system (Airflow, dbt docs, MinIO, marts, dashboards) into docs/media/walkthrough.mp4
	$(PY) -m socialpulse.tableau.walkthrough --out docs/media/walkthrough.mp4
