"""Every scripted dialogue in dialogues/ passes against the real agent: one test per file.

Each dialogue is its own pytest item, named by its file (``-k small-talk`` runs one, ``--junitxml``
lists each), so one failure never hides the others.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.evaluation.dialogues import find_dialogue_files, load_dialogue
from agent.evaluation.runner import default_factory, run_dialogue

DIALOGUES = find_dialogue_files([Path(__file__).resolve().parents[1] / "dialogues"])


def test_the_dialogue_suite_covers_what_users_do() -> None:
    names = {path.stem for path in DIALOGUES}
    assert len(names) >= 40
    assert {"small-talk", "notes-overview", "clarifying-choice", "absent-concept"} <= names


@pytest.mark.slow
@pytest.mark.parametrize("path", DIALOGUES, ids=[path.stem for path in DIALOGUES])
def test_dialogue_passes(path: Path, tmp_path: Path) -> None:
    result = run_dialogue(load_dialogue(path), default_factory(), tmp_path / "home")
    problems = [
        f"#{t.index} ({t.say or t.kind}): "
        + "; ".join([str(f) for f in t.failures] + ([t.error] if t.error else []))
        + f"\n    reply: {t.text[:300]!r}"
        for t in result.failed_turns
    ] + ([result.error] if result.error else [])
    assert not problems, f"{path.name}: {len(problems)} failed turn(s):\n" + "\n".join(problems)
