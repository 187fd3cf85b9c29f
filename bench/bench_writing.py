"""Issue 20 bars: writing that reads well, and generate_text as fast as raw llama-cpp-python.

Quality: every prompt of bench/writing_prompts.txt (20 varied writing requests) goes through
``generate_text`` with its defaults and a fixed seed. Bars: the median share of distinct word
4-grams is at least 0.9 (a looping poem scores well under 0.5), and no output runs into the token
cap unless the user asked for a length. Per prompt it prints the form read from the request, how
the text ended, tokens against the budget, words, the 4-gram share, and, where a length was asked,
whether the text has it.

The same prompts also go to raw llama-cpp-python without any of it (no repeat penalty, no
instruction, no watch, 300 tokens, the same seed): the "before" column, and the row
``..._without_control``.

Speed: raw ``Llama.create_chat_completion(stream=True)`` and ``generate_text`` alternate on new
prompts with the same sampling settings (temperature, top_p, repeat penalty and its window, seed,
token cap) and the same user message, so both sample the same tokens and the ratio measures only
what generate_text adds: the request plan, the logits steering and the stream watch.

``python -m bench.bench_writing --sweep`` reruns the measurement that chose the repeat penalty
(raw llama-cpp-python, the 20 prompts x 2 seeds, 300 tokens, each penalty setting); it takes
about ten minutes on two idle cores, so it is not part of ``bench.run``.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

from bench.figures import alternating
from bench.raw_llama import Streamed, raw_llama, stream_rate

PROMPTS_FILE = Path(__file__).with_name("writing_prompts.txt")
SEED = 1
SPEED_TOKENS = 96
SPEED_ROUNDS = 2
BEFORE_TOKENS = 300
TEMPERATURE, TOP_P = 0.7, 0.95  # generate_text's defaults
SWEEP = (
    {},
    {"repeat_penalty": 1.1},
    {"repeat_penalty": 1.2},
    {"frequency_penalty": 0.5},
    {"presence_penalty": 0.5},
)
SPEED_PROMPTS = (
    "Write a long story about a robot who learns to paint.",
    "Write a long story about a lighthouse keeper who befriends a whale.",
    "Write a long story about a child who builds a kite that can talk.",
    "Write a long story about a baker who discovers a secret recipe.",
    "Write a long story about a cat who travels to the moon.",
)


def load_prompts(path: Path = PROMPTS_FILE) -> list[str]:
    """The bench's writing prompts: one per line, '#' lines are comments."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _uncontrolled(llm: Any, prompt: str, seed: int, **penalties: float) -> tuple[str, str]:
    """Raw llama-cpp-python on the bare prompt, as generate_text answered before issue 20: (text, finish)."""
    out = llm.create_chat_completion(
        [{"role": "user", "content": prompt}],
        max_tokens=BEFORE_TOKENS,
        temperature=TEMPERATURE,
        top_p=TOP_P,
        seed=seed,
        **penalties,
    )
    choice = out["choices"][0]
    return choice["message"]["content"] or "", choice["finish_reason"]


def _quality_rows(prompts: list[str]) -> list[dict[str, Any]]:
    from tools.generation import generate_text
    from tools.writing import count_units, distinct_share, find_length, meets

    llm = raw_llama()
    rows: list[dict[str, Any]] = []
    shares, before, capped, capped_before, kept, asked = [], [], 0, 0, 0, 0
    print(
        f"{'before':>6} {'4-gram':>6} {'ended':>8} {'tokens':>9} {'words':>5}  form / prompt", file=sys.stderr
    )
    for prompt in prompts:
        old_text, old_finish = _uncontrolled(llm, prompt, SEED)
        before.append(distinct_share(old_text))
        capped_before += old_finish == "length"
        result = generate_text(prompt, seed=SEED)
        share = distinct_share(result.text)
        words = count_units(result.text)["word"]
        length = find_length(prompt)
        shares.append(share)
        capped += result.finish_reason == "length" and length is None
        verdict = ""
        if length is not None:
            asked += 1
            ok = meets(length, result.text)
            kept += ok
            verdict = f"; asked {length.count} {length.unit}s, has {count_units(result.text)[length.unit]}"
        note = f"{result.form}, {result.finish_reason}, {result.tokens}/{result.budget} tokens, {words} words{verdict}"
        print(
            f"{before[-1]:6.3f} {share:6.3f} {result.finish_reason:>8} {result.tokens:>4}/{result.budget:<4} {words:>5}  "
            f"{result.form}: {prompt}{verdict}",
            file=sys.stderr,
            flush=True,
        )
        note += f"; before: {before[-1]:.3f}, {old_finish}"
        rows.append({"name": f"4-gram share: {prompt}", "value": round(share, 3), "unit": "", "note": note})
    median = statistics.median(shares)
    summary = [
        {
            "name": "writing_distinct_4gram_share_median",
            "value": round(median, 3),
            "unit": "",
            "target": ">= 0.90",
            "met": median >= 0.9,
            "note": f"{len(prompts)} prompts of bench/writing_prompts.txt, seed {SEED}: worst {min(shares):.3f}, "
            f"{sum(x < 0.9 for x in shares)} under 0.9",
        },
        {
            "name": "writing_distinct_4gram_share_median_without_control",
            "value": round(statistics.median(before), 3),
            "unit": "",
            "note": f"the same prompts and seed through raw llama-cpp-python, no penalty, no instruction, no watch, "
            f"{BEFORE_TOKENS} tokens: worst {min(before):.3f}, {sum(x < 0.9 for x in before)} under 0.9, "
            f"{capped_before} of {len(prompts)} ran to the cap",
        },
        {
            "name": "writing_token_cap_hits",
            "value": capped,
            "unit": "outputs",
            "target": "0 (unless a length was asked)",
            "met": capped == 0,
            "note": "finish_reason 'length' among prompts that asked for no length",
        },
        {
            "name": "writing_asked_length_kept",
            "value": f"{kept} of {asked}",
            "unit": "",
            "target": f"{asked} of {asked}",
            "met": kept == asked,
            "note": "words within 0.7x..1.25x, sentences, paragraphs, lines and items exactly",
        },
    ]
    return summary + rows


