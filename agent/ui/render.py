"""Turn the agent's records (StreamEvent, Reply, history) into Gradio chat messages.

Plain dictionaries in Gradio's "messages" format, built without importing
Gradio, so the page logic can be tested without a server. Every answer message
carries ``metadata.id = "reply-<reply id>"``: that is how a thumb clicked in the
browser finds the reply it rates, and how thumbs come back after a reload.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agent.types import HistoryEntry, StreamEvent
from knowledge.links import shown_citation, without_foreign_links
from knowledge.types import Citation

REPLY_PREFIX = "reply-"
MAX_CHOICES = 3  # choice buttons under the chat; a clarifying question offers two
THUMBS = {1: "Like", -1: "Dislike"}
MAX_ARGS_CHARS = 120
MAX_QUOTE_CHARS = 240
# Characters that start Markdown or HTML markup; escaped in document text so that a quote stays text.
# ">" alone starts nothing inside a line once "<" is escaped, so section paths keep "A > B" as written.
MARKUP = re.compile(r"([\\`*_\[\]()!<|~$&])")

Message = dict[str, Any]
# A citation given as a dict (a JSON client, an older stored reply) may lack fields the page does not show.
_NO_SPAN = {"section": "", "source": "", "start": 0, "end": 0, "quote": ""}


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """Read a field from a record or a dict alike (a tool call may come either way)."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def tool_title(name: str, args: Mapping[str, Any] | None) -> str:
    """Tool name plus its arguments, short enough for an accordion header."""
    shown = json.dumps(dict(args or {}), ensure_ascii=False, default=str)
    if len(shown) > MAX_ARGS_CHARS:
        shown = shown[: MAX_ARGS_CHARS - 1] + "…"
    return f"🛠️ {name} {shown}"


def tool_step(call: Any, step_id: str, done: bool) -> list[Message]:
    """One tool call as a collapsible step, with its result nested under it by ``parent_id``."""
    error = _get(call, "error")
    ok = bool(_get(call, "ok", True)) and not error
    metadata: dict[str, Any] = {
        "title": tool_title(_get(call, "name", "tool"), _get(call, "args")),
        "id": step_id,
        "status": "done" if done else "pending",
    }
    if done:
        metadata["duration"] = round(float(_get(call, "seconds", 0.0) or 0.0), 2)
        if not ok:
            metadata["log"] = "failed"
    args = json.dumps(dict(_get(call, "args") or {}), ensure_ascii=False, indent=1, default=str)
    step: Message = {
        "role": "assistant",
        "content": f"Arguments:\n```json\n{args}\n```",
        "metadata": metadata,
    }
    if not done:
        return [step]
    output = _get(call, "output") or _get(call, "result")
    if not ok:
        result = f"❌ Error: {error}"
    elif output:
        result = str(output)
    else:
        result = "✅ Finished without error."
    child: Message = {
        "role": "assistant",
        "content": result,
        "metadata": {"title": "Result" if ok else "Error", "parent_id": step_id, "id": f"{step_id}-out"},
    }
    return [step, child]


def inert(text: str, source: str = "", owner: str | None = None) -> str:
    """Document text as the page may show it inside Markdown: links it may not show replaced
    (``knowledge.links``) and markup characters escaped, so a quote, a section title or a file name is drawn
    as text, never as an image, a tag or a link that the reader's browser fetches."""
    return escaped(without_foreign_links(text, source=source, owner=owner))


def escaped(text: str) -> str:
    """``text`` with Markdown and HTML markup characters escaped, so it is drawn as it reads."""
    return MARKUP.sub(r"\\\1", text)


