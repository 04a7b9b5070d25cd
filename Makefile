# The two commands a newcomer needs are `make run` and `make test`; both build .venv first.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests (tests/e2e) drive Debian's Chromium with Playwright's Python package; never
# `playwright install` (it downloads its own browsers). Installed once, as root in CI.
CHROMIUM := /usr/bin/chromium

.PHONY: chromium run test fuzz bench load chaos check workflows package deploy clean
STAGE ?= dev

$(STAMP): requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)            ## local stack with demo data, API on 127.0.0.1:8000 (FAULTS=0.05: 5% of AWS calls fail)
	$(BIN)/python -m devstack $(if $(FAULTS),--faults $(FAULTS))

chromium: $(CHROMIUM)    ## Debian's Chromium for the browser tests (apt-get, as root; once)

$(CHROMIUM):
	apt-get install -y --no-install-recommends chromium || \
	    (apt-get update && apt-get install -y --no-install-recommends chromium)

test: $(STAMP) $(CHROMIUM)   ## the whole test suite (unit + integration on moto + the console in Chromium)
	$(BIN)/python -m pytest

fuzz: $(STAMP)           ## fuzz every OpenAPI operation on a fresh local stack (FUZZ_EXAMPLES=15 per mode, FUZZ_SEED)
	$(BIN)/python -m tests.fuzz

bench: $(STAMP)          ## happy-path benchmark on the local stack
	$(BIN)/python -m bench

load: $(STAMP)           ## morning-peak load at 1..32 users on the local stack (~4 min; QUICK=1: smoke)
	$(BIN)/python -m bench.load $(if $(QUICK),--quick)

N ?= 500
chaos: $(STAMP)          ## N dossiers through every procedure while 5% of AWS calls fail; the invariants' verdict
	$(BIN)/python -m chaos --dossiers $(N)

check: $(STAMP)          ## lint; type-check the pure domain (services and adapters: not yet)
	$(BIN)/ruff check .
	$(BIN)/mypy chalicelib/domain

workflows: $(STAMP)      ## regenerate workflows/*.asl.json from the procedure catalogue
	$(BIN)/python -m workflows.generate

package: $(STAMP)        ## build/$(STAGE)/template.json + deployment.zip, cfn-lint'ed (no AWS account needed)
	$(BIN)/python -m infra.package --stage $(STAGE)

deploy: $(STAMP)         ## package, upload to ARTIFACT_BUCKET and deploy kbnn-dvc-$(STAGE) (DRY_RUN=1: print only)
	$(BIN)/python -m infra.deploy --stage $(STAGE) --artifact-bucket "$(ARTIFACT_BUCKET)" \
	    $(if $(ALARM_EMAIL),--alarm-email "$(ALARM_EMAIL)") $(if $(DRY_RUN),--dry-run)

clean:
	rm -rf $(VENV) .pytest_cache .devstack build
