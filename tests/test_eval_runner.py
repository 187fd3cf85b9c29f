"""`attentive eval` end to end with the real agent: failures are reported with the reply that failed them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from clarifying import clarifying
from typer.testing import CliRunner

from agent.evaluation.dialogues import load_dialogues
from agent.evaluation.runner import default_factory, run_dialogues

GOOD = """\
name: good-attention
turns:
  - say: What does <b>self-attention</b> tell the model?
    expect:
      tool: search_notes
      cites: Self-Attention
      contains_any: [relevant, relationship]
"""
BAD = """\
name: bad-expectation
turns:
  - say: What is positional encoding?
    expect:
      cites: Positional Encoding
      contains_all: [zebra-quokka-banana]
  - feedback: {score: -1, comment: "Too long, please be brief."}
"""


@pytest.fixture(scope="module")
def suite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dialogues")
    (folder / "good.yaml").write_text(GOOD, encoding="utf-8")
    (folder / "nested").mkdir()
    (folder / "nested" / "bad.yml").write_text(BAD, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    from agent.cli.main import app

    return app


@pytest.fixture(scope="module")
def cli_run(app: typer.Typer, suite_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("reports")
    report, html = out / "report.json", out / "report.html"
    args = ["eval", str(suite_dir), "--report", str(report), "--html", str(html)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "250"})  # wide enough to keep the words whole
    return {"result": result, "report": report, "html": html}


def test_below_min_pass_exits_non_zero_and_reports_the_failing_reply(cli_run: dict[str, Any]) -> None:
    result = cli_run["result"]
    assert result.exit_code == 1, result.output
    data = json.loads(cli_run["report"].read_text(encoding="utf-8"))
    assert (data["dialogues_total"], data["dialogues_passed"], data["pass_rate"]) == (2, 1, 0.5)
    by_name = {d["name"]: d for d in data["dialogues"]}

    good = by_name["good-attention"]
    assert good["passed"], good
    turn = good["turns"][0]
    assert "search_notes" in [call["name"] for call in turn["tool_calls"]]
    assert any("Self-Attention" in c["section"] for c in turn["citations"])
    assert turn["text"].strip() and turn["seconds"] > 0

    bad = by_name["bad-expectation"]
    assert not bad["passed"]
    asked, feedback = bad["turns"]
    assert [f["key"] for f in asked["failures"]] == ["contains_all"]  # the real expectations held
    assert "zebra-quokka-banana" in asked["failures"][0]["message"]
    assert asked["text"].strip()
    assert feedback["kind"] == "feedback" and feedback["passed"] and feedback["reply_id"] == asked["reply_id"]
    # the console table shows the failed expectation next to the reply that failed it
    assert "bad-expectation" in result.output and "zebra-quokka-banana" in result.output
    assert asked["text"].split()[0] in result.output


def test_html_report_is_self_contained_and_escaped(cli_run: dict[str, Any]) -> None:
    page = cli_run["html"].read_text(encoding="utf-8")
    assert (
        page.startswith("<!doctype html>") and "<script" not in page and "http" not in page.split("<body>")[0]
    )
    assert "What does &lt;b&gt;self-attention&lt;/b&gt;" in page and "<b>self-attention</b>" not in page
    assert "FAIL bad-expectation" in page and "PASS good-attention" in page


def test_min_pass_at_the_pass_rate_exits_zero(app: typer.Typer, suite_dir: Path) -> None:
    result = CliRunner().invoke(app, ["eval", str(suite_dir / "good.yaml"), "--min-pass", "1.0"])
    assert result.exit_code == 0, result.output


def test_malformed_file_exits_2_with_file_line_and_key(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(
        "name: t\nturns:\n  - say: hi\n    expect: {tool: search_notes, citez: x}\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["eval", str(path)])
    assert result.exit_code == 2
    flat = "".join(result.output.split())  # rich may wrap a long path
    assert f"{path}:4:" in flat and "turns[0].expect.citez" in flat


def test_each_dialogue_gets_a_fresh_home_that_is_removed_after(suite_dir: Path) -> None:
    homes: list[Path] = []
    build = default_factory()

    def factory(home: Path) -> Any:
        homes.append(home)
        return build(home)

    suite = run_dialogues(load_dialogues([suite_dir]), factory=factory)
    assert len(homes) == 2 and homes[0] != homes[1]
    assert not any(home.exists() for home in homes)
    assert [d.passed for d in suite.dialogues] == [True, False]


# --- clarifying questions: choose turns ------------------------------------------------------------------


def test_pick_choice_takes_a_number_or_a_label_and_says_why_not() -> None:
    from agent.evaluation.runner import pick_choice
    from agent.types import Choice

    offered = [Choice("Explain it from my notes", "m1", "search_notes"), Choice("Say it out loud", "m2", "a")]
    assert pick_choice(offered, 2) == (1, None)
    assert pick_choice(offered, "say it out loud") == (1, None)
    assert pick_choice(offered, "notes") == (0, None)  # the only label containing it
    index, failure = pick_choice(offered, 3)
    assert index is None and failure is not None and failure.key == "choose"
    assert failure.actual == "only 2 offered: 1. Explain it from my notes; 2. Say it out loud"
    _, failure = pick_choice(offered, "it")  # in both labels: which one is meant?
    assert failure is not None and "2 choices match" in failure.actual
    _, failure = pick_choice([], 1)
    assert failure is not None and failure.actual == "a reply without choices"


@pytest.fixture(scope="module")
def clarified(shared_agent: Any) -> tuple[str, int, str]:
    """A message the router asks about now, the number of a choice that names a tool, and that tool."""
    tools = {d.name for d in shared_agent.declarations}
    message, choices = clarifying(shared_agent)
    number = next(i for i, c in enumerate(choices, 1) if c.intent in tools)
    return message, number, choices[number - 1].intent


@pytest.mark.slow
def test_choose_runs_the_picked_intent_and_reports_what_it_cannot_pick(
    clarified: tuple[str, int, str], tmp_path: Path
) -> None:
    from agent.evaluation.dialogues import load_dialogue_text
    from agent.evaluation.report import render_html, to_dict

    message, number, tool = clarified
    picks = load_dialogue_text(
        f"""\
