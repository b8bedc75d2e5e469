# The two README commands: `make run` and `make test`. `make install` is the idempotent set-up.
SHELL := /bin/bash
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RAG := $(VENV)/bin/rag

.PHONY: install run test lint format eval bench clean

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

install: $(UV)
	$(UV) sync --frozen --all-extras

# The chat runs on the local LLM by default; RAG_BACKEND=extractive make run needs no model.
run: install
	$(RAG) index --prune
	RAG_BACKEND=$${RAG_BACKEND:-llamacpp} $(RAG) ui

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest

eval: install
	$(RAG) eval eval/questions/dev.jsonl --backend extractive --out eval/results/latest

bench: install
	$(RAG) bench --sizes corpus,1k --out eval/results/bench

lint: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf .rag .pytest_cache
