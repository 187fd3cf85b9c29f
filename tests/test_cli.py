"""The command line: every entry point, tested like code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from clarifying import clarifying
from typer.testing import CliRunner

from agent.cli.main import app

runner = CliRunner()
HEAVY = (
    "torch",
    "transformers",
    "gradio",
    "diffusers",
    "chromadb",
    "langchain",
    "sentence_transformers",
    "llama_cpp",
)


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys; from agent.cli.main import app; "
        "from typer.testing import CliRunner; r = CliRunner().invoke(app, ['--help']); "
        f"print(r.exit_code, [m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "0 []"


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ask", "chat", "index", "forget", "ui", "eval", "feedback"):
        assert command in result.output


def test_ask_prints_a_cited_answer_as_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ask", "What is positional encoding?", "--json", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # stderr may carry model-loading progress bars
    assert data["citations"] and "Positional Encoding" in data["citations"][0]["section"]
    assert data["tool_calls"][0]["name"] == "search_notes"


def test_index_then_forget(tmp_path: Path) -> None:
    doc = tmp_path / "extra.md"
    doc.write_text("# Extra\nDropout randomly zeroes activations during training.\n", encoding="utf-8")
    home = str(tmp_path / "home")
    result = runner.invoke(app, ["index", str(doc), "--home", home])
    assert result.exit_code == 0 and "added 1" in result.output
    result = runner.invoke(app, ["index", str(doc), "--home", home])
    assert "added 0, updated 0, unchanged 1" in result.output
    result = runner.invoke(app, ["forget", "extra.md", "--home", home])
    assert result.exit_code == 0 and "removed 1" in result.output
    result = runner.invoke(app, ["forget", "extra.md", "--home", home])
    assert result.exit_code == 1 and "no source named" in result.output


def test_index_names_a_bad_file_and_exits_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"\xff\xfe")
    result = runner.invoke(app, ["index", str(bad), "--home", str(tmp_path / "home")])
    assert result.exit_code == 1
    assert "bad.md" in result.output and "UTF-8" in result.output


@pytest.mark.slow
def test_chat_takes_feedback_commands(tmp_path: Path) -> None:
    script = "What is self-attention?\n/bad too long\n/correct Attention weighs tokens by relevance.\n/bogus\n/quit\n"
    result = runner.invoke(app, ["chat", "--home", str(tmp_path), "--user", "cli-user"], input=script)
    assert result.exit_code == 0, result.output
    assert result.output.count("Feedback recorded.") == 2
    assert "Commands:" in result.output


# --- clarifying questions ---------------------------------------------------------------------------------


def test_only_a_bare_number_of_a_shown_choice_picks_it() -> None:
    from agent.cli.conversation import picked_choice
    from agent.types import Choice, Reply

    asking = Reply("r-1", "Pick one below.", choices=[Choice("A", "a", "x"), Choice("B", "b", "y")])
    assert picked_choice("1", asking) == 0 and picked_choice("2", asking) == 1
    for typed in ("0", "3", "1 layer", "²", "-1", ""):
        assert picked_choice(typed, asking) is None, typed
    assert picked_choice("1", Reply("r-2", "An answer.")) is None and picked_choice("1", None) is None


@pytest.mark.slow
def test_chat_numbers_the_choices_and_a_number_picks_one(shared_agent: object, tmp_path: Path) -> None:
    from agent import Agent

    message, choices = clarifying(shared_agent)
    script = f"{message}\n1\n/quit\n"
    result = runner.invoke(app, ["chat", "--home", str(tmp_path), "--user", "cli-picker"], input=script)
    assert result.exit_code == 0, result.output
    for number, choice in enumerate(choices, 1):
        assert f"\n{number}. {choice.label}\n" in result.output
    assert "Type a choice's number to pick it." in result.output
    # "1" was a pick of the first choice, not a message: it is stored, and a new agent routes by it
    again = Agent(home=tmp_path)
    routes = again.feedback_service.store.routes("cli-picker")
    assert (choices[0].message, choices[0].intent, "cli-picker") in routes
    assert again.router.decide(message, user="cli-picker").intent == again.router.family(choices[0].intent)


@pytest.mark.slow
def test_a_choice_of_another_users_reply_is_refused_in_the_cli(
    shared_agent: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from agent.cli.conversation import answer_choice

    message, _ = clarifying(shared_agent)
    alices = shared_agent.chat(message, user="cli-alice", session="s")  # type: ignore[attr-defined]
    assert answer_choice(shared_agent, alices, 0, "cli-mallory", "s") is None  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert out.startswith("Choice not taken: ") and "cli-mallory" in out and "Traceback" not in out
