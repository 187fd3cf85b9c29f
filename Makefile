# Two commands for a newcomer: `make run` (the chat page) and `make test` (the whole suite).
# Both create .venv and install what is missing; torch is pinned first so pip takes the CPU build.

VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip
STAMP   := $(VENV)/.installed
TORCH   := torch==2.13.0
PYTEST_ARGS ?=

.PHONY: run test install browser lint bench eval clean

run: install
	$(VENV)/bin/attentive ui

test: install browser
	$(PY) -m pytest $(PYTEST_ARGS)

install: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet $(TORCH)
	CMAKE_BUILD_PARALLEL_LEVEL=2 $(PIP) install --quiet -e ".[dev]"
	$(VENV)/bin/attentive prepare || echo "warning: attentive prepare failed; the agent still works, it starts more slowly"
	touch $(STAMP)

# Browser tests drive Debian's chromium; install it when missing (needs root or sudo).
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: install
	$(VENV)/bin/attentive bench

eval: install
	$(VENV)/bin/attentive eval dialogues/

clean:
	rm -rf $(VENV) .pytest_cache test-output
