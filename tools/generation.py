"""generate_text: let a learner try a language model, streaming token by token.

Three routes, picked from ``model``: nothing means the bundled SmolLM2 GGUF
through llama.cpp (fast on two CPU threads); a ``.gguf`` file also goes through
llama.cpp; a local folder or a Hub id goes through transformers. Hub ids are
checked by ``hub_ids`` first and loaded from the local cache only: a tool call
never starts a multi-gigabyte download, it says which command would.

What a 135M model writes has to read well. ``tools.writing`` reads the request
(a haiku, an email, "in 50 words", "three sentences") and sets the instruction the
model gets after the user's own text and the token budget; a ``TextWatch`` reads
the streamed tokens and stops at the form's natural end, at the asked length, or
when the tail repeats an earlier run of words. Sampling penalises repetition
(``REPEAT_PENALTY``, chosen on the writing bench: see its comment). Temperature 0
is greedy decoding; the penalty and the watch apply to it too.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from tools import hub_env, llama_prefix
from tools.arguments import generate_text_args
from tools.base import ToolContext, ToolInputError, ToolResult, ToolUnavailable
from tools.fields import user_text
from tools.hub_ids import resolve_model_id
from tools.registry import ToolDeclaration, describe_validation_error, examples_of
from tools.writing import TextWatch, WritingPlan, plan_writing

MAX_NEW_TOKENS = 1024
MAX_PROMPT_CHARS = 20_000
LLAMA_N_CTX = 4096
LLAMA_THREADS = 2
CHAT_OVERHEAD_TOKENS = 16  # chat-template tokens around a single user message
NEG_INF = float("-inf")
MIN_ROOM = 32  # fewest new tokens a derived budget may shrink to when a long prompt fills the context
SMOLLM2_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
# Repetition control, measured by `python -m bench.bench_writing --sweep`: the 20 prompts of
# bench/writing_prompts.txt x 2 seeds, SmolLM2-135M, temperature 0.7, top_p 0.95, 300 tokens; median / worst
# share of distinct word 4-grams, outputs under 0.9: none 0.969 / 0.03, 16 of 40; repeat_penalty 1.1:
# 1.000 / 0.91, 0 of 40; repeat_penalty 1.2: 1.000 / 0.91, 0 of 40; frequency_penalty 0.5: 0.993 / 0.48,
# 8 of 40; presence_penalty 0.5: 0.980 / 0.33, 13 of 40. The repeat penalty divides the logits of tokens
# among the last REPEAT_LAST_N generated (llama.cpp's default window); the lowest value that removes the
# loops is kept, since every step up bends the wording more.
REPEAT_PENALTY = 1.1
REPEAT_LAST_N = 64
# The transformers route gets the same penalty (``repetition_penalty``). SmolLM2 dequantised into transformers,
# 6 poem prompts of the bench, seed 1: without it 3 of 6 outputs looped (streamed 4-gram share down to 0.50,
# cut by the watch); with 1.1 none did (median 1.000, worst 0.913). ``no_repeat_ngram_size=4`` on top changed
# one of the 6 texts (0.913 -> 0.957): not worth forbidding every repeated 4-token run, so it stays off.
NO_REPEAT_NGRAM = 0


class SamplingArgs(BaseModel):
    """The sampling settings of generate_text; ``check_sampling`` checks them on their own."""

    max_new_tokens: int | None = Field(
        default=None,
        ge=1,
        le=MAX_NEW_TOKENS,
        description="Most tokens to generate (1..1024). Leave empty to fit the request: a haiku is short, "
        "'in 200 words' or 'a long story' longer.",
    )
    temperature: float = Field(
        default=0.7,
        ge=0.0,
        le=2.0,
        description="Randomness: 0 = greedy (always the most likely token, the same text every time), up to 2.",
    )
    top_p: float = Field(default=0.95, gt=0.0, le=1.0, description="Nucleus sampling mass, in (0, 1].")
    seed: int | None = Field(default=None, ge=0, description="Fix for reproducible samples (0 or more).")


# a prompt keeps its own spacing: the model continues it as written
Prompt = user_text(
    MAX_PROMPT_CHARS,
    "The text the model continues or answers.",
    hint="give the text the model should continue or answer",
    strip=False,
)


class _PromptArgs(BaseModel):
    prompt: Prompt
    model: str | None = Field(
        default=None,
        description="Leave empty for the bundled SmolLM2-135M-Instruct. Otherwise a Hub id already in the local "
        "cache (e.g. 'openai-community/gpt2'), a local model folder, or a .gguf file path.",
    )


class GenerateTextArgs(SamplingArgs, _PromptArgs):  # this base order puts prompt and model first
    """Arguments of generate_text."""


@dataclass(frozen=True)
class GenerationResult:
    """Generated text and its cost; ``tokens`` counts generated tokens, not characters.

    ``finish_reason``: "stop" (the model ended), "complete" (the asked length or the form's end was
    reached), "loop" (a repeating tail was cut) or "length" (the token budget ran out; an unfinished
    last sentence is cut). ``text`` is what was kept: after a cut it is shorter than the streamed pieces.
    ``form`` is the kind of writing read from the request and ``budget`` the token cap it ran under.
    """

    text: str
    tokens: int
    model: str
    seconds: float
    backend: str = "llama.cpp"
    prompt_tokens: int = 0
    finish_reason: str | None = None
    form: str = "prose"
    budget: int = 0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


OnToken = Callable[[str], None] | None
ArgsModel = TypeVar("ArgsModel", bound=BaseModel)


def check_sampling(max_new_tokens: int, temperature: float, top_p: float, seed: int | None) -> None:
    """Refuse sampling settings outside SamplingArgs' bounds; the message says what is allowed."""
    _checked(SamplingArgs, max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p, seed=seed)


