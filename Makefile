# Two commands on a fresh machine: `make run` (the demo) and `make test` (every test).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# The demo's QR codes and links point at the server `make run` starts (production sets its own).
CERTEXAM_VERIFY_HOST ?= $(HOST):$(PORT)
PIP_LOG := $(VENV)/pip.log

.PHONY: run test install install-test translations lint typecheck pytest clean extract-messages

# pip's progress (and any notices about this machine's package indexes) goes to $(PIP_LOG), which is
# shown when an install fails. The project's own packaging prints no warnings (tests/integration/test_wheel.py).
define pip_install
	@$(PY) -m pip install -q $(1) >>$(PIP_LOG) 2>&1 || { tail -n 40 $(PIP_LOG); echo "pip failed: see $(PIP_LOG)"; exit 1; }
endef

$(VENV)/bin/activate:
	@echo "Setting up $(VENV) (the first time takes a few minutes)"
	@$(PYTHON) -m venv $(VENV)
	$(call pip_install,--upgrade pip)

# Editable: a checkout serves its own files. A wheel (python -m build) or `pip install .` ships them.
$(VENV)/.installed: $(VENV)/bin/activate setup.cfg setup.py pyproject.toml
	$(call pip_install,-e .)
	@touch $@

$(VENV)/.installed-test: $(VENV)/bin/activate setup.cfg setup.py pyproject.toml
	$(call pip_install,-e '.[test]')
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations

# The editable install serves the catalogs from the checkout, so compile them there; the .mo files are
# build output, not in git (a wheel compiles its own: setup.py).
translations: $(VENV)/.installed
	@$(BIN)/pybabel -q compile -d certexam/translations

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --ignore-dirs='.venv .git build' -o certexam/translations/messages.pot .
	$(BIN)/pybabel update -N --no-wrap -i certexam/translations/messages.pot -d certexam/translations >/dev/null

run: install
	@$(BIN)/certexam init-db
	@CERTEXAM_VERIFY_HOST=$(CERTEXAM_VERIFY_HOST) $(BIN)/certexam demo
	@echo "certexam is serving at http://$(HOST):$(PORT) with its background worker  (Ctrl-C stops both; another port: make run PORT=8080)"
	@CERTEXAM_VERIFY_HOST=$(CERTEXAM_VERIFY_HOST) $(BIN)/certexam worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	CERTEXAM_VERIFY_HOST=$(CERTEXAM_VERIFY_HOST) $(BIN)/certexam run --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check certexam tests $(wildcard benchmarks)

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy certexam/domain

# pytest exits 5 when it collects nothing; that is not a failure of the suite.
pytest: install-test
	$(PY) -m pytest -n 2 --dist loadgroup; rc=$$?; if [ $$rc -eq 5 ]; then exit 0; else exit $$rc; fi

test: install-test lint typecheck pytest

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
	find certexam/translations -name '*.mo' -delete
