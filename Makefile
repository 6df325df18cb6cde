# Two commands for a newcomer: `make play` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: play test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.play-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

play: $(VENV)/.play-installed
	$(BIN)/diffusion-quest

test: $(VENV)/.test-installed
	SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(BIN)/python -m pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check sim_core game training bench tests

$(VENV)/.bench-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test,bench]"
	touch $@

bench: $(VENV)/.bench-installed
	$(BIN)/python -m bench
	$(BIN)/python -m bench.frames
	$(BIN)/python -m bench.engines

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
