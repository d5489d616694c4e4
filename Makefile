# Two commands on a fresh machine: `make run` (the demo) and `make test` (every test).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test install install-test translations lint typecheck pytest clean extract-messages

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: $(VENV)/bin/activate setup.cfg pyproject.toml
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/bin/activate setup.cfg pyproject.toml
	$(PY) -m pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations

# Catalogs are compiled at install time; the .mo files are build output, not in git.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d certexam/translations >/dev/null

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --ignore-dirs='.venv .git build' -o certexam/translations/messages.pot .
	$(BIN)/pybabel update -N --no-wrap -i certexam/translations/messages.pot -d certexam/translations >/dev/null

run: install
	$(BIN)/certexam init-db
	$(BIN)/certexam demo
	@echo "certexam is serving at http://$(HOST):$(PORT)  (Ctrl-C stops it)"
	$(BIN)/certexam run --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check certexam tests $(wildcard benchmarks)

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy certexam/domain

# pytest exits 5 when it collects nothing; that is not a failure of the suite.
pytest: install-test
	$(PY) -m pytest -n 2 --dist loadgroup; rc=$$?; if [ $$rc -eq 5 ]; then exit 0; else exit $$rc; fi

test: install-test lint typecheck pytest

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
	find certexam/translations -name '*.mo' -delete
