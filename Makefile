# Two commands on a bare machine (Python 3.11 only): `make run` starts the store,
# `make test` runs the suite. Each sets up .venv itself; see docs/running.md.

PYTHON ?= python3
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
# Touched after a successful install: pip runs again only when requirements.txt is newer.
INSTALLED := $(VENV)/.installed
# Extra arguments for `make test` (pytest) and `make manage` (manage.py), e.g. ARGS="-k cart".
ARGS ?=
# When the developer typed `make run`, so the printed start-up time includes the venv setup.
STARTED_AT := $(shell $(PYTHON) -c 'import time; print(time.time())' 2>/dev/null)

.PHONY: run test lint migrate manage clean clean-data

run: $(INSTALLED)
	DEVSTACK_STARTED_AT=$(STARTED_AT) $(VENV_PYTHON) scripts/devstack.py run

test: $(INSTALLED)
	$(VENV_PYTHON) scripts/devstack.py test $(ARGS)

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports importlinter.cfg

migrate: $(INSTALLED)
	$(VENV_PYTHON) scripts/devstack.py manage migrate --noinput

manage: $(INSTALLED)
	$(VENV_PYTHON) scripts/devstack.py manage $(ARGS)

# Removes the virtualenv only; the store's data stays in var/.
clean:
	rm -rf $(VENV)

# Removes the embedded servers' data (database, Redis, uploads, mail). Stop `make run` first.
clean-data:
	rm -rf $(or $(SHOP_VAR_DIR),var)

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements.txt | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install -r requirements.txt
	touch $(INSTALLED)
