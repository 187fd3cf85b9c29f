# Two commands for a newcomer: `make run` (the chat page) and `make test` (the whole suite).
# Both create .venv and install what is missing; torch is pinned first so pip takes the CPU build.

VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip
STAMP   := $(VENV)/.installed
TORCH   := torch==2.13.0
PYTEST_ARGS ?=
# llama-cpp-python compiles llama.cpp, the longest step of a fresh install. The Python package loads
# only libllama and libggml*: mtmd (LLaVA, images) is not built, and the common library that
# llama-cpp-python builds anyway (nothing loads it) is built without OpenSSL. GGML_NATIVE and
# OpenMP stay on: they are run-time speed. A CMAKE_ARGS of your own (e.g. -DGGML_CUDA=on) is kept.
LLAMA_CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DLLAMA_OPENSSL=OFF

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
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS) $(CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(PIP) install --quiet -e ".[dev]"
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
	$(PY) -m bench.run   # checkout-only: bench/ is not part of the installed package

eval: install
	$(VENV)/bin/attentive eval dialogues/

clean:
	rm -rf $(VENV) .pytest_cache test-output
