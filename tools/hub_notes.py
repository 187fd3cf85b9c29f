"""What the study notes say about the five Hub models, set against what the Hub says.

The notes' section "Generative AI > Explore Hugging Face Model Hub" has one bullet
per model (task, training data, sizes, developer). A learner gains most when a
lookup says where the Hub agrees with those notes and where it differs (GPT-2's
checkpoint counts 137M parameters, not the paper's 117M), with the bullet cited.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from knowledge.types import Citation
from tools.hub_env import human_count

SECTION = "Explore Hugging Face Model Hub"


@dataclass(frozen=True)
class NotesFacts:
    bullet: str
    task: str  # the Hub pipeline tag matching "takes in X and generates Y"
    sizes: tuple[float, ...]  # parameter counts the notes state
    developer: str
    dataset: str
    phrases: tuple[str, ...]  # phrases cited from the bullet


def _load_notes() -> dict[str, NotesFacts]:
    """The bullets as data (``tools/data/hub_notes.json``), keyed by the bullet's model name."""
    from pydantic import TypeAdapter

    raw = resources.files("tools").joinpath("data/hub_notes.json").read_text(encoding="utf-8")
    return {facts.bullet: facts for facts in TypeAdapter(list[NotesFacts]).validate_json(raw)}


NOTES: dict[str, NotesFacts] = _load_notes()


def cite(phrase: str) -> Citation:
    from tools.notes_refs import cite_notes

    return cite_notes(SECTION, phrase)


def relate(facts: dict[str, Any]) -> tuple[list[str], list[Citation]]:
    """Sentences comparing a model record with its notes bullet, and the citations behind them."""
    bullet = facts.get("notes_bullet")
    notes = NOTES.get(bullet) if bullet else None
    if notes is None:
        return [], []
    lines: list[str] = []
    tag = facts.get("pipeline_tag")
    if tag:
        agree = "agrees with" if tag == notes.task else "differs from"
        lines.append(f"Task: the Hub tags it `{tag}`, which {agree} the notes (`{notes.task}`).")
    params = facts.get("parameters")
    if params:
        nearest = min(notes.sizes, key=lambda s: abs(s - params))
        gap = (params - nearest) / nearest
        stated = ", ".join(human_count(s) for s in notes.sizes)
        if abs(gap) <= 0.05:
            lines.append(
                f"Size: {human_count(params)} parameters matches the notes' {human_count(nearest)} (notes list: {stated})."
            )
        else:
            lines.append(
                f"Size: {human_count(params)} parameters vs the notes' nearest {human_count(nearest)} "
                f"({gap:+.0%}; notes list: {stated})."
            )
    lines.append(
        f"The notes credit {notes.developer} and training data {notes.dataset}; the Hub author is {facts.get('author') or 'unknown'}."
    )
    citations: list[Citation] = []
    for phrase in notes.phrases:
        try:
            citations.append(cite(phrase))
        except KeyError:  # the notes were edited; relate without quoting
            continue
    return lines, citations
