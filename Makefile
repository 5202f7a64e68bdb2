# Two commands set everything up:  make run  (the hub, embedded SQLite)  ·  make test  (the whole suite)
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test bench

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/python -m server $(ARGS)

test: $(STAMP)
	bash scripts/test.sh $(ARGS)

bench: $(STAMP)
	$(VENV)/bin/python bench/votes.py
