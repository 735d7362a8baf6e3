# Two commands matter: `make run` (demo server) and `make test` (the suite CI runs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
export CONSULTKB_DEV ?= 1

.PHONY: run serve test bench install translations lint format clean

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

# Each benchmark's output is kept in bench/out/NAME.txt; the tables they end with are printed together at the end.
BENCH_OUT := bench/out
bench: SHELL := /bin/bash
bench: .SHELLFLAGS := -o pipefail -c
bench: install
	mkdir -p $(BENCH_OUT)
	$(BIN)/python bench/bench_import.py | tee $(BENCH_OUT)/bench_import.txt
	$(BIN)/python bench/eval_search.py | tee $(BENCH_OUT)/eval_search.txt
	$(BIN)/python bench/eval_search_zh.py | tee $(BENCH_OUT)/eval_search_zh.txt
	$(BIN)/python bench/eval_coverage_zh.py | tee $(BENCH_OUT)/eval_coverage_zh.txt
	$(BIN)/python bench/eval_related.py | tee $(BENCH_OUT)/eval_related.txt
	$(BIN)/python bench/eval_gaps.py | tee $(BENCH_OUT)/eval_gaps.txt
	$(BIN)/python bench/bench_search.py | tee $(BENCH_OUT)/bench_search.txt
	$(BIN)/python bench/bench_search.py --zh | tee $(BENCH_OUT)/bench_search_zh.txt
	$(BIN)/python bench/eval_proposals.py --kmeans | tee $(BENCH_OUT)/eval_proposals.txt
	$(BIN)/python bench/eval_proposals.py --zh --kmeans | tee $(BENCH_OUT)/eval_proposals_zh.txt
	$(BIN)/python bench/bench_scoring.py | tee $(BENCH_OUT)/bench_scoring.txt
	$(BIN)/python bench/bench_reports.py | tee $(BENCH_OUT)/bench_reports.txt
	$(BIN)/python bench/bench_serving.py | tee $(BENCH_OUT)/bench_serving.txt
	$(BIN)/python bench/eval_masking.py | tee $(BENCH_OUT)/eval_masking.txt
	@echo; echo "== make bench: all figures =="
	@for name in bench_import eval_search eval_search_zh eval_coverage_zh eval_related eval_gaps bench_search \
		bench_search_zh eval_proposals eval_proposals_zh bench_scoring bench_reports bench_serving eval_masking; do \
		echo; echo "### $$name"; grep '^|' $(BENCH_OUT)/$$name.txt; \
	done

# Production: `consultkb serve` = db upgrade, then gunicorn (web/gunicorn_conf.py) + the scheduler, until one stops.
# CONSULTKB_SECRET_KEY is required; a development key is generated only if CONSULTKB_DEV=1 is given explicitly
# (the CONSULTKB_DEV=1 default above is for `make run`). See docs/deploy.md.
SERVE_DEV := $(if $(filter file,$(origin CONSULTKB_DEV)),0,$(CONSULTKB_DEV))
serve: install
	CONSULTKB_DEV=$(SERVE_DEV) $(BIN)/consultkb serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
