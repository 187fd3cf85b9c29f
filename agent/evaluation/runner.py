"""Running dialogues against the real agent, each in a fresh data home.

A fresh home per dialogue means no dialogue can pass because of what another
one taught the agent. Models are cached at module level by the agent, so the
second Agent built in one process is cheap and the suite stays fast.
"""

from __future__ import annotations

import contextlib
import gc
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.evaluation.checks import Failure, check_reply, choices_text
from agent.evaluation.dialogues import Dialogue, Turn

__all__ = ["DialogueResult", "SuiteResult", "TurnResult", "pick_choice", "run_dialogue", "run_dialogues"]

AgentFactory = Callable[[Path], Any]


@dataclass
class TurnResult:
    """What one turn did; ``failures`` is empty when every expectation held."""

    index: int
    kind: str
    say: str = ""
    user: str = ""
    text: str = ""
    reply_id: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    choices: list[dict[str, Any]] = field(default_factory=list)  # what the reply offered to pick from
    choice: str = ""  # for a choose turn: the picked choice, "2. Explain it from my notes"
    seconds: float = 0.0
    feedback: dict[str, Any] | None = None
    failures: list[Failure] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None


@dataclass
class DialogueResult:
    name: str
    path: str
    user: str
    turns: list[TurnResult] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(turn.passed for turn in self.turns)

    @property
    def failed_turns(self) -> list[TurnResult]:
        return [turn for turn in self.turns if not turn.passed]


@dataclass
class SuiteResult:
    dialogues: list[DialogueResult]
    seconds: float
    llm: str | None = None

    @property
    def passed(self) -> int:
        return sum(1 for d in self.dialogues if d.passed)

    @property
    def pass_rate(self) -> float:
        return self.passed / len(self.dialogues) if self.dialogues else 0.0


def default_factory(llm: str | None = None) -> AgentFactory:
    """Build the real Agent; the import waits until a dialogue runs so the CLI stays instant."""

    def build(home: Path) -> Any:
        from agent import Agent

        return Agent(home=home, llm=llm) if llm else Agent(home=home)

    return build


def _close(agent: Any) -> None:
    close = getattr(agent, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):
            close()


def _error_text(exc: BaseException) -> str:
    where = "".join(traceback.format_tb(exc.__traceback__, limit=-2))
    return f"{type(exc).__name__}: {exc}\n{where}"


def _record(result: TurnResult, turn: Turn, reply: Any, seconds: float) -> Any:
    """Keep what the reply showed, and check it against the turn's expectations."""
    result.seconds = seconds
    result.text = reply.text
    result.reply_id = reply.id
    result.tool_calls = [call.to_dict() for call in reply.tool_calls]
    result.citations = [citation.to_dict() for citation in reply.citations]
    result.artifacts = [artifact.to_dict() for artifact in reply.artifacts]
    result.choices = [choice.to_dict() for choice in getattr(reply, "choices", None) or []]
    result.failures = check_reply(turn.expect, reply, seconds)
    return reply


def _say(agent: Any, dialogue: Dialogue, turn: Turn, result: TurnResult) -> Any:
    user = turn.user or dialogue.user
    result.say, result.user = turn.say or "", user
    started = time.perf_counter()
    reply = agent.chat(turn.say, user=user, session=turn.session or dialogue.session)
    return _record(result, turn, reply, time.perf_counter() - started)


def pick_choice(choices: list[Any], wanted: int | str) -> tuple[int | None, Failure | None]:
    """The 0-based index of the choice a script names (its number from 1, or its label), or why none fits.

    A label matches exactly (ignoring case) or, failing that, as the only label containing it.
    """
    if not choices:
        return None, Failure("choose", "a previous reply that offered choices", "a reply without choices")
    offered = choices_text(choices)
    if isinstance(wanted, int):
        if wanted > len(choices):
            return None, Failure("choose", f"choice {wanted}", f"only {len(choices)} offered: {offered}")
        return wanted - 1, None
    labels = [str(getattr(c, "label", "")).casefold() for c in choices]
    key = wanted.strip().casefold()
    found = [i for i, label in enumerate(labels) if label == key] or [
        i for i, label in enumerate(labels) if key in label
    ]
    if len(found) != 1:
        how = "no choice" if not found else f"{len(found)} choices"
        return None, Failure("choose", f"one choice labelled {wanted!r}", f"{how} match: {offered}")
    return found[0], None