def _checked(schema: type[ArgsModel], /, **values: Any) -> ArgsModel:
    """``values`` validated by ``schema``, for callers that do not come through the tool declaration."""
    try:
        return schema.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise ToolInputError(describe_validation_error(exc)) from None


def _check_context(prompt_tokens: int, max_new_tokens: int, n_ctx: int, model: str) -> None:
    if prompt_tokens + max_new_tokens > n_ctx:
        room = max(n_ctx - max_new_tokens, 0)
        raise ToolInputError(
            f"prompt is {prompt_tokens} tokens and {max_new_tokens} new tokens were asked for, but the context of "
            f"{model} is {n_ctx} tokens: keep the prompt under {room} tokens or lower max_new_tokens"
        )


def _fit(
    plan: WritingPlan, args: GenerateTextArgs, prompt_tokens: int, n_ctx: int, model: str
) -> WritingPlan:
    """``plan`` with a budget the context holds: an asked max_new_tokens must fit, a derived one shrinks to fit."""
    room = n_ctx - prompt_tokens
    if args.max_new_tokens is None and MIN_ROOM <= room < plan.budget:
        return dataclasses.replace(plan, budget=room)
    if args.max_new_tokens is None and room < MIN_ROOM:
        raise ToolInputError(
            f"prompt is {prompt_tokens} tokens, but the context of {model} is {n_ctx} tokens and the answer needs "
            f"room: keep the prompt under {n_ctx - MIN_ROOM} tokens (about "
            f"{len(args.prompt) * (n_ctx - MIN_ROOM) // max(prompt_tokens, 1):,} characters of this text)"
        )
    _check_context(prompt_tokens, plan.budget, n_ctx, model)
    return plan


# --------------------------------------------------------------------------- routing


@dataclass(frozen=True)
class _Route:
    backend: str  # "llama.cpp" or "transformers"
    source: str  # file, folder, or cache snapshot folder
    label: str  # what the result reports as .model


