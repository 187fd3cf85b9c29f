"""Every scripted dialogue in dialogues/ passes against the real agent (CI runs them all)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.evaluation.dialogues import load_dialogues
from agent.evaluation.runner import run_dialogues

DIALOGUES = Path(__file__).resolve().parents[1] / "dialogues"


@pytest.mark.slow
def test_every_dialogue_passes() -> None:
    suite = run_dialogues(load_dialogues([DIALOGUES]))
    problems = [
        f"{d.name} #{t.index} ({t.say or t.kind}): "
        + "; ".join([str(f) for f in t.failures] + ([t.error] if t.error else []))
        + f"\n    reply: {t.text[:300]!r}"
        for d in suite.dialogues
        for t in d.failed_turns
    ] + [f"{d.name}: {d.error}" for d in suite.dialogues if d.error]
    assert not problems, f"{len(problems)} failed turn(s):\n" + "\n".join(problems)
