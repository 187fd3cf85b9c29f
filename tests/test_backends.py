"""Chat-model backends: spec parsing, and each backend answering through LangChain's interface."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from pydantic import BaseModel, Field
from tiny_models import save_tiny_gpt2

from agent.backends import (
    BACKENDS,
    Backend,
    BackendSpec,
    BackendSpecError,
    backend_supports_native_tools,
    describe,
    load_chat_model,
    parse_spec,
)
from bench.bench_load import free_port
from knowledge.embedded_models import smollm2_gguf_path

QUESTION = "In two sentences, what does attention do in a transformer?"


class SearchNotes(BaseModel):
    """Search the study notes."""

    query: str = Field(description="What to look for")


# ---------------------------------------------------------------- parsing


def test_embedded_alias_names_the_bundled_gguf() -> None:
    assert parse_spec("embedded") == BackendSpec("llamacpp", "embedded")
    assert parse_spec(" llamacpp:embedded ") == BackendSpec("llamacpp", "embedded")


def test_openai_spec_splits_url_with_port_from_model_at_the_last_hash() -> None:
    spec = parse_spec("openai:http://127.0.0.1:8080/v1#smollm2")
    assert spec == BackendSpec("openai", "http://127.0.0.1:8080/v1", "smollm2")


def test_hf_spec_keeps_ids_with_slashes_and_paths() -> None:
    assert parse_spec("hf:EleutherAI/gpt-neo-125m").target == "EleutherAI/gpt-neo-125m"
    assert parse_spec("hf:/models/gpt2").target == "/models/gpt2"


@pytest.mark.parametrize("spec", ["gpt2", "ollama:llama3", "", "llamacpp:", "hf:"])
def test_unknown_or_empty_spec_lists_the_valid_forms(spec: str) -> None:
    with pytest.raises(ValueError, match="valid forms: llamacpp:PATH.gguf.*openai:BASE_URL#MODEL"):
        parse_spec(spec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("openai:http://127.0.0.1:8080/v1", "BASE_URL#MODEL"),
        ("openai:http://127.0.0.1:8080/v1#", "BASE_URL#MODEL"),
        ("openai:127.0.0.1:8080/v1#m", "http:// or https://"),
    ],
)
def test_malformed_openai_spec_says_what_is_expected(spec: str, message: str) -> None:
    with pytest.raises(BackendSpecError, match=message):
        parse_spec(spec)


def test_missing_gguf_file_is_reported_with_its_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(BackendSpecError, match="nope.gguf"):
        load_chat_model(f"llamacpp:{missing}")


def test_missing_hf_model_is_reported_offline(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not on disk"):
        load_chat_model(f"hf:{tmp_path / 'no-such-model'}")


def test_a_new_scheme_plugs_in_through_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    def build(spec: BackendSpec, _options: object) -> GenericFakeChatModel:
        return GenericFakeChatModel(messages=iter([AIMessage(f"echo from {spec.target}")]))

    monkeypatch.setitem(BACKENDS, "fake", Backend(build, engine="fake engine", native_tools=True))
    model = load_chat_model("fake:thing")
    assert model.invoke("hi").content == "echo from thing"
    assert backend_supports_native_tools(model)
    assert describe("fake:thing") == "fake engine · thing · native tool calling"


def test_describe_names_engine_model_and_who_picks_tools() -> None:
    assert (
        describe("embedded")
        == f"llama.cpp · {smollm2_gguf_path().name} (embedded) · tools chosen by the router"
    )
    assert describe("hf:gpt2") == "transformers · gpt2 · tools chosen by the router"
    assert (
        describe("openai:http://h:1/v1#m")
        == "OpenAI-compatible server · m at http://h:1/v1 · native tool calling"
    )
    # What the agent does wins over the backend's default: one statement, never two that disagree.
    assert describe("openai:http://h:1/v1#m", native_tools=False).endswith("· tools chosen by the router")
    assert describe("embedded", native_tools=True).endswith("· native tool calling")
    assert describe("embedded").count("tools") == 1


def test_only_openai_backends_pick_tools_natively() -> None:
    assert backend_supports_native_tools("openai:http://127.0.0.1:1/v1#m")
    assert not backend_supports_native_tools("embedded")
    assert not backend_supports_native_tools("hf:gpt2")
    # Building ChatOpenAI connects to nothing, so the model form is cheap to check too.
    assert backend_supports_native_tools(load_chat_model("openai:http://127.0.0.1:1/v1#m"))


# ---------------------------------------------------------------- llama.cpp


# One thread: llama.cpp's threads spin while they wait, so on a busy 2-core machine two threads can be
# ten times slower than one. Speed is measured in bench/, not here.
THREADS = 1


@pytest.fixture(scope="module")
def smollm() -> object:
    return load_chat_model("embedded", n_threads=THREADS, max_tokens=48)


def test_llamacpp_weights_load_once_per_process(smollm: object) -> None:
    again = load_chat_model("llamacpp:" + str(smollm2_gguf_path()), n_threads=THREADS, max_tokens=8)
    assert again is not smollm
    assert again.client is smollm.client  # type: ignore[attr-defined]
    assert not backend_supports_native_tools(smollm)  # type: ignore[arg-type]


def test_llamacpp_invoke_answers_in_words(smollm: object) -> None:
    reply = smollm.invoke(QUESTION, temperature=0.0)  # type: ignore[attr-defined]
    assert isinstance(reply, AIMessage)
    assert len(reply.content.split()) >= 3


def test_llamacpp_stream_yields_tokens_that_join_to_the_invoked_answer(smollm: object) -> None:
    chunks = [c.content for c in smollm.stream(QUESTION, temperature=0.0)]  # type: ignore[attr-defined]
    assert sum(1 for c in chunks if c) >= 5  # token by token, not one block
    invoked = smollm.invoke(QUESTION, temperature=0.0).content  # type: ignore[attr-defined]
    assert "".join(chunks) == invoked


def test_llamacpp_reads_a_tool_result_after_a_tool_call(smollm: object) -> None:
    history = [
        HumanMessage("What does my note say about the capital of France?"),
        AIMessage("", tool_calls=[{"name": "search_notes", "args": {"query": "capital"}, "id": "c1"}]),
        ToolMessage("The capital of France is Paris.", tool_call_id="c1"),
    ]
    reply = smollm.invoke(history, temperature=0.0)  # type: ignore[attr-defined]
    assert "Paris" in reply.content


def test_llamacpp_any_tool_choice_with_one_tool_forces_that_tool(smollm: object) -> None:
    bound = smollm.bind_tools([SearchNotes], tool_choice="any")  # type: ignore[attr-defined]
    reply = bound.invoke("Look up positional encoding in my notes.", temperature=0.0)
    assert [call["name"] for call in reply.tool_calls] == ["SearchNotes"]
    assert isinstance(reply.tool_calls[0]["args"]["query"], str)


def test_llamacpp_auto_tool_choice_binds_tools_without_forcing(smollm: object) -> None:
    bound = smollm.bind_tools([SearchNotes], tool_choice="auto")  # type: ignore[attr-defined]
    assert bound.kwargs["tool_choice"] is None  # type: ignore[attr-defined]
    assert [t["function"]["name"] for t in bound.kwargs["tools"]] == ["SearchNotes"]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- transformers


@pytest.fixture(scope="module")
def tiny_gpt2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_gpt2(tmp_path_factory.mktemp("tiny-gpt2"))


def test_hf_backend_generates_new_tokens_from_a_model_on_disk(tiny_gpt2: Path) -> None:
    model = load_chat_model(f"hf:{tiny_gpt2}", max_tokens=6)
    prompt = model._to_chat_prompt([HumanMessage("what is attention?")])  # type: ignore[attr-defined]
    assert prompt == "User: what is attention?\nAssistant:"  # the default template for base models
    reply = model.invoke("what is attention?")
    assert isinstance(reply, AIMessage)
    generated = model.tokenizer(reply.content, add_special_tokens=False)["input_ids"]  # type: ignore[attr-defined]
    assert 1 <= len(generated) <= 6 * 4  # new tokens only (a byte may split), never the prompt echoed
    assert "what is attention?" not in reply.content


def test_hf_backend_accepts_tool_results_in_the_conversation(tiny_gpt2: Path) -> None:
    model = load_chat_model(f"hf:{tiny_gpt2}", max_tokens=4)
    history = [
        HumanMessage("search the notes"),
        AIMessage("", tool_calls=[{"name": "search_notes", "args": {"query": "x"}, "id": "c1"}]),
        ToolMessage("attention is a weighted average", tool_call_id="c1"),
    ]
    prompt = model._to_chat_prompt(history)  # type: ignore[attr-defined]
    assert prompt.endswith("Tool result: attention is a weighted average\nAssistant:")
    assert isinstance(model.invoke(history), AIMessage)


def test_hf_stream_yields_text_chunks(tiny_gpt2: Path) -> None:
    model = load_chat_model(f"hf:{tiny_gpt2}", max_tokens=6)
    chunks = list(model.stream("hello"))
    assert len(chunks) >= 2
    assert "".join(c.content for c in chunks)


# ---------------------------------------------------------------- OpenAI-compatible server


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` serving the bundled GGUF; yields its /v1 URL."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf_path())]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--n_threads", str(THREADS), "--n_ctx", "2048"]
    log = log_path.open("w")  # a file, not a pipe: llama.cpp logs enough to fill a pipe and block
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                    if json.load(response)["data"]:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log_path.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not answer /v1/models within 120 s")
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.25)  # returns early if the server dies
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.slow
def test_openai_backend_chats_streams_and_calls_a_forced_tool(llama_server: str) -> None:
    model = load_chat_model(f"openai:{llama_server}#smollm2", max_tokens=40)
    assert backend_supports_native_tools(model)

    reply = model.invoke(QUESTION)
    assert len(reply.content.split()) >= 3

    chunks = [c.content for c in model.stream(QUESTION)]
    assert sum(1 for c in chunks if c) >= 5

    forced = model.bind_tools(
        [SearchNotes], tool_choice={"type": "function", "function": {"name": "SearchNotes"}}
    ).invoke("Look up positional encoding in my notes.")
    assert [call["name"] for call in forced.tool_calls] == ["SearchNotes"]
    assert isinstance(forced.tool_calls[0]["args"]["query"], str)