def _route(model: str | None) -> _Route:
    if model is None or not str(model).strip():
        from knowledge.embedded_models import EmbeddedModelMissing, smollm2_gguf_path

        try:
            path = smollm2_gguf_path()
        except EmbeddedModelMissing as exc:
            raise ToolUnavailable(f"the bundled SmolLM2 model is missing: {exc}") from exc
        return _Route("llama.cpp", str(path), f"{SMOLLM2_ID} (bundled GGUF)")
    text = str(model).strip()
    path = Path(text).expanduser()
    if path.is_file() and path.suffix.lower() == ".gguf":
        return _Route("llama.cpp", str(path.resolve()), path.name)
    if path.is_dir():
        return _Route("transformers", str(path.resolve()), path.name)
    if text.lower().endswith(".gguf"):
        raise ToolInputError(
            f"no GGUF file at {text!r}; give an existing .gguf path, a model folder or a Hub id"
        )
    resolution = resolve_model_id(text)  # refuses paths that do not exist, URLs, a/b/c, ".."
    folder = hub_env.cached_snapshot(resolution.id)
    if folder is not None:
        return _Route("transformers", str(folder), resolution.id)
    if resolution.id == SMOLLM2_ID:
        return _route(None)
    raise hub_env.model_not_cached(resolution.id)


# --------------------------------------------------------------------------- llama.cpp


_LLAMA_LOCK = threading.Lock()


@lru_cache(maxsize=2)
def _llama(path: str) -> Any:
    """One Llama per GGUF file, used only by generate_text: its KV cache keeps the chat opening."""
    try:
        from llama_cpp import Llama
    except ImportError as exc:  # pragma: no cover - core dependency
        raise ToolUnavailable("llama-cpp-python is not installed: pip install llama-cpp-python") from exc
    return Llama(
        model_path=path,
        n_ctx=LLAMA_N_CTX,
        n_threads=LLAMA_THREADS,
        last_n_tokens_size=REPEAT_LAST_N,
        verbose=False,
    )


@lru_cache(maxsize=2)
def _llama_end_ids(path: str) -> tuple[int, ...]:
    """Every end-of-generation token of the GGUF (SmolLM2 has three), read once: 20 ms over its vocabulary."""
    import llama_cpp

    llm = _llama(path)
    vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
    return tuple(i for i in range(llm.n_vocab()) if llama_cpp.llama_vocab_is_eog(vocab, i))


def _first_tokens(words: tuple[str, ...], encode: Callable[[str], list[int]]) -> list[int]:
    """The first token of each word, as the model would write it at the start of its answer."""
    return sorted({ids[0] for ids in map(encode, words) if ids})


def _word_ids(decode: Callable[[int], str], n_vocab: int) -> list[int]:
    """Tokens that start or extend a word (text opening with a space, a letter or a digit): 0.2 s over
    SmolLM2's vocabulary. Masking only the space-led ones let a full haiku line glue words together."""
    firsts = ((i, decode(i)[:1]) for i in range(n_vocab))
    return [i for i, first in firsts if first == " " or first.isalnum()]


class _Steer:
    """Per-token logits edits that carry out the writing plan (numpy or torch, vocabulary on the last axis).

    - Before the first token, every token but the form's opening words: without it, 1 in 2 sampled
      emails opened with no greeting.
    - While the asked length or the form's shape is not reached, the end-of-generation tokens: "two
      paragraphs" gets two, a haiku three lines, an email its sign-off and name.
    - Text the watch says is due is written token by token: a numbered list's "1." and, while asked
      items are missing, the next number on each new line (without it SmolLM2 wrote 3 of 4 asked
      items, then rambled); a signed form's sign-off ("Best regards,") when it is about to end unsigned
      or is past its soft budget at a paragraph break (the model writes the name).
    - A line with the form's most words (a haiku's 6, plus one begun) must end: no word token may follow.
    """

    def __init__(
        self,
        watch: TextWatch,
        encode: Callable[[str], list[int]],
        ends: tuple[int, ...],
        word_ids: Callable[[], list[int]],
    ) -> None:
        self.watch, self.encode, self.ends = watch, encode, list(ends)
        self.opening = _first_tokens(watch.plan.form.opening, encode)
        self.word_ids = word_ids() if watch.plan.form.line_words else []
        self.queue: list[int] = []  # tokens being written for the model

    def __call__(self, scores: Any) -> Any:
        watch = self.watch
        if not self.queue:
            sign = bool(self.ends) and bool(watch.plan.form.sign_off)  # only a letter asks: 20 us a token
            wants_end = sign and bool(scores[..., self.ends].max() >= scores.max())
            text = watch.due(wants_end)
            self.queue = self.encode(text) if text else []
        if self.queue:
            return _only(scores, [self.queue.pop(0)])
        if self.opening and watch.tokens == 0:
            return _only(scores, self.opening)
        if self.ends and watch.must_go_on():
            scores[..., self.ends] = NEG_INF
        if self.word_ids and watch.line_full():
            scores[..., self.word_ids] = NEG_INF
        return scores


