# Two commands for a newcomer: `make run` (the chat page) and `make test` (the whole suite).
# Both create .venv and install what is missing; torch is pinned first so pip takes the CPU build.

VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip
STAMP   := $(VENV)/.installed
TORCH   := torch==2.13.0
PYTEST_ARGS ?=
# llama-cpp-python compiles llama.cpp, the longest step of a fresh install (13 min on 2 busy cores).
# The Python package loads only libllama and libggml*, so two things it builds are skipped: mtmd
# (LLaVA, images; 14% of the compile) and llama.cpp's common library with its HTTP client (40%):
# llama-cpp-python forces LLAMA_BUILD_COMMON on, so a one-line file included right after llama.cpp's
# project() turns it off. GGML_NATIVE and OpenMP stay on: they are run-time speed. A CMAKE_ARGS of
# your own (e.g. -DGGML_CUDA=on) is added after these and wins.
LLAMA_NO_COMMON  := $(abspath $(VENV))/llama-cpp-no-common.cmake
LLAMA_CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DLLAMA_OPENSSL=OFF -DCMAKE_PROJECT_llama.cpp_INCLUDE=$(LLAMA_NO_COMMON)

.PHONY: run test install browser postgres lint bench eval clean

run: install
	$(VENV)/bin/attentive ui

test: install browser postgres
	$(PY) -m pytest $(PYTEST_ARGS)

install: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet $(TORCH)
	echo 'set(LLAMA_BUILD_COMMON OFF)' > $(LLAMA_NO_COMMON)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS) $(CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(PIP) install --quiet -e ".[dev]"
	$(VENV)/bin/attentive prepare || echo "warning: attentive prepare failed; the agent still works, it starts more slowly"
	touch $(STAMP)

# Browser tests drive Debian's chromium; install it when missing (needs root or sudo).
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The shared-state tests start a throw-away PostgreSQL with initdb/pg_ctl (Debian's package); install it when missing.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: install
	$(PY) -m bench.run   # checkout-only: bench/ is not part of the installed package

eval: install
	$(VENV)/bin/attentive eval dialogues/

clean:
	rm -rf $(VENV) .pytest_cache test-output