def _choose(agent: Any, dialogue: Dialogue, turn: Turn, result: TurnResult, previous: Any) -> Any:
    """Pick a choice of the previous reply as a user clicking it would; returns the new last reply."""
    assert turn.choose is not None
    result.user = turn.user or dialogue.user
    if previous is None:
        raise RuntimeError("choose with no earlier reply")
    choices = list(getattr(previous, "choices", None) or [])
    index, failure = pick_choice(choices, turn.choose)
    if index is None:
        assert failure is not None
        result.failures = [failure]
        return previous
    result.choice = f"{index + 1}. {choices[index].label}"
    result.say = choices[index].message
    started = time.perf_counter()
    reply = agent.choose(previous.id, index, user=result.user, session=turn.session)
    return _record(result, turn, reply, time.perf_counter() - started)


def run_dialogue(dialogue: Dialogue, factory: AgentFactory, home: Path) -> DialogueResult:
    """Play one dialogue in ``home``; an exception ends it and is reported, never raised."""
    result = DialogueResult(dialogue.name, str(dialogue.path or ""), dialogue.user)
    started = time.perf_counter()
    agent: Any = None
    last_reply: Any = None
    try:
        agent = factory(home)
        for index, turn in enumerate(dialogue.turns):
            turn_result = TurnResult(index=index, kind=turn.kind)
            result.turns.append(turn_result)
            try:
                if turn.kind == "say":
                    last_reply = _say(agent, dialogue, turn, turn_result)
                elif turn.kind == "choose":
                    last_reply = _choose(agent, dialogue, turn, turn_result, last_reply)
                elif turn.kind == "feedback":
                    assert turn.feedback is not None
                    turn_result.feedback = turn.feedback.model_dump()
                    if last_reply is None:
                        raise RuntimeError("feedback with no earlier reply")
                    turn_result.reply_id = last_reply.id
                    tick = time.perf_counter()
                    fb = turn.feedback
                    agent.feedback(
                        last_reply.id, score=fb.score, comment=fb.comment, correction=fb.correction
                    )
                    turn_result.seconds = time.perf_counter() - tick
                else:
                    _close(agent)
                    tick = time.perf_counter()
                    agent = factory(home)
                    turn_result.seconds = time.perf_counter() - tick
            except Exception as exc:  # a crash is a result to report, not a reason to stop the suite
                turn_result.error = _error_text(exc)
                break
    except Exception as exc:
        result.error = _error_text(exc)
    finally:
        if agent is not None:
            _close(agent)
        agent = last_reply = None
        gc.collect()  # let the agent's stores and connections go before its home is deleted
    result.seconds = time.perf_counter() - started
    return result


def run_dialogues(
    dialogues: Iterable[Dialogue],
    llm: str | None = None,
    factory: AgentFactory | None = None,
    keep_homes: Path | None = None,
    on_result: Callable[[DialogueResult], None] | None = None,
) -> SuiteResult:
    """Run each dialogue in its own fresh data home (kept under ``keep_homes`` when given)."""
    build = factory or default_factory(llm)
    results: list[DialogueResult] = []
    started = time.perf_counter()
    for dialogue in dialogues:
        if keep_homes is not None:
            home = Path(keep_homes) / dialogue.name
            shutil.rmtree(home, ignore_errors=True)  # fresh, even when kept from an earlier run
            home.mkdir(parents=True, exist_ok=True)
            result = run_dialogue(dialogue, build, home)
        else:
            with tempfile.TemporaryDirectory(
                prefix=f"attentive-eval-{dialogue.name[:30]}-", ignore_cleanup_errors=True
            ) as tmp:
                result = run_dialogue(dialogue, build, Path(tmp))
        results.append(result)
        if on_result is not None:
            on_result(result)
    return SuiteResult(results, time.perf_counter() - started, llm)