def _only(scores: Any, ids: list[int]) -> Any:
    """``scores`` with every token but ``ids`` masked, in place."""
    kept = scores[..., ids] * 1
    scores[...] = NEG_INF
    scores[..., ids] = kept
    return scores


@lru_cache(maxsize=2)
def _llama_word_ids(path: str) -> tuple[int, ...]:
    llm = _llama(path)
    return tuple(_word_ids(lambda i: llm.detokenize([i]).decode("utf-8", "replace"), llm.n_vocab()))


@lru_cache(maxsize=2)
def _hf_word_ids(source: str) -> tuple[int, ...]:
    """``_word_ids`` of a transformers model, once per model as for llama.cpp (``_llama_word_ids``)."""
    tokenizer = _hf_model(source)[0]
    return tuple(_word_ids(lambda i: tokenizer.decode([i]), len(tokenizer)))


def _generate_llama(
    route: _Route, args: GenerateTextArgs, on_token: OnToken, ceiling: int
) -> GenerationResult:
    llm = _llama(route.source)
    plan = plan_writing(args.prompt, args.max_new_tokens, ceiling)
    prompt_tokens = len(llm.tokenize(plan.message.encode("utf-8"), add_bos=False)) + CHAT_OVERHEAD_TOKENS
    plan = _fit(plan, args, prompt_tokens, llm.n_ctx(), route.label)
    from llama_cpp import LogitsProcessorList

    watch = TextWatch(plan)
    steer = _Steer(
        watch,
        lambda text: llm.tokenize(text.encode("utf-8"), add_bos=False),
        _llama_end_ids(route.source),
        lambda: list(_llama_word_ids(route.source)),
    )
    sampled = 0

    def count(_ids: Any, scores: Any) -> Any:  # called once per sampled token, the exact count
        nonlocal sampled
        sampled += 1
        return steer(scores)

    finish: str | None = None
    with _LLAMA_LOCK:  # a Llama instance is not safe to share between threads
        started = time.perf_counter()
        # Only the chat template's opening is kept from earlier runs, never an arbitrary prefix:
        # the same prompt then makes the same computation, so greedy and seeded runs repeat exactly.
        expected = llama_prefix.start(llm, plan.message)
        stream = llm.create_chat_completion(
            messages=[{"role": "user", "content": plan.message}],
            max_tokens=plan.budget,
            temperature=float(args.temperature),
            top_p=float(args.top_p),
            repeat_penalty=REPEAT_PENALTY,
            seed=args.seed,
            stream=True,
            logits_processor=LogitsProcessorList([count]),
        )
        try:
            for chunk in stream:
                choice = chunk["choices"][0]
                piece = choice["delta"].get("content")
                finish = choice.get("finish_reason") or finish
                if piece:
                    if on_token is not None:
                        on_token(piece)
                    if watch.feed(piece):
                        finish = watch.stopped
                        break
        finally:
            stream.close()  # stops sampling when the watch ended the text early
        seconds = time.perf_counter() - started
        llama_prefix.finish(llm, expected)
    # The end-of-turn token is sampled but is not text. One chunk per token, except that the bytes of one
    # character split over several tokens (emoji, CJK) arrive as one chunk.
    tokens = sampled - 1 if finish == "stop" and sampled else sampled
    return GenerationResult(
        watch.final(finish),
        tokens,
        route.label,
        seconds,
        "llama.cpp",
        prompt_tokens,
        finish,
        plan.form.name,
        plan.budget,
    )