name: picks
turns:
  - say: {message}
    expect: {{choices: true, no_citations: true}}
  - choose: {number}
    expect: {{tool: {tool}, choices: false}}
  - choose: 1
  - say: {message}
    expect: {{choices: true}}
  - choose: 3
""",
        tmp_path / "picks.yaml",
    )
    suite = run_dialogues([picks])
    (result,) = suite.dialogues
    asked, picked, again, learned, too_far = result.turns
    assert asked.passed and asked.choices and len(asked.choices) == 2, asked
    assert picked.passed, picked
    assert picked.choice == f"{number}. {asked.choices[number - 1]['label']}"
    assert picked.say == asked.choices[number - 1]["message"]
    assert tool in [call["name"] for call in picked.tool_calls]
    assert [f.key for f in again.failures] == ["choose"] and again.error is None
    assert again.failures[0].actual == "a reply without choices"
    # the pick taught the router: the same message is not asked about again, so `choose: 3` has nothing
    assert [f.key for f in learned.failures] == ["choices"]
    assert [f.key for f in too_far.failures] == ["choose"]
    data = to_dict(suite)["dialogues"][0]["turns"][1]
    assert data["kind"] == "choose" and data["choice"] == picked.choice and data["passed"]
    assert "<i>picks</i>" in render_html(suite) and "choices offered:" in render_html(suite)


@pytest.mark.slow
def test_choose_past_the_offered_choices_fails_clearly(
    clarified: tuple[str, int, str], tmp_path: Path
) -> None:
    from agent.evaluation.dialogues import load_dialogue_text

    message, _, _ = clarified
    text = f"name: too-far\nturns:\n  - say: {message}\n  - choose: 3\n  - choose: Nothing like this\n"
    (result,) = run_dialogues([load_dialogue_text(text, tmp_path / "too-far.yaml")]).dialogues
    _, three, unknown = result.turns
    assert [str(f) for f in three.failures] == [
        f"choose: expected choice 3; got only 2 offered: {_labels(result.turns[0].choices)}"
    ]
    assert unknown.failures and "no choice match" in unknown.failures[0].actual
    assert not result.passed and result.error is None


def _labels(choices: list[dict[str, Any]]) -> str:
    return "; ".join(f"{n}. {c['label']}" for n, c in enumerate(choices, 1))
