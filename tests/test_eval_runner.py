"""`attentive eval` end to end with the real agent: failures are reported with the reply that failed them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from agent.cli.evaluate import register
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
    app = typer.Typer()
    register(app)
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