# --------------------------------------------------------------------------- transformers


@lru_cache(maxsize=2)
def _hf_model(source: str) -> tuple[Any, Any, int]:
    """Tokenizer, model and context length of a local folder, loaded once."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(source, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ToolUnavailable(
            f"cannot load a causal language model from {source}: {exc}".splitlines()[0]
        ) from exc
    model.eval()
    config = model.config
    n_ctx = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None) or 2048
    return tokenizer, model, int(n_ctx)


def _token_streamer(tokenizer: Any, on_token: OnToken) -> Any:
    """A streamer calling ``on_token`` once per generated token, in the caller's thread.

    TextIteratorStreamer batches text up to word boundaries and needs a second
    thread; per-token callbacks keep the count of calls and tokens aligned.
    """
    from transformers.generation.streamers import BaseStreamer

    class PerTokenStreamer(BaseStreamer):
        def __init__(self) -> None:
            self.ids: list[int] = []
            self.shown = ""
            self.skipped_prompt = False

        def put(self, value: Any) -> None:
            if not self.skipped_prompt:  # generate() first hands over the prompt ids
                self.skipped_prompt = True
                return
            self.ids.extend(int(i) for i in value.reshape(-1).tolist())
            text = tokenizer.decode(self.ids, skip_special_tokens=True)
            if text.endswith("\ufffd"):  # half of a multi-byte character: wait for the rest
                return
            piece, self.shown = text[len(self.shown) :], text
            if piece and on_token is not None:
                on_token(piece)

        def end(self) -> None:
            text = tokenizer.decode(self.ids, skip_special_tokens=True)
            piece, self.shown = text[len(self.shown) :], text
            if piece and on_token is not None:
                on_token(piece)

    return PerTokenStreamer()


def _hf_end_ids(tokenizer: Any, model: Any) -> list[int]:
    """The end-of-sequence ids of a transformers model: its tokenizer's and its generation config's."""
    found: set[int] = set()
    for value in (tokenizer.eos_token_id, getattr(model.generation_config, "eos_token_id", None)):
        if isinstance(value, int):
            found.add(value)
        elif value:
            found.update(int(v) for v in value)
    return sorted(found)


class _HFSteer:
    """A ``_Steer`` as a transformers logits processor."""

    def __init__(self, steer: _Steer) -> None:
        self.steer = steer

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        return self.steer(scores)


def _watch_stop(watch: TextWatch) -> Any:
    """A stopping criterion that ends ``generate`` once the watch has seen the text finish."""
    import torch
    from transformers import StoppingCriteria

    class WatchStop(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), watch.stopped is not None, dtype=torch.bool)

    return WatchStop()


def _generate_transformers(
    route: _Route, args: GenerateTextArgs, on_token: OnToken, ceiling: int
) -> GenerationResult:
    import torch
    from transformers import LogitsProcessorList, StoppingCriteriaList

    tokenizer, model, n_ctx = _hf_model(route.source)
    instruct = bool(getattr(tokenizer, "chat_template", None))
    plan = plan_writing(args.prompt, args.max_new_tokens, ceiling, instruct=instruct)
    if instruct:
        encoded = tokenizer.apply_chat_template(
            [{"role": "user", "content": plan.message}],
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        )
    else:
        encoded = tokenizer(plan.message, return_tensors="pt")
    prompt_tokens = int(encoded["input_ids"].shape[-1])
    plan = _fit(plan, args, prompt_tokens, n_ctx, route.label)
    watch = TextWatch(plan)
    steer = _Steer(
        watch,
        lambda text: tokenizer.encode(text, add_special_tokens=False),
        tuple(_hf_end_ids(tokenizer, model)),
        lambda: list(_hf_word_ids(route.source)),
    )

    def take(piece: str) -> None:
        if on_token is not None:
            on_token(piece)
        watch.feed(piece)

    sampling: dict[str, Any] = {"do_sample": False}
    if args.temperature > 0:
        sampling = {"do_sample": True, "temperature": float(args.temperature), "top_p": float(args.top_p)}
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    started = time.perf_counter()
    with torch.inference_mode():
        if args.seed is not None:
            torch.manual_seed(args.seed)
        output = model.generate(
            **encoded,
            max_new_tokens=plan.budget,
            pad_token_id=pad,
            repetition_penalty=REPEAT_PENALTY,
            no_repeat_ngram_size=NO_REPEAT_NGRAM,
            streamer=_token_streamer(tokenizer, take),
            stopping_criteria=StoppingCriteriaList([_watch_stop(watch)]),
            logits_processor=LogitsProcessorList([_HFSteer(steer)]),
            **sampling,
        )
    seconds = time.perf_counter() - started
    new_ids = output[0, prompt_tokens:]
    finish = watch.stopped or ("length" if len(new_ids) >= plan.budget else "stop")
    return GenerationResult(
        watch.final(finish),
        int(len(new_ids)),
        route.label,
        seconds,
        "transformers",
        prompt_tokens,
        finish,
        plan.form.name,
        plan.budget,
    )


# --------------------------------------------------------------------------- public API


def generate_text(
    prompt: str,
    model: str | None = None,
    max_new_tokens: int | None = None,
    temperature: float = 0.7,
    top_p: float = 0.95,
    seed: int | None = None,
    on_token: OnToken = None,
) -> GenerationResult:
    """Generate from ``prompt``; ``on_token`` receives each token's text as it is produced.

    ``max_new_tokens`` None fits the budget to the request (``tools.writing``); ``temperature`` 0 is
    greedy; a ``seed`` makes sampled text repeat exactly. The arguments are checked by GenerateTextArgs,
    as a tool call's are: this is also a library call.
    """
    args = _checked(
        GenerateTextArgs,
        prompt=prompt,
        model=model,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_p=top_p,
        seed=seed,
    )
    return _generate(args, on_token)


def _generate(args: GenerateTextArgs, on_token: OnToken, ceiling: int = MAX_NEW_TOKENS) -> GenerationResult:
    route = _route(args.model)
    generate = _generate_llama if route.backend == "llama.cpp" else _generate_transformers
    return generate(route, args, on_token, ceiling)


_ENDINGS = {
    "loop": "stopped where the text began to repeat itself",
    "length": "the token budget ran out; cut after the last whole sentence",
}


def generate_text_tool(ctx: ToolContext, args: GenerateTextArgs) -> ToolResult:
    """The agent's generate_text tool: the generated text plus a line saying what made it.

    The turn's token cap is a setting, so it is checked here rather than in the argument model.
    """
    if args.max_new_tokens is not None and args.max_new_tokens > ctx.max_new_tokens:
        raise ToolInputError(
            f"max_new_tokens must be at most {ctx.max_new_tokens}, got {args.max_new_tokens}"
        )
    result = _generate(args, ctx.on_token, ctx.max_new_tokens)
    ending = _ENDINGS.get(result.finish_reason or "")
    footer = (
        f"\n\n— {result.tokens} tokens from {result.model} via {result.backend} in {result.seconds:.2f} s "
        f"({result.tokens_per_second:.0f} tokens/s, temperature {args.temperature}, top_p {args.top_p}"
        f"{f', seed {args.seed}' if args.seed is not None else ''}{f'; {ending}' if ending else ''})"
    )
    data = {
        "text": result.text,
        "tokens": result.tokens,
        "prompt_tokens": result.prompt_tokens,
        "model": result.model,
        "backend": result.backend,
        "seconds": result.seconds,
        "tokens_per_second": result.tokens_per_second,
        "finish_reason": result.finish_reason,
        "form": result.form,
        "budget": result.budget,
    }
    return ToolResult(text=result.text + footer, data=data)


TOOL = ToolDeclaration(
    name="generate_text",
    description="Generate text from a prompt with a language model (bundled SmolLM2 by default, or a Hub id / "
    "GGUF path): stories, poems, emails, letters, continuations.",
    args=GenerateTextArgs,
    run=generate_text_tool,
    extract=generate_text_args,
    offer="Write it with the text model",
    streams_tokens=True,
    examples=examples_of("generate_text"),
)
