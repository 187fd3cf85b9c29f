"""What the tools' argument models share about a field, declared once."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field


def not_blank(hint: str, *, strip: bool = True) -> AfterValidator:
    """A validator for text the user must give: ``min_length`` lets "   " through, so blank text is
    refused here, saying what to give instead (``hint``); surrounding spaces go unless ``strip`` is
    False (a prompt a model continues keeps its own spacing)."""

    def check(text: str) -> str:
        if not text.strip():
            raise ValueError(f"is empty; {hint}")
        return text.strip() if strip else text

    return AfterValidator(check)


def user_text(max_chars: int, description: str, *, hint: str, strip: bool = True) -> Any:
    """The type of a text field the user must fill: 1 to ``max_chars`` characters and not blank
    (``not_blank``), described for the model that picks tools and for the JSON schema."""
    return Annotated[
        str, Field(min_length=1, max_length=max_chars, description=description), not_blank(hint, strip=strip)
    ]
