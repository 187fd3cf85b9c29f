"""One turn of the chat, streamed into the page: the user's words, then the answer as it grows.

A typed message and a clicked choice are streamed alike (``stream_turn``); each step is a
``ChatUpdate``, which ``turn_outputs`` spreads over the page's chat, state, status line and
choice buttons.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import gradio as gr

from agent.types import StreamEvent
from agent.ui import render

log = logging.getLogger(__name__)


class ChatUpdate(NamedTuple):
    """One step of a streamed turn: the chat to draw, the conversation to keep, the status line, the choices.

    ``offer`` is the latest reply's choices (empty: none), or None while the answer streams: the buttons
    stay as the turn's first step left them (hidden).
    """

    bot: Any
    conv: list[dict]
    status: str
    offer: dict[str, Any] | None


class ChoiceRefused(Exception):
    """The agent would not take a picked choice (not this user's reply, no such choice)."""


def chatbot(messages: list[dict], given: Mapping[str, int | str]) -> gr.Chatbot:
    """The chat with each answer's feedback as this user left it."""
    return gr.Chatbot(value=messages, feedback_value=render.feedback_values(messages, given))


def stream_turn(
    events: Iterable[StreamEvent],
    shown: str,
    conv: list[dict],
    given: Mapping[str, int | str],
    artifacts_dir: Path,
) -> Iterator[ChatUpdate]:
    """One turn streamed into the chat, typed or picked alike.

    A refused choice leaves the conversation as it was and says why in the status line; any other
    failure is shown in the chat instead of a broken page.

    Only the first step may send a ``gr.Chatbot``, when this conversation has feedback to draw (the
    browser drops drawn thumbs when a value arrives without them); the later steps send plain lists,
    which keep them, and leave the choice buttons alone while the answer streams. Gradio rebuilds a
    component and its config (a JSON schema) for every update object at every step: a turn cost 83 ms
    of replica CPU with updates for the buttons, status and chat at each step, 54 ms with plain values
    (``bench.bench_replicas``' page, py-spy).
    """
    started = time.perf_counter()
    base = [*conv, {"role": "user", "content": shown}]
    view = render.TurnView(f"t{len(base)}", artifacts_dir)
    thinking = "Thinking…"
    opening = [*base, *view.messages()]
    yield ChatUpdate(chatbot(opening, given) if given else opening, conv, thinking, {})
    try:
        for event in events:
            view.add(event)
            yield ChatUpdate([*base, *view.messages()], conv, thinking, None)
    except ChoiceRefused as exc:
        yield ChatUpdate(conv, conv, f"⚠️ {exc}", {})
        return
    except Exception as exc:
        log.exception("answer failed")
        base.append({"role": "assistant", "content": f"⚠️ Sorry, that failed: {exc}"})
        yield ChatUpdate(base, base, "Failed.", {})
        return
    final = [*base, *view.messages()]
    seconds = time.perf_counter() - started
    yield ChatUpdate(final, final, f"Answered in {seconds:.1f} s.", view.offer)


def choice_events(events: Iterable[StreamEvent]) -> Iterator[StreamEvent]:
    """A picked choice's events; the agent's refusal (a ValueError before any event) becomes ChoiceRefused."""
    events = iter(events)
    try:
        first = next(events)
    except StopIteration:
        return
    except ValueError as exc:
        raise ChoiceRefused(f"Choice not taken: {exc}") from None
    yield first
    yield from events


def choice_buttons(offer: Mapping[str, Any] | None) -> list[Any]:
    """Updates for the choice buttons: the latest reply's labels shown, the other buttons hidden."""
    labels = [str(c.get("label", "")) for c in (offer or {}).get("choices", [])]
    return [
        gr.update(value=labels[i], visible=True) if i < len(labels) else gr.update(visible=False)
        for i in range(render.MAX_CHOICES)
    ]


def turn_outputs(update: ChatUpdate, ident: dict[str, str]) -> tuple[Any, ...]:
    """A ChatUpdate as the chat events' outputs: chat, conversation, identity, status, offer, buttons.

    While the answer streams (``offer`` None) the hidden buttons get plain empty labels, not updates,
    which Gradio would rebuild as components at every token.
    """
    if update.offer is None:
        return (update.bot, update.conv, ident, update.status, {}, *[""] * render.MAX_CHOICES)
    return (update.bot, update.conv, ident, update.status, update.offer, *choice_buttons(update.offer))
