# Sketchscope. `make run` opens the app; `make test` runs the whole suite. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test data tools bench soak lint clean-venv install-desktop uninstall-desktop

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# Bytecode compiled ahead: a start then loads instead of compiling (half the time to the window),
# also where PYTHONDONTWRITEBYTECODE keeps Python from writing it itself. Up to date: instant.
run: $(STAMP)
	@$(PY) -m compileall -q main.py model gui
	$(PY) main.py

data: $(STAMP)
	$(PY) main.py data fetch

test: $(STAMP) data tools
	$(PY) -m ruff check .
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP) data
	$(PY) main.py bench accuracy
	QT_QPA_PLATFORM=offscreen $(PY) main.py bench gui
	QT_QPA_PLATFORM=offscreen $(PY) main.py bench train

lint: $(STAMP)
	$(PY) -m ruff check .

clean-venv:
	rm -rf $(VENV)

soak: $(STAMP) data
	SKETCHSCOPE_SOAK_UPDATES=10000 QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -s tests/gui/test_soak.py

# What the tests use from Debian: desktop-file-validate checks the launcher (installed when
# running as root; otherwise that test is skipped and this says the command).
tools: $(STAMP)
	@command -v desktop-file-validate >/dev/null || $(PY) -c "from model import apt; apt.install(['desktop-file-utils'])" || true

# A launcher and an icon in the user's menu, running this clone's .venv; uninstall removes
# exactly the files install wrote.
DATA_HOME ?= $(if $(XDG_DATA_HOME),$(XDG_DATA_HOME),$(HOME)/.local/share)
DESKTOP_FILE := $(DATA_HOME)/applications/sketchscope.desktop
ICON_FILES := $(DATA_HOME)/icons/hicolor/256x256/apps/sketchscope.png $(DATA_HOME)/icons/hicolor/scalable/apps/sketchscope.svg

install-desktop: $(STAMP)
	mkdir -p $(dir $(DESKTOP_FILE)) $(foreach f,$(ICON_FILES),$(dir $(f)))
	sed -e 's|@ROOT@|$(CURDIR)|g' resources/sketchscope.desktop.in > $(DESKTOP_FILE).tmp
	mv $(DESKTOP_FILE).tmp $(DESKTOP_FILE)
	cp resources/icons/sketchscope.png $(word 1,$(ICON_FILES))
	cp resources/icons/sketchscope.svg $(word 2,$(ICON_FILES))
	-command -v update-desktop-database >/dev/null && update-desktop-database -q $(dir $(DESKTOP_FILE))
	@echo "Sketchscope is in the applications menu ($(DESKTOP_FILE))"

uninstall-desktop:
	rm -f $(DESKTOP_FILE) $(ICON_FILES)
