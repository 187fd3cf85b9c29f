"""Hostile input, property-based: only clear errors, never a crash or a hang.

Every entry point that takes text from outside (a chat message, tool arguments,
a dialogue file, a document) is fed random bytes, control characters, huge
lines and deep nesting. Each may refuse, but only with its own error type and a
message; a document that loads must chunk into spans of its own text.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from agent.evaluation.dialogues import DialogueError, load_dialogue, load_dialogue_text
from knowledge.loader import DocumentError, chunk_text, read_document
from tools.base import ToolInputError
from tools.registry import discover

FUZZ = settings(deadline=None, max_examples=60, suppress_health_check=list(HealthCheck))
FUZZ_SLOW = settings(deadline=None, max_examples=12, suppress_health_check=list(HealthCheck))

# Any code point Python strings can carry through UTF-8: controls, format characters, emoji, RTL marks.
any_text = st.text(st.characters(codec="utf-8"), max_size=300)
control_text = st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp"]) | st.sampled_from("#*-> `[]()"))
# Real questions with controls, format characters and odd unicode spliced between the words.
mixed_question = st.lists(
    st.sampled_from(["What", "is", "attention", "positional", "encoding", "GPT-2", "?"]) | control_text,
    min_size=1,
).map(" ".join)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=10,
)


# --- the message path ----------------------------------------------------------------------------


def _assert_sane_reply(reply: Any, message: str, limit: int) -> None:
    assert isinstance(reply.text, str) and reply.text.strip()
    assert reply.id.startswith("r-")
    for call in reply.tool_calls:
        assert call.ok or (call.error and "Traceback" not in call.error)
    if len(message) > limit:
        assert f"{limit:,}" in reply.text and reply.tool_calls == []


@FUZZ_SLOW
@given(message=any_text | control_text | mixed_question)
def test_any_message_gets_a_reply(shared_agent: Any, message: str) -> None:
    reply = shared_agent.chat(message, user="fuzz", session="messages")
    _assert_sane_reply(reply, message, shared_agent.settings.max_message_chars)


@FUZZ_SLOW
@given(
    char=st.sampled_from(["a", " ", "é", "\x07", "\u202e", "🙂", "attention "]),
    extra=st.integers(-200, 200),
)
def test_huge_lines_around_the_limit_are_answered_or_refused(
    shared_agent: Any, char: str, extra: int
) -> None:
    limit = shared_agent.settings.max_message_chars
    message = (char * (limit // len(char) + 1))[: limit + extra]
    reply = shared_agent.chat(message, user="fuzz", session="huge")
    _assert_sane_reply(reply, message, limit)


@FUZZ
@given(user=any_text | control_text)
def test_odd_user_names_are_refused_with_value_error_only(shared_agent: Any, user: str) -> None:
    printable = 0 < len(user) <= 200 and all(ord(c) >= 32 for c in user)
    if printable:
        return  # valid names answer normally; covered by the message tests
    with pytest.raises(ValueError, match="user must be"):
        next(iter(shared_agent.stream("What is attention?", user=user, session="s")))


# --- tool arguments ------------------------------------------------------------------------------


def _schemas() -> list[tuple[str, type[BaseModel]]]:
    return [(declaration.name, declaration.args) for declaration in discover()]


@pytest.mark.parametrize(("name", "schema"), _schemas(), ids=[name for name, _ in _schemas()])
@FUZZ
@given(data=st.data())
def test_tool_argument_validation_raises_only_validation_errors(
    name: str, schema: type[BaseModel], data: st.DataObject
) -> None:
    fields = list(schema.model_fields)
    keys = st.sampled_from(fields) | any_text
    args = data.draw(st.dictionaries(keys, json_value, max_size=len(fields) + 2))
    try:
        schema.model_validate(args)
    except (ValidationError, ToolInputError) as exc:
        assert str(exc)


@FUZZ
@given(
    max_new_tokens=json_value,
    temperature=json_value,
    top_p=json_value,
    seed=json_value,
)
def test_sampling_checks_raise_only_tool_input_errors(
    max_new_tokens: Any, temperature: Any, top_p: Any, seed: Any
) -> None:
    from tools.generation import check_sampling

    try:
        check_sampling(max_new_tokens, temperature, top_p, seed)
    except ToolInputError as exc:
        assert "must be" in str(exc)


# --- the dialogue loader -------------------------------------------------------------------------

yaml_like = st.recursive(
    st.none() | st.booleans() | st.integers() | any_text,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["name", "turns", "say", "expect", "feedback", "restart"]) | any_text,
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@FUZZ
@given(text=any_text | control_text)
def test_dialogue_loader_on_random_text_raises_only_dialogue_errors(text: str) -> None:
    try:
        load_dialogue_text(text)
    except DialogueError as exc:
        assert exc.line >= 1 and str(exc).startswith("<string>:")


@FUZZ
@given(data=yaml_like)
def test_dialogue_loader_on_random_yaml_raises_only_dialogue_errors(data: Any) -> None:
    import yaml

    try:
        load_dialogue_text(yaml.safe_dump(data, allow_unicode=True))
    except DialogueError as exc:
        assert exc.line >= 1


@FUZZ
@given(raw=st.binary(max_size=500))
def test_dialogue_files_of_random_bytes_raise_only_dialogue_errors(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "random.yaml"
    path.write_bytes(raw)
    try:
        load_dialogue(path)
    except DialogueError as exc:
        assert str(exc).startswith(str(path))


def test_yaml_alias_bomb_is_refused_quickly() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    with pytest.raises(DialogueError):
        load_dialogue_text(bomb)


# --- the document loader -------------------------------------------------------------------------


def _assert_chunks_are_spans(text: str) -> None:
    chunks = chunk_text(text, "fuzz.md")
    assert len({c.id for c in chunks}) == len(chunks)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text and chunk.text.strip()
        assert chunk.source == "fuzz.md" and chunk.section


markdownish = st.lists(
    st.sampled_from(
        ["# ", "## ", "###### ", "####### ", "- ", "  - ", "1. ", "> ", "```", "\n", "\r\n", "\t"]
    )
    | any_text,
    max_size=40,
).map("".join)


@FUZZ
@given(text=markdownish | any_text | control_text)
def test_any_text_chunks_into_spans_of_itself(text: str) -> None:
    _assert_chunks_are_spans(text)


@FUZZ
@given(raw=st.binary(max_size=2000), suffix=st.sampled_from([".md", ".txt", ".pdf", ""]))
def test_documents_of_random_bytes_load_or_raise_document_error(
    tmp_path: Path, raw: bytes, suffix: str
) -> None:
    path = tmp_path / f"doc{suffix}"
    path.write_bytes(raw)
    try:
        text = read_document(path, max_bytes=1000)
    except DocumentError as exc:
        assert str(path) in str(exc)
    else:
        assert len(raw) <= 1000
        _assert_chunks_are_spans(text)


@pytest.mark.parametrize(
    "text",
    [
        "\n".join("#" * n + " level" for n in range(1, 1001)),  # 1,000 heading levels
        "".join("  " * n + "- item\n" for n in range(1000)),  # a list nested 1,000 deep
        "".join(">" * n + " quote\n" for n in range(1000)),  # quotes nested 1,000 deep
        "x" * 1_000_000,  # one huge line with no spaces
        ("word " * 200_000).strip(),  # one huge line with no sentence ends
        "Sentence. " * 100_000,  # a huge paragraph of tiny sentences
        "```\n" * 5000,  # fences opening and closing forever
        string.printable * 2000,
    ],
    ids=[
        "headings",
        "nested-list",
        "nested-quote",
        "huge-word",
        "huge-line",
        "tiny-sentences",
        "fences",
        "printable",
    ],
)
def test_deep_nesting_and_huge_lines_chunk_into_bounded_spans(text: str) -> None:
    from knowledge.loader import MAX_CHUNK_CHARS

    chunks = chunk_text(text, "fuzz.md")
    assert chunks
    assert all(len(c.text) <= MAX_CHUNK_CHARS for c in chunks)
    _assert_chunks_are_spans(text)
