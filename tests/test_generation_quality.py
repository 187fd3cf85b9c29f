"""Writing that reads well: request forms and lengths, the stream watch, and the bundled SmolLM2 end to end."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bench.recorded_hub import build_tiny_gpt2
from tools.base import ToolContext, ToolInputError
from tools.generation import TOOL, generate_text
from tools.writing import (
    LOOP_WORDS,
    Length,
    TextWatch,
    count_units,
    distinct_share,
    find_form,
    find_length,
    meets,
    plan_writing,
    sign_off,
)

# --------------------------------------------------------------------------- reading the request


@pytest.mark.parametrize(
    ("prompt", "form"),
    [
        ("Write a haiku about the sea", "haiku"),
        ("Compose a limerick about a cat who codes", "limerick"),
        ("Pen a ballad about rivers", "poem"),
        ("Draft an email to my team about the outage", "email"),
        ("Write a thank-you letter to my aunt", "email"),
        ("Tell me a tale about a fox and a crow", "story"),
        ("Summarize this: the meeting moved to Friday and the budget was approved", "summary"),
        ("Give me three reasons to exercise", "list"),
        ("What is a transformer?", "explanation"),
        ("How do I write a haiku?", "explanation"),  # a question about a form is not that form
        ("Explain overfitting in a haiku", "haiku"),  # a form noun wins over a verb
        ("Write a story in an email to my brother", "story"),  # the earliest form word wins
        ("Once upon a time", "prose"),
    ],
)
def test_the_form_is_read_from_the_declared_table(prompt: str, form: str) -> None:
    assert find_form(prompt).name == form


@pytest.mark.parametrize(
    ("prompt", "length"),
    [
        ("Explain attention in 50 words", Length(50, "word")),
        ("Write a 100-word story about rain", Length(100, "word")),
        ("Describe the sea in about 80 words", Length(80, "word")),
        ("Summarize the plot in three sentences", Length(3, "sentence")),
        ("Describe rain in a sentence", Length(1, "sentence")),
        ("Write two paragraphs about bicycles", Length(2, "paragraph")),
        ("List 7 tips for sleeping well", Length(7, "item")),
        ("Write a poem of four lines about snow", Length(4, "line")),
        ("Write a poem about a line of ants", None),  # a topic, not a length
        ("Write a story about a word that nobody knew", None),
        ("Write a poem about the sea", None),
    ],
)
def test_an_asked_length_is_read(prompt: str, length: Length | None) -> None:
    assert find_length(prompt) == length


def test_the_budget_follows_the_form_the_size_word_and_the_asked_length() -> None:
    def budget(prompt: str, **kwargs: int) -> int:
        return plan_writing(prompt, kwargs.get("max_new_tokens"), kwargs.get("ceiling", 1024)).budget

    assert (
        budget("Write a haiku about snow")
        < budget("Write a poem about snow")
        < budget("Write a story about snow")
    )
    assert budget("Write a short story about snow") < budget("Write a story about snow")
    assert budget("Write a story about snow") < budget("Write a long story about snow")
    assert budget("Write a song about a long road trip") == budget(
        "Write a song about a road trip"
    )  # not its size
    assert budget("Explain snow in 200 words") > budget("Explain snow in 40 words")
    assert budget("Write a haiku about snow", max_new_tokens=300) == 300  # the caller's cap wins
    assert budget("Write a long story about snow", ceiling=64) == 64  # the turn's cap caps everything


def test_the_instruction_follows_the_users_own_text() -> None:
    prompt = "Write an email to my landlord about the heater"
    message = plan_writing(prompt, None, 1024).message
    assert message.startswith(prompt) and "greeting" in message and "sign-off" in message
    assert "exactly 3 sentences" in plan_writing("Explain rain in three sentences", None, 1024).message
    assert plan_writing("Once upon a time", None, 1024).message == "Once upon a time"
    base = plan_writing(
        "Write a haiku about snow", None, 1024, instruct=False
    )  # a model without a chat template
    assert base.message == "Write a haiku about snow" and base.form.name == "prose"


# --------------------------------------------------------------------------- the stream watch


def _feed(watch: TextWatch, text: str, size: int = 4) -> int:
    """Feed ``text`` in pieces of ``size`` characters until the watch stops; how many pieces it took."""
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    for count, piece in enumerate(pieces, 1):
        if watch.feed(piece):
            return count
    return len(pieces)


# The looping tail SmolLM2 wrote without repetition control for "Write a short poem about attention in transformers".
LOOPING_POEM = "In a world where attention is a thing of light,\nA light that shines brightly,\n" + (
    "A light that shines brightly,\n" * 24
)


def test_the_watch_stops_a_looping_stream_and_keeps_one_copy() -> None:
    plan = plan_writing("Write a short poem about attention in transformers", 1024, 1024)  # no soft end
    watch = TextWatch(plan)
    used = _feed(watch, LOOPING_POEM)
    assert watch.stopped == "loop"
    assert used * 4 < 200  # a few lines in, not at the end of 700 characters
    kept = watch.final("loop")
    assert kept == "In a world where attention is a thing of light,\nA light that shines brightly"
    assert distinct_share(kept) == 1.0 and distinct_share(LOOPING_POEM) < 0.2

    without = TextWatch(plan, loop_words=10**6)  # the same stream with the detector off runs to its end
    assert _feed(without, LOOPING_POEM) * 4 >= len(LOOPING_POEM) and without.stopped is None


def test_a_phrase_said_twice_is_not_a_loop() -> None:
    plan = plan_writing("List five tips for learning a language", None, 1024)
    text = (
        "1. Practice daily: learn as much as you can each morning.\n"
        "2. Read books: learn as much as you can from stories you like.\n"
        "3. Speak: find a partner and talk every week.\n"
    )
    watch = TextWatch(plan)
    _feed(watch, text)
    assert watch.stopped is None and watch.items == 3
    assert len("learn as much as you can".split()) < LOOP_WORDS


def test_a_haiku_ends_after_three_lines_and_a_preface_is_not_one() -> None:
    watch = TextWatch(plan_writing("Write a haiku about rain", None, 1024))
    _feed(
        watch,
        "Here is a haiku:\nSoft rain on the roof,\nquiet streets hold their breath now,\npuddles keep the sky,\nAnd then a fourth line",
    )
    assert watch.stopped == "complete"
    assert watch.final("complete").splitlines()[-1] == "puddles keep the sky"


def test_a_haiku_line_must_end_after_six_finished_words() -> None:
    watch = TextWatch(plan_writing("Write a haiku about rain", None, 1024))
    watch.feed("one two three four five six")  # the sixth word may still go on
    assert not watch.line_full()
    watch.feed(",")
    assert watch.line_full()  # six finished words: only punctuation or a line break may follow
    watch.feed("\n")
    assert not watch.line_full()


def test_an_email_ends_with_its_sign_off_and_name() -> None:
    plan = plan_writing("Write an email to my manager about Friday", None, 1024)
    watch = TextWatch(plan)
    _feed(
        watch,
        "Dear Sam,\n\nCould we move our meeting to Friday? Thank you for understanding.\n\nBest regards,\nAlex\n\nP.S. I hope this email helps you.",
    )
    assert watch.stopped == "complete"
    assert watch.final("complete").endswith("Best regards,\nAlex")
    signed = TextWatch(plan)
    _feed(
        signed, "Hi Sam,\n\nThe meeting moved to Friday at ten, see you there then.\n\nBest, Alex\nMore text"
    )
    assert signed.final(signed.stopped).endswith("Best, Alex")
    inline = TextWatch(plan)
    _feed(
        inline,
        "Hello,\nThe parcel is on its way to you now. Thank you. Best regards,\n[Your Name]\n\nIn this message",
    )
    assert inline.final(inline.stopped).endswith("Thank you. Best regards,\n[Your Name]")
    assert [
        sign_off(x) for x in ("Best regards,", "Best, Alex", "Thank you for your help.", "Sincerely")
    ] == [
        "open",
        "signed",
        None,
        "open",
    ]


def test_an_email_about_to_end_unsigned_is_given_its_sign_off_once() -> None:
    watch = TextWatch(plan_writing("Write an email to my manager about Friday", None, 1024))
    watch.feed("Dear Sam,\n\nCould we move our meeting to Friday afternoon instead of Monday?")
    assert watch.must_go_on()  # unsigned: the model may not end
    assert watch.due(wants_end=False) is None
    assert watch.due(wants_end=True) == "\n\nBest regards,\n"
    assert watch.due(wants_end=True) is None  # once


def test_a_looping_letter_loses_the_loop_and_still_gets_its_sign_off() -> None:
    watch = TextWatch(plan_writing("Draft an email to a client about a late delivery", None, 1024))
    body = "Dear Ann,\n\nYour parcel left our store today and should reach you on Monday morning. "
    loop = "Please find it attached here and thank you for your patience with us. " * 3
    _feed(watch, body + loop)
    assert watch.stopped is None  # not left unsigned: the sign-off comes next
    sign = watch.due(wants_end=False)
    assert sign is not None and "Best regards," in sign
    watch.feed(sign)
    watch.feed("Tom\n")
    kept = watch.final(watch.stopped)
    assert watch.stopped == "complete" and kept.endswith("Best regards,\nTom")
    assert kept.count("Please find it attached") == 1 and distinct_share(kept) == 1.0


def test_asked_sentences_are_counted_past_abbreviations_and_decimals() -> None:
    watch = TextWatch(plan_writing("Explain rain in three sentences", None, 1024))
    _feed(watch, "Dr. Smith measured 3.5 mm of rain. It fell all day! Was it enough? The river rose.")
    assert watch.stopped == "complete"
    assert watch.final("complete") == "Dr. Smith measured 3.5 mm of rain. It fell all day! Was it enough?"


def test_asked_items_are_counted_without_sub_bullets() -> None:
    watch = TextWatch(plan_writing("List five tips for sleeping well", None, 1024))
    items = "".join(f"{n}. Tip number {n} is good.\n  - a detail\n" for n in range(1, 8))
    _feed(watch, "Here are five tips:\n" + items)
    kept = watch.final(watch.stopped)
    assert (
        watch.stopped == "complete"
        and count_units(kept)["item"] == 5
        and kept.endswith("5. Tip number 5 is good.")
    )


def test_a_numbered_list_is_given_its_numbers_until_the_asked_count() -> None:
    watch = TextWatch(plan_writing("Give me three reasons to cook", None, 1024))
    assert watch.due(wants_end=False) == "1."
    watch.feed("1.")
    assert watch.due(wants_end=False) is None
    watch.feed(" It saves money.\n")
    assert watch.due(wants_end=False) == "2."
    watch.feed("2. It is healthy.\n3. It is fun.")
    assert watch.due(wants_end=False) is None and not watch.must_go_on()
    watch.feed("\n")
    assert watch.stopped == "complete" and watch.final("complete").endswith("3. It is fun.")


def test_the_model_may_not_end_before_the_asked_paragraphs() -> None:
    watch = TextWatch(plan_writing("Write two paragraphs about bicycles", None, 1024))
    watch.feed("Bicycles came in the nineteenth century and changed how people moved around towns.")
    assert watch.must_go_on()
    watch.feed("\n\nToday they are everywhere, cheap to run and good for the health of riders.")
    assert not watch.must_go_on()  # the second paragraph has begun and is long enough to count
    watch.feed("\n\n")
    assert watch.stopped == "complete"


def test_an_asked_number_of_words_ends_at_a_sentence_near_it() -> None:
    watch = TextWatch(plan_writing("Explain rain in 20 words", None, 1024))
    sentence = "Rain falls when drops in clouds grow heavy enough. "
    _feed(watch, sentence * 6)
    kept = watch.final(watch.stopped)
    assert watch.stopped == "complete" and 17 <= count_units(kept)["word"] <= 25 and kept.endswith(".")


def test_at_a_derived_cap_an_unfinished_sentence_is_cut_but_an_asked_cap_keeps_the_text() -> None:
    derived = TextWatch(plan_writing("Write a story about a fox", None, 1024))
    derived.feed("The fox ran home. Then it")
    assert derived.final("length") == "The fox ran home."
    fixed = TextWatch(plan_writing("Write a story about a fox", 40, 1024))
    fixed.feed("The fox ran home. Then it")
    assert fixed.final("length") == "The fox ran home. Then it"


# --------------------------------------------------------------------------- the bundled SmolLM2, end to end


def test_a_seed_repeats_sampled_text_and_another_seed_changes_it() -> None:
    prompt = "Write a short poem about the sea"
    first = generate_text(prompt, temperature=0.9, seed=5)
    again = generate_text(prompt, temperature=0.9, seed=5)
    other = generate_text(prompt, temperature=0.9, seed=6)
    assert first.text == again.text and first.tokens == again.tokens
    assert other.text != first.text


def test_a_seed_repeats_sampled_text_through_transformers(tmp_path: Path) -> None:
    folder = str(build_tiny_gpt2(tmp_path / "gpt2"))
    texts = [
        generate_text("The cat", model=folder, temperature=1.0, seed=s, max_new_tokens=16).text
        for s in (3, 3, 4)
    ]
    assert texts[0] == texts[1] and texts[0] != texts[2]


def test_a_real_looping_stream_is_cut_by_the_watch() -> None:
    """Raw SmolLM2 with no repetition control loops on this prompt; the watch cuts the real tokens early."""
    from llama_cpp import Llama

    from knowledge.embedded_models import smollm2_gguf_path

    llm = Llama(model_path=str(smollm2_gguf_path()), n_ctx=1024, n_threads=2, verbose=False)
    prompt = "Write a short poem about attention in transformers"
    plan = plan_writing(prompt, None, 1024)
    watch, raw = TextWatch(plan), []
    for chunk in llm.create_chat_completion(
        [{"role": "user", "content": prompt}],
        max_tokens=300,
        seed=2,
        temperature=0.7,
        top_p=0.95,
        stream=True,
    ):
        piece = chunk["choices"][0]["delta"].get("content")
        if piece:
            raw.append(piece)
            watch.feed(piece)
    assert distinct_share("".join(raw)) < 0.5  # it loops: the run is a real one
    assert watch.stopped == "loop" and distinct_share(watch.final("loop")) >= 0.9
    assert len(watch.pieces) < len(raw) / 2  # stopped in the first half of the loop


@pytest.mark.parametrize(
    "prompt",
    [
        "Explain how rain forms in 40 words",
        "Describe a forest at dawn in two sentences",
        "Write two paragraphs about the history of paper",
        "List four ways to save energy at home",
        "Write a poem of six lines about the moon",
    ],
)
def test_an_asked_length_is_kept_by_the_bundled_model(prompt: str) -> None:
    result = generate_text(prompt, seed=1)
    length = find_length(prompt)
    assert length is not None
    assert meets(length, result.text), (count_units(result.text), result.text)
    assert result.finish_reason != "length"


@pytest.mark.parametrize(
    ("prompt", "seed"),
    [
        ("Write an email to my manager asking to move our meeting to Friday", 1),
        ("Write a thank-you note to a friend who helped me move house", 1),
        ("Draft an email to a client apologising for a late delivery", 2),
    ],
)
def test_an_email_has_a_greeting_and_a_sign_off(prompt: str, seed: int) -> None:
    result = generate_text(prompt, seed=seed)
    lines = [line.strip() for line in result.text.splitlines() if line.strip()]
    assert lines[0].split()[0].strip(",.!") in ("Dear", "Hi", "Hello"), result.text
    assert any(sign_off(line) for line in lines[-3:]), result.text
    assert result.finish_reason in ("complete", "stop")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_haiku_is_three_short_lines(seed: int) -> None:
    result = generate_text("Write a haiku about city traffic", seed=seed, temperature=0.7)
    lines = [line for line in result.text.splitlines() if line.strip()]
    assert len(lines) == 3, result.text
    assert all(len(line.split()) <= 7 for line in lines), result.text


def test_the_stream_delivers_tokens_as_they_are_made() -> None:
    arrivals: list[float] = []
    pieces: list[str] = []

    def on_token(piece: str) -> None:
        arrivals.append(time.perf_counter())
        pieces.append(piece)

    started = time.perf_counter()
    result = generate_text("Write a story about a lighthouse keeper", seed=3, on_token=on_token)
    ended = time.perf_counter()
    assert len(pieces) == result.tokens > 40
    assert "".join(pieces).startswith(result.text)  # the kept text is the stream, trimmed at most
    assert arrivals[0] - started < (ended - started) / 4  # the first token long before the last
    assert all(b >= a for a, b in zip(arrivals, arrivals[1:], strict=False))


def test_a_prompt_past_the_context_or_the_character_cap_gets_a_clear_message(tmp_path: Path) -> None:
    figures = ("Add these: " + "12345 67890 " * 1666)[:20_000]  # about 20,000 tokens of digits
    assert len(figures) <= 20_000
    with pytest.raises(
        ToolInputError, match=r"context of .* is 4096 tokens.*characters of this text"
    ) as info:
        generate_text(figures)
    assert "Traceback" not in str(info.value)
    with pytest.raises(ToolInputError, match=r"prompt: must have at most 20000 characters \(got 20001"):
        TOOL.call(ToolContext(home=tmp_path), {"prompt": "x" * 20_001})


def test_a_long_prompt_that_fits_gets_a_smaller_budget_not_an_error() -> None:
    from tools.generation import GenerateTextArgs, _fit

    plan = plan_writing("Write a story about this report: ...", None, 1024)
    args = GenerateTextArgs(prompt="Write a story about this report: ...")
    assert _fit(plan, args, prompt_tokens=4000, n_ctx=4096, model="m").budget == 96  # 380 asked by the form
    with pytest.raises(ToolInputError, match="keep the prompt under 4064 tokens"):
        _fit(plan, args, prompt_tokens=4080, n_ctx=4096, model="m")
    asked = GenerateTextArgs(prompt="Write a story", max_new_tokens=200)  # an asked cap is not shrunk
    with pytest.raises(ToolInputError, match="200 new tokens were asked for"):
        _fit(plan_writing("Write a story", 200, 1024), asked, prompt_tokens=4000, n_ctx=4096, model="m")
