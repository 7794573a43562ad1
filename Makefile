# Sketchscope. `make run` opens the app; `make test` runs the whole suite. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test data bench soak lint clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

data: $(STAMP)
	$(PY) main.py data fetch

test: $(STAMP) data
	$(PY) -m ruff check .
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP) data
	$(PY) main.py bench accuracy
	QT_QPA_PLATFORM=offscreen $(PY) main.py bench gui

lint: $(STAMP)
	$(PY) -m ruff check .

clean-venv:
	rm -rf $(VENV)

soak: $(STAMP) data
	SKETCHSCOPE_SOAK_UPDATES=10000 QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -s tests/gui/test_soak.py
