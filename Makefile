# Two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench data clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The X11 check first: on a bare desktop it names the system packages to install
# (explorer itself checks too; here it also stops make with its one line).
run: install
	$(PY) -m explorer.web.desktop_libraries
	$(VENV)/bin/explorer

test: install
	$(PY) -m pytest -q

# The floors contract ([tool.importlinter] in pyproject.toml) and the import-circle check
# run here and, as tests/test_floors.py, in `make test`.
lint: install
	$(PY) -m ruff check explorer tests scripts benchmarks
	$(PY) -m ruff format --check explorer tests scripts benchmarks
	$(PY) -m mypy explorer
	$(VENV)/bin/lint-imports --no-cache
	$(PY) tests/import_graph.py

bench: install
	$(PY) benchmarks/totals.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/region_update.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/edit_latency.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/export.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/export_scale.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/open_scale.py --million
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/load.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/map_scale.py
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/page_scripts.py
	$(PY) benchmarks/postgis_totals.py

# Rebuild the bundled basemap and demo data (needs the build-data extras).
data: install
	$(PY) -m pip install --quiet -e ".[build-data]"
	$(PY) scripts/build_basemap.py
	$(PY) scripts/build_demo_sites.py

clean:
	rm -rf $(VENV) build *.egg-info
