"""The dialogue loader: good files load, and a malformed one names the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.evaluation.checks import says_not_covered, word_count
from agent.evaluation.dialogues import DialogueError, load_dialogues

REPO = Path(__file__).resolve().parents[1]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> DialogueError:
    with pytest.raises(DialogueError) as caught:
        load_dialogues([path])
    return caught.value


def test_issue_example_loads_with_every_turn_kind(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "basics.yaml",
        """\
name: transformers-basics
user: learner-1
turns:
  - say: What is self-attention?
    expect:
      tool: search_notes
      cites: Self-Attention
      contains_any: [relevant, relationship]
      not_contains: [GPT-4]
      artifact: image
      max_words: 120
      max_seconds: 5
  - feedback: {score: -1, comment: "Too long, please be brief."}
  - restart: true
  - say: What is positional encoding?
    user: bob
    expect: {max_words: 60, tool: [search_notes, attention_demo], contains_all: one}
""",
    )
    (dialogue,) = load_dialogues([path])
    assert dialogue.name == "transformers-basics" and dialogue.user == "learner-1"
    assert [t.kind for t in dialogue.turns] == ["say", "feedback", "restart", "say"]
    first = dialogue.turns[0].expect
    assert first is not None and first.tool == "search_notes" and first.max_seconds == 5
    assert dialogue.turns[1].feedback is not None and dialogue.turns[1].feedback.score == -1
    last = dialogue.turns[3]
    assert last.user == "bob" and last.expect is not None
    assert last.expect.tool == ["search_notes", "attention_demo"]
    assert last.expect.contains_all == ["one"]  # a single string is read as a list of one
    assert dialogue.path == path


def test_unknown_key_names_file_line_key_and_the_allowed_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "typo.yaml",
        "name: typo\nturns:\n  - say: hi\n  - say: What is attention?\n    expect:\n      tool: search_notes\n      cite: Self-Attention\n",
    )
    error = error_of(path)
    assert (error.path, error.line, error.key) == (path, 7, "turns[1].expect.cite")
    assert str(path) in str(error) and ":7:" in str(error) and "cites" in str(error)


def test_wrong_type_names_the_value_line(tmp_path: Path) -> None:
    path = write(tmp_path, "types.yaml", "name: t\nturns:\n  - say: hi\n    expect:\n      max_words: many\n")
    error = error_of(path)
    assert (error.line, error.key) == (5, "turns[0].expect.max_words")
    assert "integer" in error.problem


def test_wrong_type_in_a_union_key_is_one_clear_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "union.yaml", "name: t\nturns:\n  - say: hi\n    expect: {tool: 5}\n")
    error = error_of(path)
    assert (error.line, error.key) == (4, "turns[0].expect.tool")
    assert "more problem" not in str(error)


def test_feedback_score_must_be_plus_or_minus_one(tmp_path: Path) -> None:
    path = write(tmp_path, "score.yaml", "name: s\nturns:\n  - say: hi\n  - feedback: {score: 2}\n")
    error = error_of(path)
    assert (error.line, error.key) == (4, "turns[1].feedback.score")


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "broken.yaml",
        "name: b\nturns:\n  - say: hi\n    expect: {tool: [search_notes\n  - say: x\n",
    )
    error = error_of(path)
    assert error.path == path and error.line >= 4
    assert "invalid YAML" in str(error)


def test_missing_name_and_a_turn_with_two_kinds(tmp_path: Path) -> None:
    missing = error_of(write(tmp_path, "a/noname.yaml", "turns:\n  - say: hi\n"))
    assert (missing.line, missing.key) == (1, "name") and "missing" in missing.problem
    both = error_of(
        write(
            tmp_path,
            "b/both.yaml",
            "name: x\nturns:\n  - say: hi\n  - say: again\n    feedback: {score: 1}\n",
        )
    )
    assert (both.line, both.key) == (4, "turns[1]") and "exactly one" in both.problem


def test_duplicate_keys_and_duplicate_names_are_refused(tmp_path: Path) -> None:
    dup = error_of(write(tmp_path, "a/dup.yaml", "name: x\nturns:\n  - say: hi\n    say: again\n"))
    assert (dup.line, dup.key) == (4, "turns[0].say") and "duplicate key" in dup.problem
    folder = tmp_path / "b"
    write(folder, "one.yaml", "name: same\nturns:\n  - say: hi\n")
    write(folder, "two.yml", "# a comment\nname: same\nturns:\n  - say: hi\n")
    error = error_of(folder)
    assert error.path == folder / "two.yml" and error.line == 2 and "duplicate dialogue name" in error.problem


def test_folders_are_searched_recursively_in_a_stable_order(tmp_path: Path) -> None:
    write(tmp_path, "z.yaml", "name: z\nturns:\n  - say: hi\n")
    write(tmp_path, "deep/er/a.yml", "name: a\nturns:\n  - say: hi\n")
    write(tmp_path, "notes.txt", "not a dialogue")
    assert [d.name for d in load_dialogues([tmp_path])] == ["a", "z"]


def test_not_a_mapping_and_not_utf8(tmp_path: Path) -> None:
    assert "mapping" in error_of(write(tmp_path, "list.yaml", "- say: hi\n")).problem
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"name: \xff\xfe\n")
    assert "UTF-8" in error_of(binary).problem


def test_project_dialogues_load_and_cover_every_tool() -> None:
    dialogues = load_dialogues([REPO / "dialogues"])
    assert len(dialogues) >= 25
    tools: set[str] = set()
    for dialogue in dialogues:
        for turn in dialogue.turns:
            if turn.expect is not None:
                tool = turn.expect.tool
                tools.update([tool] if isinstance(tool, str) else tool or [])
                tools.update(turn.expect.all_tools or [])
    assert tools >= {
        "search_notes", "attention_demo", "positional_encoding_demo", "training_demo", "online_learning_demo",
        "hub_lookup", "generate_text", "generate_image", "generate_audio",
    }  # fmt: skip


def test_word_count_ignores_citation_markers_and_not_covered_reads_meaning() -> None:
    assert word_count("Attention relates tokens [1]. It runs in parallel [2] — fast.") == 8
    assert says_not_covered("Your notes don't cover the capital of France.")
    assert says_not_covered("This is not covered in the notes.")
    assert not says_not_covered("Positional encoding adds position values to embeddings [1].")


def test_choose_turns_pick_by_number_or_label_and_may_expect(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "choose.yaml",
        """\
