# rhip developer commands. Everything runs from a fresh clone with Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help install console run test fuzz lint proto proto-check proto-baseline bench clean

help:
	@echo "make run    - set up and start the demo platform (SQLite, demo data)"
	@echo "make test   - run the test suite (PostgreSQL too when RHIP_TEST_POSTGRES_URL is set)"
	@echo "make fuzz   - the security suite's long property-based run (FUZZ_EXAMPLES, new draws each run)"
	@echo "make lint   - ruff, mypy, buf lint, stale-stub check"
	@echo "make console - build the web console (npm ci && npm run build in console/)"
	@echo "make proto  - regenerate the gRPC stubs and the OpenAPI document under libs/rhip/api"
	@echo "make proto-baseline - accept the current protos as the API that must not break"
	@echo "make bench  - run the benchmarks and a 30-minute soak, write tests/perf/RESULTS*.md"

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	# rhip is one namespace over libs/ and services/: put both on the venv's path.
	printf '%s\n%s\n' "$(CURDIR)/libs" "$(CURDIR)/services" \
		> "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/rhip-src.pth"
	touch $(STAMP)

# The web console's static files (served by the gateway at /console/): built from the npm
# registry with the committed lock file, so every clone builds the same bundle; rebuilt when a
# source file changes. The build is not committed: it would be a second copy of console/src.
CONSOLE_DIST := console/dist/index.html
CONSOLE_SRC := $(shell find console/src -type f 2>/dev/null) console/index.html \
	console/vite.config.js console/package.json console/package-lock.json

$(CONSOLE_DIST): $(CONSOLE_SRC)
	@command -v npm >/dev/null || { echo "need npm (Node.js 20.19 or later) to build the console"; exit 1; }
	cd console && npm ci --no-audit --no-fund --loglevel=error && npm run build
	touch $(CONSOLE_DIST)

console: $(CONSOLE_DIST)

install: $(STAMP) $(CONSOLE_DIST)

run: $(STAMP) $(CONSOLE_DIST)
	$(VENV)/bin/rhip demo

test: $(STAMP) $(CONSOLE_DIST)
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder -q

# The property-based tests of tests/security with many examples and a fresh seed (make test runs
# them seeded and bounded); PostgreSQL too when RHIP_TEST_POSTGRES_URL is set.
FUZZ_EXAMPLES ?= 5000
fuzz: $(STAMP)
	RHIP_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) RHIP_FUZZ_SEED=$${RHIP_FUZZ_SEED:-$$(date +%s)} \
		$(PY) -m pytest tests/security -k property -q -s

lint: $(STAMP)
	$(VENV)/bin/ruff format --check libs services scripts tests
	$(VENV)/bin/ruff check libs services scripts tests
	$(VENV)/bin/mypy libs/rhip/kit services/rhip
	cd proto && ../$(VENV)/bin/buf lint
	# No wire- or source-breaking change against the accepted API (proto/api-baseline.binpb).
	cd proto && ../$(VENV)/bin/buf breaking --against api-baseline.binpb
	$(PY) scripts/gen_proto.py --check
	$(PY) scripts/gen_openapi.py --check

proto: $(STAMP)
	$(PY) scripts/gen_proto.py
	$(PY) scripts/gen_openapi.py

# Run only when a breaking change is deliberate (a new major version, or an API never released).
proto-baseline: $(STAMP)
	cd proto && ../$(VENV)/bin/buf build --exclude-source-info -o api-baseline.binpb

bench: $(STAMP)
	$(PY) tests/perf/run_all.py
	$(PY) tests/perf/bench_residents.py
	$(PY) tests/perf/bench_archives.py
	$(PY) tests/perf/bench_referral.py
	$(PY) tests/perf/bench_locator.py
	$(PY) tests/perf/bench_policy_changes.py
	$(PY) tests/perf/bench_mch.py
	$(PY) tests/perf/bench_bmc.py
	$(PY) tests/perf/bench_emr.py
	$(PY) tests/perf/bench_tls.py
	$(PY) tests/perf/bench_http.py
	$(PY) tests/perf/bench_emr_ingest.py
	# mixed load through the gateway; RHIP_SOAK_MINUTES=5 make bench for a shorter soak
	RHIP_SOAK_MINUTES=$${RHIP_SOAK_MINUTES:-30} $(PY) tests/perf/bench_soak.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache console/node_modules console/dist test-artifacts
