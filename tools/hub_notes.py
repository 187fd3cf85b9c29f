"""What the study notes say about the five Hub models, set against what the Hub says.

The notes' section "Generative AI > Explore Hugging Face Model Hub" has one bullet
per model (task, training data, sizes, developer). A learner gains most when a
lookup says where the Hub agrees with those notes and where it differs (GPT-2's
checkpoint counts 137M parameters, not the paper's 117M), with the bullet cited.
"""

from __future__ import annotations

from dataclasses import dataclass
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


NOTES: dict[str, NotesFacts] = {
    "GPT-2": NotesFacts(
        "GPT-2",
        "text-generation",
        (117e6, 345e6, 762e6, 1.5e9),
        "OpenAI",
        "WebText",
        ("**GPT-2:**", "There are four different model sizes", "Developed by **OpenAI**"),
    ),
    "GPT-Neo": NotesFacts(
        "GPT-Neo",
        "text-generation",
        (125e6, 1.3e9, 2.7e9),
        "EleutherAI",
        "The Pile",
        ("**GPT-Neo:**", "It was trained on **The Pile**", "There are three variants"),
    ),
    "Stable Diffusion v1.5": NotesFacts(
        "Stable Diffusion v1.5",
        "text-to-image",
        (900e6,),
        "Stability AI",
        "LAION-5B",
        (
            "**Stable Diffusion v1.5:**",
            "The model size is approximately **900M**",
            "Developed by **Stability AI**",
        ),
    ),
    "Llama 2": NotesFacts(
        "Llama 2",
        "text-generation",
        (7e9, 13e9, 70e9),
        "Meta AI",
        "publicly available and licensed data",
        ("**Llama 2:**", "There are three sizes", "Developed by **Meta AI**"),
    ),
    "Bark": NotesFacts(
        "Bark",
        "text-to-speech",
        (1e9, 2e9),
        "SunoAI",
        "text-audio pairs",
        ("**Bark:**", "Not officially disclosed, but estimated model size", "It is developed by **SunoAI**"),
    ),
}


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
