# The two commands a newcomer needs are `make run` and `make test`; both build .venv first.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests (tests/e2e) drive Debian's Chromium with Playwright's Python package; never
# `playwright install` (it downloads its own browsers). Installed once, as root in CI.
CHROMIUM := /usr/bin/chromium

# The out-of-hours weekend instant every `make test` (CI's too) runs the suite at, after the real
# clock: a Sunday night, Vietnam time (tests/clock_runs.py lists it with the other instants).
WEEKEND_NIGHT := 2026-12-13T22:30:00+07:00

.PHONY: chromium run test test-clock fuzz bench load chaos check workflows package deploy clean
STAGE ?= dev

$(STAMP): requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)            ## local stack with demo data, API on 127.0.0.1:8000 (FAULTS=0.05: 5% of AWS calls fail; CLOCK=2026-12-12T10:00+07:00: the product's clock starts there)
	$(BIN)/python -m devstack $(if $(FAULTS),--faults $(FAULTS)) $(if $(CLOCK),--clock $(CLOCK))

chromium: $(CHROMIUM)    ## Debian's Chromium for the browser tests (apt-get, as root; once)

$(CHROMIUM):
	apt-get install -y --no-install-recommends chromium || \
	    (apt-get update && apt-get install -y --no-install-recommends chromium)

test: check $(CHROMIUM)   ## `make check`, then the whole suite (unit + integration on moto + the console in Chromium) at the real clock, then on a Sunday night
	$(BIN)/python -m pytest
	KBNN_CLOCK=$(WEEKEND_NIGHT) $(BIN)/python -m pytest

test-clock: $(STAMP) $(CHROMIUM)   ## the whole suite at six instants (weekday 09:30 and 21:30, Saturday, 31 Dec 23:50, after Tết, Monday 03:00); INSTANTS="weekday-2130 …" picks
	$(BIN)/python -m tests.clock_runs $(INSTANTS)

fuzz: $(STAMP)           ## fuzz every OpenAPI operation on a fresh local stack (FUZZ_EXAMPLES=15 per mode, FUZZ_SEED)
	$(BIN)/python -m tests.fuzz

bench: $(STAMP)          ## happy-path and payroll benchmark on the local stack (QUICK=1: 3 dossiers, 3 payrolls of each size)
	$(BIN)/python -m bench $(if $(QUICK),--dossiers 3 --events 20 --payroll-runs 3)

load: $(STAMP)           ## morning-peak load at 1..32 users on the local stack (~4 min; QUICK=1: smoke)
	$(BIN)/python -m bench.load $(if $(QUICK),--quick)

N ?= 500
chaos: $(STAMP)          ## N dossiers through every procedure while 5% of AWS calls fail; the invariants' verdict
	$(BIN)/python -m chaos --dossiers $(N)

check: $(STAMP)          ## ruff over the tree; mypy over all of chalicelib/ and app.py (config in pyproject.toml); make test runs it first
	$(BIN)/ruff check .
	$(BIN)/mypy chalicelib app.py

workflows: $(STAMP)      ## regenerate workflows/*.asl.json from the procedure catalogue
	$(BIN)/python -m workflows.generate

package: $(STAMP)        ## build/$(STAGE)/template.json + deployment.zip, cfn-lint'ed (no AWS account needed)
	$(BIN)/python -m infra.package --stage $(STAGE)

deploy: $(STAMP)         ## package, upload to ARTIFACT_BUCKET and deploy kbnn-dvc-$(STAGE) (DRY_RUN=1: print only)
	$(BIN)/python -m infra.deploy --stage $(STAGE) --artifact-bucket "$(ARTIFACT_BUCKET)" \
	    $(if $(ALARM_EMAIL),--alarm-email "$(ALARM_EMAIL)") $(if $(DRY_RUN),--dry-run)

clean:
	rm -rf $(VENV) .pytest_cache .devstack build