def _speed_rows() -> list[dict[str, Any]]:
    from bench.raw_llama import writing_message, writing_settings
    from tools.generation import LLAMA_THREADS, REPEAT_LAST_N, REPEAT_PENALTY, GenerationResult, generate_text

    raw = raw_llama()
    temperature, top_p = TEMPERATURE, TOP_P
    generate_text("Say hello.", max_new_tokens=8)  # load our cached instance
    stream_rate(raw, "Say hello.", {"max_tokens": 8})
    rounds = [(r, i, p) for r in range(SPEED_ROUNDS) for i, p in enumerate(SPEED_PROMPTS)]

    def seed(n: int) -> int:  # a new sample each round, the same for both sides
        round_, index, _ = rounds[n]
        return SEED + index + 100 * round_

    def raw_side(n: int) -> Streamed:
        settings = writing_settings(SPEED_TOKENS, temperature=temperature, top_p=top_p, seed=seed(n))
        return stream_rate(
            raw, writing_message(rounds[n][2], SPEED_TOKENS), settings
        )  # what generate_text sends

    def our_side(n: int) -> GenerationResult:
        return generate_text(
            rounds[n][2], max_new_tokens=SPEED_TOKENS, temperature=temperature, top_p=top_p, seed=seed(n)
        )

    # who goes first alternates for every prompt across rounds, whatever the number of prompts
    streamed, results = alternating(len(rounds), raw_side, our_side, lambda n: sum(rounds[n][:2]) % 2 == 1)
    theirs = [s.per_s for s in streamed]
    ours = [r.tokens_per_second for r in results]
    counts = {s.tokens for s in streamed} | {r.tokens for r in results}
    ours_m, theirs_m = statistics.median(ours), statistics.median(theirs)
    # Each pair ran back to back on the same prompt and seed: the median of the pairs' ratios is what
    # a busy machine disturbs least (the load changes between pairs more than within one).
    ratio = statistics.median(o / t for o, t in zip(ours, theirs, strict=True))
    note = (
        f"SmolLM2-135M Q4_1, {LLAMA_THREADS} threads, temperature {temperature}, top_p {top_p}, repeat_penalty "
        f"{REPEAT_PENALTY} over {REPEAT_LAST_N} tokens, seeded, {sorted(counts)} tokens, median of "
        f"{len(rounds)} runs a side ({len(SPEED_PROMPTS)} prompts x {SPEED_ROUNDS} rounds), who goes first alternating"
    )
    return [
        {
            "name": "writing_generate_text_tokens_per_s",
            "value": round(ours_m, 1),
            "unit": "tokens/s",
            "note": note,
        },
        {
            "name": "writing_raw_llama_cpp_tokens_per_s",
            "value": round(theirs_m, 1),
            "unit": "tokens/s",
            "note": note,
        },
        {
            "name": "writing_generate_text_vs_raw_ratio",
            "value": round(ratio, 3),
            "unit": "ratio",
            "target": ">= 0.90",
            "met": ratio >= 0.90,
            "note": "median of the back-to-back pairs' ratios; the same sampling settings and message, one run",
        },
    ]


def run() -> list[dict[str, Any]]:
    """Rows {"name", "value", "unit", "target", "met", "note"}: the bars first, then one row per prompt."""
    quality = _quality_rows(load_prompts())
    return _speed_rows() + quality


def sweep(seeds: tuple[int, ...] = (1, 2)) -> list[str]:
    """The repeat-penalty measurement, as Markdown table lines: raw llama-cpp-python, each SWEEP setting."""
    from tools.writing import distinct_share

    llm, prompts = raw_llama(), load_prompts()
    lines = [
        "| setting | median 4-gram share | worst | outputs under 0.9 | ran to the cap |",
        "|---|---|---|---|---|",
    ]
    for penalties in SWEEP:
        shares, capped = [], 0
        for prompt in prompts:
            for seed in seeds:
                text, finish = _uncontrolled(llm, prompt, seed, **penalties)
                shares.append(distinct_share(text))
                capped += finish == "length"
        name = ", ".join(f"{k} {v}" for k, v in penalties.items()) or "none"
        lines.append(
            f"| {name} | {statistics.median(shares):.3f} | {min(shares):.3f} | "
            f"{sum(s < 0.9 for s in shares)} of {len(shares)} | {capped} of {len(shares)} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
    return lines


if __name__ == "__main__":
    if "--sweep" in sys.argv:
        print("\n".join(sweep()))
    else:
        for row in run():
            print(f"{row['name'][:60]:60} {row['value']!s:>10} {row['unit']:8} {row['note']}")
