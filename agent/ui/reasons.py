"""Feedback on an answer, as the chat page collects it and as the feedback service reads it.

Under every answer the chatbot shows 👍/👎 and, behind a flag, the reasons below (Gradio's
``feedback_options``: a click reports the option's label in ``gr.LikeData.liked``). A reason is a
👎 whose comment starts with the exact phrase the learners parse (``agent/feedback/learners.py``):

- "too long" / "too short": ``comment_cues`` moves this user's answer length;
- "wrong tool": ``RouteCorrector`` hears that the tool was wrong; the comment box says which one
  was wanted ("wrong tool. I wanted the attention heatmap"), so the router learns it;
- "wrong answer": a dislike of the passages cited, with the correction box as the right fact;
- "Other": the comment box alone.

The comment box, when filled, follows the phrase as a sentence of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

LIKE, DISLIKE = "Like", "Dislike"  # Gradio draws exactly these two as thumbs


@dataclass(frozen=True)
class Reason:
    """One entry of the flag menu: what it says, and the words the learners read for it."""

    label: str
    phrase: str


REASONS: tuple[Reason, ...] = (
    Reason("Too long", "too long"),
    Reason("Too short", "too short"),
    Reason("Wrong tool", "wrong tool"),
    Reason("Wrong answer", "wrong answer"),
    Reason("Other", ""),
)
FEEDBACK_OPTIONS: tuple[str, ...] = (LIKE, DISLIKE, *(reason.label for reason in REASONS))
_BY_LABEL = {reason.label: reason for reason in REASONS}


@dataclass(frozen=True)
class Rating:
    """One piece of feedback, ready for ``Agent.feedback``; ``option`` is what the chatbot shows as chosen."""

    option: str
    score: int
    comment: str | None = None
    correction: str | None = None

    @property
    def mark(self) -> str:
        """The rating in the status line: a thumb, or a thumb and the reason."""
        thumb = "👍" if self.score > 0 else "👎"
        return thumb if self.option in (LIKE, DISLIKE) else f"{thumb} {self.option}"


def rating(liked: bool | str | None, comment: str = "", correction: str = "") -> Rating | None:
    """What a click under an answer means, with the comment and correction boxes as they are.

    ``liked`` is ``gr.LikeData.liked``: True, False, a reason's label, or "" when the user took the
    choice back (which records nothing: None, as for an option the page does not offer).
    """
    comment, correction = (comment or "").strip(), (correction or "").strip()
    if liked is True or liked is False:
        option, phrase = (LIKE, "") if liked else (DISLIKE, "")
    elif isinstance(liked, str) and liked in _BY_LABEL:
        option, phrase = liked, _BY_LABEL[liked].phrase
    else:
        return None
    said = ". ".join(part for part in (phrase, comment) if part)
    return Rating(option, 1 if option == LIKE else -1, said or None, correction or None)
