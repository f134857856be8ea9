# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSTEM := $(VENV)/.system-deps
ECHARTS := src/hvpatent/web/static/vendor/echarts.min.js
DIVISIONS := src/hvpatent/reference/data/divisions.csv.gz

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(SYSTEM): scripts/system-deps.sh | $(STAMP)
	bash scripts/system-deps.sh
	touch $(SYSTEM)

$(ECHARTS): scripts/vendor-js.sh
	bash scripts/vendor-js.sh

$(DIVISIONS): scripts/vendor-divisions.sh scripts/convert_divisions.py
	bash scripts/vendor-divisions.sh

install: $(STAMP) $(SYSTEM) $(ECHARTS) $(DIVISIONS)

demo: install
	$(BIN)/hvp demo --out demo-data --db demo-data/hvpatent.duckdb --serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

test: install
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest

clean:
	rm -rf $(VENV) demo-data .pytest_cache