def citations_markdown(citations: Iterable[Any]) -> str:
    """The sources of an answer: section path and quoted span, one per line."""
    lines = []
    for number, given in enumerate(citations, start=1):
        if isinstance(given, Citation):
            citation = given
        else:  # fields left out or null are the blanks, as a JSON client may send them
            citation = Citation.from_dict({**_NO_SPAN, **{k: v for k, v in given.items() if v is not None}})
        shown = shown_citation(citation)
        quote = (
            shown.quote if len(shown.quote) <= MAX_QUOTE_CHARS else shown.quote[: MAX_QUOTE_CHARS - 1] + "…"
        )
        # "slides.pdf, p. 12" for a PDF's page; what is shown made inert, so it stays text
        where = f"**{escaped(shown.section or '(no section)')}**"
        where += f" ({inert(citation.location)})" if citation.source else ""
        lines.append(f"{number}. {where}: “{escaped(quote)}”")
    if not lines:
        return ""
    return "**Sources**\n\n" + "\n".join(lines)


def answer_message(reply_id: str, text: str, citations: Iterable[Any] = ()) -> Message:
    """The answer text with its sources underneath, tagged with the reply id for feedback."""
    sources = citations_markdown(citations)
    body = text.strip() or "(no answer)"
    if sources:
        body = f"{body}\n\n---\n{sources}"
    return {"role": "assistant", "content": body, "metadata": {"id": REPLY_PREFIX + reply_id}}


def safe_artifact(path: str | Path, artifacts_dir: Path) -> Path | None:
    """The artifact's real path if it lies inside the artifacts folder, else None (never served)."""
    try:
        real = Path(path).resolve(strict=True)
    except OSError:
        return None
    root = artifacts_dir.resolve()
    return real if real.is_file() and real.is_relative_to(root) else None


def artifact_messages(artifacts: Iterable[Any], artifacts_dir: Path) -> list[Message]:
    """Images and sounds inline; anything outside the artifacts folder is named but not served."""
    messages: list[Message] = []
    for artifact in artifacts:
        caption = str(_get(artifact, "caption", "") or "")
        path = safe_artifact(_get(artifact, "path", ""), artifacts_dir)
        if path is None:
            messages.append({"role": "assistant", "content": f"(figure not available: {caption})"})
            continue
        messages.append({"role": "assistant", "content": {"path": str(path), "alt_text": caption}})
        if caption:
            messages.append({"role": "assistant", "content": f"*{caption}*"})
    return messages


class TurnView:
    """The messages of the turn being streamed, rebuilt from events as they arrive."""

    def __init__(self, turn: str, artifacts_dir: Path) -> None:
        self.turn = turn
        self.artifacts_dir = artifacts_dir
        self.steps: list[tuple[str, Any, bool]] = []  # (step id, call, done)
        self.text = ""
        self.final: list[Message] | None = None
        self.reply_id: str | None = None
        self.offer: dict[str, Any] = {}
        self.progress = ""  # the latest progress line: a download's bar, a slow tool's time estimate

    def add(self, event: Any) -> None:
        kind = _get(event, "kind")
        if kind == "token":
            self.text += _get(event, "text", "") or ""
        elif kind == "progress":
            self.progress = _get(event, "text", "") or ""
        elif kind == "tool_start":
            call = _get(event, "tool")
            self.steps.append((f"{self.turn}-tool-{len(self.steps)}", call, False))
        elif kind == "tool_end":
            self._finish_step(_get(event, "tool"))
        elif kind == "reply":
            self._finish(_get(event, "reply"))

    def _finish_step(self, call: Any) -> None:
        call_id, name = _get(call, "id", ""), _get(call, "name", "")
        for index in range(len(self.steps) - 1, -1, -1):
            step_id, started, done = self.steps[index]
            same = (call_id and _get(started, "id", "") == call_id) or (
                not call_id and _get(started, "name") == name
            )
            if same and not done:
                self.steps[index] = (step_id, call, True)
                return
        self.steps.append((f"{self.turn}-tool-{len(self.steps)}", call, True))

    def _finish(self, reply: Any) -> None:
        self.reply_id = str(_get(reply, "id", ""))
        self.offer = choice_offer(reply)
        # Steps the stream never closed are closed from the reply's own record.
        recorded = list(_get(reply, "tool_calls", []) or [])
        for index, (step_id, call, done) in enumerate(self.steps):
            if not done:
                match = next((c for c in recorded if _get(c, "name") == _get(call, "name")), call)
                self.steps[index] = (step_id, match, True)
        if not self.steps:
            for call in recorded:
                self.steps.append((f"{self.turn}-tool-{len(self.steps)}", call, True))
        self.final = [
            answer_message(self.reply_id, _get(reply, "text", ""), _get(reply, "citations", []) or [])
        ]
        self.final += artifact_messages(_get(reply, "artifacts", []) or [], self.artifacts_dir)

    def messages(self) -> list[Message]:
        out: list[Message] = [{"role": "assistant", "content": self.progress}] if self.progress else []
        for step_id, call, done in self.steps:
            out += tool_step(call, step_id, done)
        if self.final is not None:
            return out + self.final
        if self.text:
            out.append({"role": "assistant", "content": self.text})
        elif not self.steps and not self.progress:
            out.append({"role": "assistant", "content": "…"})
        return out


