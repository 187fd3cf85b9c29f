"""generate_text through llama.cpp (the bundled SmolLM2) and through transformers (a tiny GPT-2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.recorded_hub import build_tiny_gpt2, put_in_cache
from tools.base import ToolContext, ToolInputError, ToolUnavailable
from tools.generation import TOOL, GenerateTextArgs, generate_text, generate_text_tool


@pytest.fixture(scope="module")
def tiny_gpt2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_gpt2(tmp_path_factory.mktemp("tiny-gpt2"))


# --------------------------------------------------------------------------- llama.cpp (bundled)


def test_bundled_model_streams_one_callback_per_counted_token() -> None:
    pieces: list[str] = []
    result = generate_text("Name three colours.", max_new_tokens=12, temperature=0.0, on_token=pieces.append)
    assert result.backend == "llama.cpp" and "SmolLM2" in result.model
    assert 0 < result.tokens <= 12
    assert result.tokens == len(pieces)
    assert "".join(pieces) == result.text and result.text.strip()


def test_greedy_generation_is_repeatable_and_max_new_tokens_caps_it() -> None:
    first = generate_text("Say hello.", max_new_tokens=6, temperature=0.0)
    second = generate_text("Say hello.", max_new_tokens=6, temperature=0.0)
    assert first.text == second.text
    short = generate_text("Write a long story about a dragon.", max_new_tokens=3, temperature=0.0)
    assert short.tokens == 3 and short.finish_reason == "length"


def test_greedy_text_does_not_depend_on_what_ran_before_and_the_chat_opening_is_kept() -> None:
    from knowledge.embedded_models import smollm2_gguf_path
    from tools import llama_prefix
    from tools.generation import _llama

    prompts = [
        "Say hello.",
        "Write a long story about a dragon.",
        "Say hello.",
        "Count to three.",
        "Say hello.",
    ]
    texts = [generate_text(p, max_new_tokens=24, temperature=0.0).text for p in prompts]
    assert texts[0] == texts[2] == texts[4]  # after a longer prompt, after an unrelated one

    llm = _llama(str(smollm2_gguf_path()))
    head = llama_prefix.opening(llm)
    assert len(head) >= 10 and "You are a helpful AI assistant" in llm.detokenize(head).decode()
    assert list(llm.input_ids[: len(head)]) == head and llm in llama_prefix._primed


class _PlainLlama:
    """A stand-in Llama whose chat format is not a GGUF Jinja template."""

    chat_format = "llama-2"
    metadata: dict[str, str] = {}

    def __init__(self) -> None:
        self.resets = 0
        self.n_tokens = 7

    def reset(self) -> None:
        self.resets += 1
        self.n_tokens = 0


def test_a_template_that_is_not_read_from_the_gguf_starts_from_an_empty_cache() -> None:
    from tools import llama_prefix

    llm = _PlainLlama()
    assert llama_prefix.opening(llm) == []
    assert llama_prefix.start(llm, "Say hello.") is None
    assert llm.resets == 1 and llm.n_tokens == 0


def test_reuse_stops_when_llama_cpp_evaluated_another_prompt_than_expected() -> None:
    from llama_cpp import Llama

    from knowledge.embedded_models import smollm2_gguf_path
    from tools import llama_prefix
    from tools.generation import LLAMA_N_CTX

    llm = Llama(model_path=str(smollm2_gguf_path()), n_ctx=LLAMA_N_CTX, n_threads=2, verbose=False)
    expected = llama_prefix.start(llm, "Say hello.")
    assert expected is not None and expected[: len(llama_prefix.opening(llm))] == llama_prefix.opening(llm)
    llm.create_chat_completion([{"role": "user", "content": "Say goodbye."}], max_tokens=2, temperature=0.0)
    llama_prefix.finish(llm, expected)  # what ran is not what was prepared
    assert llama_prefix.opening(llm) == [] and llm not in llama_prefix._primed
    assert llama_prefix.start(llm, "Say hello.") is None and llm.n_tokens == 0


def test_seeded_sampling_is_repeatable() -> None:
    runs = {generate_text("Invent a name.", max_new_tokens=6, temperature=1.2, seed=7).text for _ in range(2)}
    assert len(runs) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_new_tokens": 0}, r"max_new_tokens: must be at least 1 \(got 0\)"),
        ({"max_new_tokens": 1025}, r"max_new_tokens: must be at most 1024 \(got 1025\)"),
        ({"max_new_tokens": -5}, r"max_new_tokens: must be at least 1 \(got -5\)"),
        ({"max_new_tokens": 1.5}, r"max_new_tokens: must be a whole number \(got 1\.5\)"),
        ({"max_new_tokens": "many"}, r"max_new_tokens: must be a whole number \(got 'many'\)"),
        ({"temperature": -0.1}, r"temperature: must be at least 0 \(got -0\.1\)"),
        ({"temperature": 2.5}, r"temperature: must be at most 2 \(got 2\.5\)"),
        ({"top_p": 0.0}, r"top_p: must be more than 0 \(got 0\.0\)"),
        ({"top_p": 1.5}, r"top_p: must be at most 1 \(got 1\.5\)"),
        ({"seed": -1}, r"seed: must be at least 0 \(got -1\)"),
        ({"prompt": "   "}, "prompt: is empty"),
        ({"prompt": "x" * 20_001}, r"prompt: must have at most 20000 characters \(got 20001 characters\)"),
    ],
)
def test_out_of_range_settings_are_refused(kwargs: dict, message: str, tmp_path: Path) -> None:
    args = {"prompt": "hi", **kwargs}
    with pytest.raises(ToolInputError, match=message):
        TOOL.call(ToolContext(home=tmp_path), args)
    with pytest.raises(ToolInputError, match=message):  # the library call checks with the same model
        generate_text(**args)


def test_the_turn_token_cap_is_checked_by_the_tool(tmp_path: Path) -> None:
    with pytest.raises(ToolInputError, match="max_new_tokens must be at most 64, got 100"):
        TOOL.call(ToolContext(home=tmp_path, max_new_tokens=64), {"prompt": "hi", "max_new_tokens": 100})


@pytest.mark.parametrize(
    "model",
    ["../weights", "https://huggingface.co/gpt2", "a/b/c", "/no/such/folder", "missing.gguf", "x" * 97],
)
def test_bad_model_ids_are_refused_before_loading(model: str) -> None:
    with pytest.raises(ToolInputError):
        generate_text("hi", model=model)


def test_prompt_longer_than_the_context_is_refused_with_the_limit() -> None:
    with pytest.raises(ToolInputError, match="context of .* is 4096 tokens"):
        generate_text("7 " * 9000, max_new_tokens=10)
    with pytest.raises(ToolInputError, match="prompt: is empty"):
        generate_text("   ")


def test_tool_wrapper_reports_the_numbers(tmp_path: Path) -> None:
    args = GenerateTextArgs(prompt="Count to three.", max_new_tokens=6, temperature=0.0)
    result = generate_text_tool(ToolContext(home=tmp_path), args)
    assert 0 < result.data["tokens"] <= 6
    assert result.text.startswith(result.data["text"])
    assert f"{result.data['tokens']} tokens from" in result.text


def test_args_model_enforces_the_same_caps() -> None:
    assert GenerateTextArgs(prompt="hi").max_new_tokens is None  # fitted to the request
    for bad in ({"max_new_tokens": 2000}, {"temperature": 3}, {"top_p": 0}, {"prompt": ""}):
        with pytest.raises(ValueError):
            GenerateTextArgs(**{"prompt": "hi", **bad})


# --------------------------------------------------------------------------- transformers (tiny GPT-2)


def test_local_folder_goes_through_transformers_and_counts_new_tokens(tiny_gpt2: Path) -> None:
    pieces: list[str] = []
    result = generate_text(
        "The cat", model=str(tiny_gpt2), max_new_tokens=12, temperature=0.0, on_token=pieces.append
    )
    assert result.backend == "transformers"
    assert result.tokens == 12 and result.finish_reason == "length"
    assert "".join(pieces) == result.text
    assert 0 < len(pieces) <= result.tokens
    again = generate_text("The cat", model=str(tiny_gpt2), max_new_tokens=12, temperature=0.0)
    assert again.text == result.text


def test_tiny_model_context_of_64_positions_is_enforced(tiny_gpt2: Path) -> None:
    with pytest.raises(ToolInputError, match="is 64 tokens"):
        generate_text("attention " * 60, model=str(tiny_gpt2), max_new_tokens=10)


def test_hub_id_loads_from_the_local_cache(tiny_gpt2: Path, cache: Path) -> None:
    put_in_cache(cache, "openai-community/gpt2", tiny_gpt2)
    result = generate_text("The cat", model="gpt2", max_new_tokens=5, temperature=0.0)
    assert result.model == "openai-community/gpt2" and result.backend == "transformers" and result.tokens == 5


def test_hub_id_missing_offline_names_size_and_command(cache: Path) -> None:
    with pytest.raises(ToolUnavailable) as info:
        generate_text("hi", model="gpt-neo")
    message = str(info.value)
    assert "EleutherAI/gpt-neo-125m" in message and "526.0 MB" in message
    assert "`hf download EleutherAI/gpt-neo-125m`" in message
