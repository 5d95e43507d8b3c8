# Two commands: `make run` (the bot, or the console when no DISCORD_TOKEN is set) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[semantic,test,bench]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/citebot

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/search.py --passages 100000 --queries 200

clean:
	rm -rf $(VENV) .citebot-index