def choice_offer(reply: Any) -> dict[str, Any]:
    """What the choice buttons need from a reply: its id and each choice's label and message.

    Empty when the reply asked nothing. Kept as plain data in the page's state, so a click says
    which reply and which choice it means without asking the agent again.
    """
    choices = list(_get(reply, "choices", []) or [])[:MAX_CHOICES]
    if not choices:
        return {}
    return {
        "reply_id": str(_get(reply, "id", "")),
        "choices": [
            {"label": str(_get(c, "label", "")), "message": str(_get(c, "message", ""))} for c in choices
        ],
    }


def history_messages(history: Sequence[HistoryEntry], artifacts_dir: Path) -> list[Message]:
    """A stored conversation (``Agent.history``) back into chat messages, each answer drawn as it was live:
    its tool steps, its text with sources, and its figures."""
    out: list[Message] = []
    for number, entry in enumerate(history):
        view = TurnView(f"h{number}", artifacts_dir)
        view.add(StreamEvent("reply", reply=entry.reply))
        out += [{"role": "user", "content": entry.question}, *view.messages()]
    return out


def assistant_groups(messages: Sequence[Mapping[str, Any]]) -> list[tuple[int, list[Mapping[str, Any]]]]:
    """Consecutive assistant messages, as the chatbot draws them in one bubble with one pair of thumbs."""
    groups: list[tuple[int, list[Mapping[str, Any]]]] = []
    previous = None
    for index, message in enumerate(messages):
        role = message.get("role")
        if role == "assistant":
            if previous == "assistant":
                groups[-1][1].append(message)
            else:
                groups.append((index, [message]))
        previous = role
    return groups


def _reply_in(group: Iterable[Mapping[str, Any]]) -> str | None:
    for message in group:
        ident = str((message.get("metadata") or {}).get("id", ""))
        if ident.startswith(REPLY_PREFIX):
            return ident[len(REPLY_PREFIX) :]
    return None


def reply_id_at(messages: Sequence[Mapping[str, Any]], index: int | Sequence[int]) -> str | None:
    """The reply a thumb belongs to: the chatbot reports the index of the first message of the bubble."""
    position = index if isinstance(index, int) else index[0]
    for start, group in assistant_groups(messages):
        if start <= position < start + len(group):
            return _reply_in(group)
    return None


def feedback_values(
    messages: Sequence[Mapping[str, Any]], given: Mapping[str, int | str]
) -> list[str | None]:
    """The chatbot's ``feedback_value``: one entry per assistant bubble, the option shown as chosen or None.

    ``given`` maps a reply id to the option picked on this page ("Like", "Too long", ...) or to the
    score the feedback store keeps (+1 "Like", -1 "Dislike").
    """
    values: list[str | None] = []
    for _, group in assistant_groups(messages):
        reply_id = _reply_in(group)
        chosen = given.get(reply_id) if reply_id else None
        if isinstance(chosen, str):
            values.append(chosen or None)
        else:
            values.append(THUMBS.get(int(chosen)) if chosen else None)
    return values
