# Two commands: `make run` (the bot, or the console when no DISCORD_TOKEN is set) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The oldest discord.py pyproject.toml allows; CI runs the Discord tests on it as well.
DISCORD_FLOOR := 2.4.0
FLOOR_VENV := .venv-floor
FLOOR_STAMP := $(FLOOR_VENV)/.installed

.PHONY: run test test-discord-floor bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[semantic,test,bench,xapian]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/citebot

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

$(FLOOR_STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(FLOOR_VENV)
	$(FLOOR_VENV)/bin/pip install --quiet --upgrade pip
	$(FLOOR_VENV)/bin/pip install --quiet -e '.[semantic,test,xapian]' 'discord.py==$(DISCORD_FLOOR)'
	touch $(FLOOR_STAMP)

# The Discord end-to-end tests (real discord.py client, fake Discord) on the floor version.
test-discord-floor: $(FLOOR_STAMP)
	$(FLOOR_VENV)/bin/pytest tests/test_discord_*.py

bench: $(STAMP)
	$(BIN)/python bench/search.py --passages 100000 --queries 200

clean:
	rm -rf $(VENV) $(FLOOR_VENV) .citebot-index
