# Two commands matter: `make run` (demo server) and `make test` (the suite CI runs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
export CONSULTKB_DEV ?= 1

.PHONY: run test bench install translations lint format clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: any other torch (or none, letting sentence-transformers choose) pulls GBs of CUDA.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d web/translations --statistics 2>&1 | tail -n 1

run: install
	$(BIN)/consultkb db upgrade
	$(BIN)/consultkb demo seed
	$(BIN)/consultkb kb seed-demo
	@$(BIN)/consultkb demo logins
	@echo "ConsultKB on http://$(HOST):$(PORT)"
	$(BIN)/consultkb run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/eval_search.py
	$(BIN)/python bench/bench_search.py
	$(BIN)/python bench/eval_proposals.py --kmeans
	$(BIN)/python bench/bench_scoring.py
	$(BIN)/python bench/bench_reports.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
