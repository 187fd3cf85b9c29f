"""Finding a message the router currently answers with a clarifying question.

Which messages are too close to call moves whenever the intent model's phrases change, so tests
never hard-code one: they take the first of these candidates that asks, and fail clearly if none does.
"""

from __future__ import annotations

from typing import Any

import pytest

CLARIFY_CANDIDATES = (
    "neural network training",
    "who made bark",
    "bark",
    "gpt2",
    "online learning versus batch learning",
    "explain backprop or show it",
    "concept drift",
    "backpropagation",
)


def clarifying(agent: Any) -> tuple[str, list[Any]]:
    """A message the agent's router asks about, with the choices it offers."""
    for message in CLARIFY_CANDIDATES:
        decision = agent.router.decide(message)
        if decision.intent == "clarify":
            return message, list(decision.choices)
    pytest.fail(f"none of {CLARIFY_CANDIDATES} gets a clarifying question any more; add one that does")


def clarifying_message(agent: Any) -> str:
    return clarifying(agent)[0]
