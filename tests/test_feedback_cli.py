"""`feedback export|reset|promote` through typer's CliRunner on a data home with real events."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from agent.cli.feedback import register
from agent.feedback import AnswerStyle, FeedbackService


def _no_embed(texts: list[str]) -> np.ndarray:
    raise AssertionError("these events carry no corrections or citations, so nothing is embedded")


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """attentive (test harness)"""

    register(root)
    return root


@pytest.fixture
def home(tmp_path: Path) -> Path:
    svc = FeedbackService(tmp_path, embed=_no_embed)
    for user, score, comment in [("alice", -1, "too long"), ("bob", 1, None), ("alice", 1, "thanks")]:
        reply_id = f"{user}-{score}"
        svc.remember_reply(
            reply_id, user, "s1", "What is attention?", "One. Two. Three. Four. Five.", "detailed"
        )
        svc.feedback(reply_id, score, comment=comment)
    svc.close()
    return tmp_path


runner = CliRunner()


def test_export_writes_one_json_line_per_event_to_stdout(app, home) -> None:
    result = runner.invoke(app, ["feedback", "export", "--home", str(home)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["event_id"], r["user"], r["score"], r["comment"]) for r in rows] == [
        (1, "alice", -1, "too long"),
        (2, "bob", 1, None),
        (3, "alice", 1, "thanks"),
    ]


def test_export_to_a_file(app, home, tmp_path) -> None:
    out = tmp_path / "events.jsonl"
    result = runner.invoke(app, ["feedback", "export", "--home", str(home), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 3


def test_data_home_comes_from_settings_when_not_given(app, home, monkeypatch) -> None:
    monkeypatch.setenv("ATTENTIVE_HOME", str(home))
    result = runner.invoke(app, ["feedback", "export"])
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 3


def test_reset_forgets_one_user_only(app, home) -> None:
    result = runner.invoke(app, ["feedback", "reset", "--user", "alice", "--home", str(home), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["deleted"]["events"] == 2
    svc = FeedbackService(home, embed=_no_embed)
    assert [e.user for e in svc.store.events()] == ["bob"]
    assert svc.style_for("alice") == AnswerStyle("detailed", 5, False)
    svc.close()


def test_reset_of_the_reserved_global_user_is_refused(app, home) -> None:
    result = runner.invoke(app, ["feedback", "reset", "--user", "*", "--home", str(home)])
    assert result.exit_code != 0
    assert "reserved" in result.output


def test_promote_makes_an_events_preference_apply_to_new_users(app, home) -> None:
    before = FeedbackService(home, embed=_no_embed)
    assert before.style_for("carol").detail == "detailed"
    before.close()

    result = runner.invoke(app, ["feedback", "promote", "1", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "promoted event 1" in result.stdout

    after = FeedbackService(home, embed=_no_embed)
    assert after.store.get_event(1).promoted
    assert after.style_for("carol").detail == "brief"  # alice's "too long", now global
    after.close()


def test_promote_of_an_unknown_event_fails_with_a_clear_message(app, home) -> None:
    result = runner.invoke(app, ["feedback", "promote", "42", "--home", str(home)])
    assert result.exit_code != 0
    assert "unknown feedback event id 42" in result.output
