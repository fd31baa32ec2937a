# metasim: every target sets itself up (venv + pip, and Debian packages where a test needs them).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TARGET ?= reference
# Many targets start dozens of Python processes (suite runs in subprocesses, xdist workers, real
# gateways): with PYTHONDONTWRITEBYTECODE set (common in CI images), each one compiled every
# module and pytest re-rewrote every assertion again, about 4.5 s of a pytest start's 7 s here.
# The bytecode goes to __pycache__/ folders, which git ignores.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup test acceptance lint typecheck unit bench load chaos sustained soak fuzz allure-report steps-catalogue clean n8n

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip
	@# --no-compile: pip would byte-compile every file of every dependency (10 s of 38 s here);
	@# Python compiles what the tests import on first use and keeps it (see PYTHONDONTWRITEBYTECODE)
	@$(BIN)/pip install -q --no-compile -c constraints.txt -e '.[test,dev]'
	@touch $(STAMP)

setup: $(STAMP)

# ---- constraints.txt: re-resolve the dependencies in a scratch venv and pin what came out
.PHONY: constraints
constraints:
	rm -rf .venv-constraints && $(PY) -m venv .venv-constraints
	.venv-constraints/bin/pip install -q --upgrade pip
	.venv-constraints/bin/pip install -q -e '.[test,dev]'
	{ sed -n '1,3p' constraints.txt; .venv-constraints/bin/pip freeze --exclude-editable \
		| grep -v '^metasim'; } > constraints.txt.new && mv constraints.txt.new constraints.txt
	rm -rf .venv-constraints

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	@scripts/typecheck.sh

unit: setup
	$(BIN)/pytest tests

acceptance: setup
	@scripts/run_acceptance.sh --target $(TARGET)

# ---- n8n (docs/n8n.md): install n8n 2.8.4 in .n8n/ (~5-9 min, 2.3 GB, once), import and publish
# n8n/workflows/ into .n8n/home. `make acceptance TARGET=n8n` then starts it with a local Redis.
# Not part of `make test` (which runs the workflows' JavaScript under plain Node only).
n8n: setup
	@scripts/n8n_install.sh

test: setup
	@scripts/run_tests.sh

bench: setup
	$(BIN)/python -m bench.run_all

clean:
	rm -rf reports/out .pytest_cache .mypy_cache .ruff_cache

# ---- reports: Allure 3 single file, from the last acceptance run's results ----------
allure-report:
	@scripts/allure_report.sh

steps-catalogue: setup
	$(BIN)/python scripts/gen_step_catalogue.py

# ---- mutants: every planted gateway bug of tests/mutants judged by the suite (make test judges
# four of them, one per kind, to stay within its time)
.PHONY: mutants
mutants: setup
	METASIM_MUTANTS=all $(BIN)/pytest tests/mutants -n 2 -p no:cacheprovider -q

# ---- mutation (docs/reliability.md "Suite strength"): NOT part of `make test` (too long) --
# MUTATION_EVERY=N judges every Nth mutant of gateway/pipeline/ (default 10; 1 = all, hours).
.PHONY: mutation
mutation: setup
	@scripts/mutation.sh

# ---- load: "80 mps steady" for 60 s with Graph faults (5xx, 130429, no answer, and
# answers lost after Graph accepted: a re-send would show as doubled) and redeliveries; exits 1 unless
# the exactly-once accounting shows zero lost and zero doubled (reports/out/load-accounting.json);
# then the same profile against a bare HMAC endpoint, the baseline (load-accounting-baseline.json)
load: setup
	$(BIN)/metasim load --profile "80 mps steady" --duration 60 --baseline

# ---- sustained (docs/reliability.md "The sustained rate"): the highest rate TARGET holds 10 s
# with ACK p99 under Meta's timeout and nothing lost (steps doubling, then bisected); JSON + HTML
sustained: setup
	$(BIN)/metasim load --profile sustained --target $(TARGET) --json reports/out/sustained.json

# ---- chaos (docs/reliability.md "Crash recovery"): the gateway SIGKILLed 4 times, then
# Redis SIGKILLed 4 times under two gateways, during steady signed texts with redeliveries, while
# the fake Graph loses the answer of 2 % of the sends it accepts (--lost-answer); prints
# the exactly-once accounting, exits 1 unless zero lost and zero doubled (reports/out/chaos.json)
chaos: setup
	$(BIN)/python -m metasim.simulator.load.chaos --duration 40 --rate 20 --crashes 4 --json reports/out/chaos.json

# ---- soak (docs/reliability.md "Retention soak"): 90 s of steady signed texts through a real
# gateway on SQLite with retention shortened to 15 s; samples the store every 10 s and exits 1
# unless sent replies, dedupe marks and the pages in use level off (reports/out/soak.json)
soak: setup
	$(BIN)/python -m tests.gateway.durability.soak --duration 90 --rate 20 --retention 15 \
		--json reports/out/soak.json

# ---- fuzz (docs/reliability.md "Fuzzing" and "Security probes"): 10,000 hostile requests
# on raw sockets to a real `metasim-gateway serve` (RSS measured), 2,000 more in-process plus 2,000
# Hypothesis events from payloads/schemas (tracemalloc), 30 rounds of enforce-mode security probes,
# then the signature timing statistics. The same tests run reduced in `make test`.
fuzz: setup
	set -o pipefail; FUZZ_PROCESS_CASES=10000 FUZZ_CASES=2000 FUZZ_SCHEMA_CASES=2000 SECURITY_ROUNDS=30 \
		$(BIN)/pytest -q -s -p no:cacheprovider --timeout 2400 tests/reliability/test_fuzz_process.py \
		tests/reliability/test_fuzz_inprocess.py tests/reliability/test_security_probes.py \
		| grep -v '^{"timestamp'
	set -o pipefail; $(BIN)/python -m bench.bench_signature_timing 2>/dev/null | grep -v '^{"timestamp'

# ---- accuracy (docs/accuracy.md): the suite against every zoo gateway in examples/zoo/, twice;
# prints each confusion matrix and fails on any false failure, false pass or changed verdict.
# `make test` runs the same test once on node-correct without the contract-coverage outlines
# (every event x dialect, every Graph error code), which only repeat checks, and on py-echo-bot
# over one test id per bug (tests/accuracy/test_zoo.py).
.PHONY: accuracy
accuracy: setup
	METASIM_ZOO="node-correct node-backlog-p0 py-echo-bot py-queue-worker" METASIM_ZOO_RUNS=2 \
		METASIM_ZOO_SELECT="" \
		$(BIN)/pytest -s -q -p no:cacheprovider --timeout 3600 tests/accuracy