name: choose
turns:
  - say: neural network training
    expect: {choices: true}
  - choose: 2
    expect: {tool: search_notes, choices: false}
  - say: bark
  - choose: Say it out loud
""",
    )
    (dialogue,) = load_dialogues([path])
    assert [t.kind for t in dialogue.turns] == ["say", "choose", "say", "choose"]
    first, picked, _, by_label = dialogue.turns
    assert first.expect is not None and first.expect.choices is True
    assert picked.choose == 2 and picked.expect is not None and picked.expect.choices is False
    assert by_label.choose == "Say it out loud"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("0", "counts from 1"),
        ("-1", "counts from 1"),
        ("true", "number (1, 2, ...) or its label"),
        ("1.5", "number (1, 2, ...) or its label"),
        ("[1, 2]", "number (1, 2, ...) or its label"),
        ("''", "must not be empty"),
    ],
)
def test_choose_must_be_a_number_from_one_or_a_label(tmp_path: Path, value: str, words: str) -> None:
    path = write(tmp_path, "bad.yaml", f"name: b\nturns:\n  - say: bark\n  - choose: {value}\n")
    error = error_of(path)
    assert (error.line, error.key) == (4, "turns[1].choose")
    assert words in error.problem and "more problem" not in str(error)


def test_choose_needs_an_earlier_reply_and_a_turn_of_its_own(tmp_path: Path) -> None:
    first = error_of(write(tmp_path, "a/first.yaml", "name: f\nturns:\n  - choose: 1\n  - say: hi\n"))
    assert first.line == 1  # a dialogue-wide rule: pydantic names no key, so the file's first line
    assert "first turn cannot be choose" in first.problem
    both = error_of(
        write(tmp_path, "b/both.yaml", "name: x\nturns:\n  - say: hi\n  - {say: again, choose: 1}\n")
    )
    assert (both.line, both.key) == (4, "turns[1]")
    assert "exactly one of say, choose, feedback, restart" in both.problem
    rated = error_of(
        write(
            tmp_path,
            "c/rated.yaml",
            "name: r\nturns:\n  - say: hi\n  - feedback: {score: 1}\n    expect: {}\n",
        )
    )
    assert "expect belongs to a say or choose turn" in rated.problem


def test_choices_expectation_is_true_or_false(tmp_path: Path) -> None:
    error = error_of(
        write(tmp_path, "c.yaml", "name: c\nturns:\n  - say: hi\n    expect: {choices: maybe}\n")
    )
    assert (error.line, error.key) == (4, "turns[0].expect.choices") and "boolean" in error.problem


def test_choices_check_says_what_was_offered() -> None:
    from types import SimpleNamespace

    from agent.evaluation.checks import check_reply
    from agent.evaluation.dialogues import Expect
    from agent.types import Choice, Reply

    offered = [Choice("Explain it from my notes", "m1", "search_notes"), Choice("Say it out loud", "m2", "x")]
    asking = Reply("r-1", "Pick one below.", choices=offered)
    answering = Reply("r-2", "Bark is a speech model.")
    assert check_reply(Expect(choices=True), asking, 0.1) == []
    assert check_reply(Expect(choices=False), answering, 0.1) == []
    (failure,) = check_reply(Expect(choices=False), asking, 0.1)
    assert failure.key == "choices" and failure.actual == "1. Explain it from my notes; 2. Say it out loud"
    (failure,) = check_reply(
        Expect(choices=True), SimpleNamespace(**{**vars(answering), "choices": None}), 0.1
    )
    assert failure.expected == "a clarifying question with choices" and failure.actual == "no choices"


def test_eval_schema_is_the_dialogue_models_json_schema_and_accepts_every_dialogue() -> None:
    import json

    import jsonschema
    import yaml
    from typer.testing import CliRunner

    from agent.cli.main import app

    result = CliRunner().invoke(app, ["eval", "--schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert {"name", "turns"} <= set(schema["properties"])
    folder = Path(__file__).resolve().parents[1] / "dialogues"
    for path in sorted(folder.glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "turns": [{"say": "hi", "shout": True}]}, schema)
