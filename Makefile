# Two commands set everything up:  make run  (the hub, embedded SQLite)  ·  make test  (the whole suite)
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test bench bench-public

$(STAMP): pyproject.toml package.json package-lock.json
	bash scripts/deps.sh
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	npm ci --no-audit --no-fund --loglevel=error  # the pages' Socket.IO client and hls.js (web/vendor/ links into node_modules)
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/python -m server $(ARGS)

test: $(STAMP)
	bash scripts/deps.sh --test
	bash scripts/test.sh $(ARGS)

bench: $(STAMP)
	$(VENV)/bin/python bench/votes.py

bench-public: $(STAMP)
	bash scripts/deps.sh --bench
	$(VENV)/bin/python bench/public.py $(ARGS)
