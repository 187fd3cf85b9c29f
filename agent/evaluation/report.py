"""Reports of a suite run: JSON for machines, HTML for people, a rich table for the console.

All three show the same thing: which dialogues passed, and for each failed
expectation the reply that failed it.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from agent.evaluation.runner import DialogueResult, SuiteResult, TurnResult

__all__ = ["print_summary", "to_dict", "write_html", "write_json"]


def _turn_dict(turn: TurnResult) -> dict[str, Any]:
    data = asdict(turn)
    data["passed"] = turn.passed
    data["failures"] = [asdict(f) | {"message": str(f)} for f in turn.failures]
    return data


def _dialogue_dict(dialogue: DialogueResult) -> dict[str, Any]:
    return asdict(dialogue) | {
        "passed": dialogue.passed,
        "seconds": round(dialogue.seconds, 3),
        "turns": [_turn_dict(t) for t in dialogue.turns],
    }


def to_dict(suite: SuiteResult) -> dict[str, Any]:
    return {
        "llm": suite.llm,
        "dialogues_total": len(suite.dialogues),
        "dialogues_passed": suite.passed,
        "pass_rate": round(suite.pass_rate, 4),
        "seconds": round(suite.seconds, 3),
        "dialogues": [_dialogue_dict(d) for d in suite.dialogues],
    }


def write_json(suite: SuiteResult, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_dict(suite), indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return path


# --- HTML ---------------------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
h1{font-size:1.4rem} summary{cursor:pointer;font-weight:600;padding:.3rem 0}
.pass{color:#17692c} .fail{color:#b3261e}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem} td,th{border:1px solid #ccc;padding:.35rem;vertical-align:top;text-align:left}
pre{white-space:pre-wrap;margin:0;font-family:ui-monospace,monospace;font-size:.85rem}
.failures{color:#b3261e} .meta{color:#666;font-size:.85rem}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _asked(turn: TurnResult) -> str:
    """The turn's own part, as HTML: what was said, picked, rated or restarted."""
    if turn.kind == "say":
        return f"<b>{_e(turn.user)}:</b> {_e(turn.say)}"
    if turn.kind == "choose":
        picked = _e(turn.choice or "a choice that was not offered")
        sent = f"<br><span class='meta'>sends: {_e(turn.say)}</span>" if turn.say else ""
        return f"<b>{_e(turn.user)}</b> <i>picks</i> {picked}{sent}"
    if turn.kind == "feedback":
        return f"<i>feedback</i> {_e(json.dumps(turn.feedback, ensure_ascii=False))}"
    return "<i>restart the agent</i>"


def _offered(turn: TurnResult) -> str:
    """The choices a clarifying reply offered, numbered as a script's ``choose`` counts them."""
    if not turn.choices:
        return ""
    items = "".join(f"<li>{_e(c.get('label', ''))}</li>" for c in turn.choices)
    return f"<p class='meta'>choices offered:</p><ol>{items}</ol>"


def _turn_row(turn: TurnResult) -> str:
    asked = _asked(turn)
    tools = ", ".join(f"{_e(c['name'])}{'' if c.get('ok', True) else ' (failed)'}" for c in turn.tool_calls)
    cites = "<br>".join(_e(c.get("section", "")) for c in turn.citations)
    arts = "<br>".join(f"{_e(a.get('kind'))}: {_e(a.get('path'))}" for a in turn.artifacts)
    problems = [str(f) for f in turn.failures] + ([turn.error] if turn.error else [])
    failed = "".join(f"<li><pre>{_e(p)}</pre></li>" for p in problems)
    status = "pass" if turn.passed else "fail"
    return (
        f"<tr><td class='{status}'>{turn.index}</td><td>{asked}</td><td><pre>{_e(turn.text)}</pre>{_offered(turn)}</td>"
        f"<td>{tools}</td><td>{cites}</td><td>{arts}</td><td>{turn.seconds:.2f}</td>"
        f"<td class='failures'><ul>{failed}</ul></td></tr>"
    )


def _dialogue_block(dialogue: DialogueResult) -> str:
    status = "pass" if dialogue.passed else "fail"
    rows = "".join(_turn_row(t) for t in dialogue.turns)
    error = f"<pre class='failures'>{_e(dialogue.error)}</pre>" if dialogue.error else ""
    opened = "" if dialogue.passed else " open"
    return (
        f"<details{opened}><summary class='{status}'>{'PASS' if dialogue.passed else 'FAIL'} {_e(dialogue.name)}"
        f" <span class='meta'>{_e(dialogue.path)} · {dialogue.seconds:.1f} s</span></summary>{error}"
        "<table><tr><th>#</th><th>turn</th><th>reply</th><th>tools</th><th>citations</th><th>artifacts</th>"
        f"<th>s</th><th>failed expectations</th></tr>{rows}</table></details>"
    )


def render_html(suite: SuiteResult) -> str:
    blocks = "".join(_dialogue_block(d) for d in suite.dialogues)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>attentive eval report</title>"
        f"<style>{_STYLE}</style></head><body><h1>Evaluation: {suite.passed}/{len(suite.dialogues)} dialogues passed"
        f" ({suite.pass_rate:.0%})</h1><p class='meta'>llm: {_e(suite.llm or 'default')} · {suite.seconds:.1f} s"
        f"</p>{blocks}</body></html>\n"
    )


def write_html(suite: SuiteResult, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(suite), encoding="utf-8")
    return path


# --- console ------------------------------------------------------------------------------------------


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _said(turn: TurnResult) -> str:
    """The turn in one line for the console: the message, the picked choice, the feedback or the kind."""
    if turn.kind == "choose":
        return f"picks {turn.choice or 'a choice that was not offered'}"
    return turn.say or (json.dumps(turn.feedback) if turn.feedback else turn.kind)


def print_summary(suite: SuiteResult, console: Any = None) -> None:
    """A table of dialogues, then one row per failed expectation with the reply that failed it."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"Dialogues: {suite.passed}/{len(suite.dialogues)} passed in {suite.seconds:.1f} s")
    table.add_column("dialogue", overflow="fold")
    table.add_column("result")
    table.add_column("turns", justify="right")
    table.add_column("seconds", justify="right")
    for d in suite.dialogues:
        mark = "[green]pass[/green]" if d.passed else "[red]FAIL[/red]"
        table.add_row(escape(d.name), mark, str(len(d.turns)), f"{d.seconds:.1f}")
    console.print(table)

    failed = Table(title="Failed expectations", show_lines=True)
    failed.add_column("dialogue / turn", overflow="fold")
    failed.add_column("message", overflow="fold")
    failed.add_column("failed expectation", overflow="fold")
    failed.add_column("reply", overflow="fold")
    for d in suite.dialogues:
        if d.error:
            failed.add_row(escape(d.name), "", escape(d.error), "")
        for t in d.failed_turns:
            problems = [str(f) for f in t.failures] + ([t.error] if t.error else [])
            said = _said(t)
            cells = (f"{d.name} #{t.index}", _clip(said, 120), "\n".join(problems), _clip(t.text))
            failed.add_row(*(escape(cell) for cell in cells))
    if failed.row_count:
        console.print(failed)
