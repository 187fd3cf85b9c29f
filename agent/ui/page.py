"""The chat page as a class: ``ChatPage(agent)`` holds one named handler per event and lays them out.

Like smolagents' ``GradioUI``, the page only renders what ``agent.Agent`` hands back (``Reply``,
``StreamEvent``, ``HistoryEntry``) and never reaches into the loop. Who is asking is decided by the
server (``agent.ui.identity``): the login name, or a signed HttpOnly cookie it issued; no handler takes
a user id from the browser. Each handler gets the request (``gr.Request``) and asks ``Identity`` for
the user, so memory, feedback, uploads and learned preferences never cross between people. The browser
keeps only its conversation id (``gr.BrowserState``), which names a conversation of its own user only,
and a reload finds the conversation again through ``Agent.history``: answers with their tool steps,
sources and figures, and the choices of the last answer if it asked a question. When the agent asks
which of two things was meant, the choices become buttons under the chat; a click is answered like a
sent message.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import gradio as gr

from agent.names import check_name
from agent.ui import reasons, render
from agent.ui.identity import Identity, IdentityError
from agent.ui.mcp_tools import build_tools
from agent.ui.turns import ChatUpdate, chatbot, choice_buttons, choice_events, stream_turn, turn_outputs
from agent.ui.uploads import check_uploads, discard_cached, owner_folder, store_uploads

if TYPE_CHECKING:
    from agent.core import Agent
    from knowledge.types import IndexProgress
    from tools.registry import ToolDeclaration

log = logging.getLogger(__name__)

CHAT_CONCURRENCY = 1  # answers generated at once; the rest wait in the queue, in order
LIGHT_CONCURRENCY = 10  # feedback, settings, page loads
QUEUE_MAX = 100  # events waiting at most; beyond that users are told the queue is full
STORAGE_KEY = "attentive-conversation"
INDEX_CONCURRENCY = 2  # uploads indexed at once (each gives way to answers; a long one holds up no other)
PRIVATE: dict[str, Any] = {"api_visibility": "private"}  # only the tools are public endpoints

INTRO = (
    "## attentive: your tutor for deep learning and generative AI\n"
    "Answers come from your study notes, with sources. Tool steps fold away under each answer; "
    "rate answers with 👍/👎 (or say what was wrong under 🚩) and the tutor adapts to you."
)


def _new_id() -> str:
    return uuid.uuid4().hex[:16]


def _identity(ident: Any) -> dict[str, str]:
    """The browser's conversation id, made up where it has none (or an unusable one). Only the conversation:
    the user comes from the request (``ChatPage.user``), whatever else the browser stored."""
    session = ident.get("session") if isinstance(ident, dict) else None
    try:
        session = check_name("session", session)
    except ValueError:
        session = _new_id()
    return {"session": session}


def showcase_examples(declarations: Iterable[ToolDeclaration]) -> list[str]:
    """One example per tool, its showcase phrase: a new tool shows up on the page by itself."""
    return list(dict.fromkeys(str(d.showcase) for d in declarations))


class States(NamedTuple):
    """What the page keeps per browser between events."""

    ident: gr.BrowserState  # {"session"}: the conversation id; the user is the server's to decide
    conv: gr.State  # the chat messages as drawn
    given: gr.State  # reply id -> the feedback option shown as chosen (or a stored score)
    pending: gr.State  # the last rated answer, for "Send feedback": {"reply_id", "liked"}
    offered: gr.State  # the latest reply's choices, for the choice buttons


class ChatBlocks(NamedTuple):
    """The chat column: the chat, the choice buttons, the message box and the feedback boxes."""

    bot: gr.Chatbot
    choices: list[gr.Button]
    msg: gr.Textbox
    send: gr.Button
    answer_status: gr.Markdown
    fb_status: gr.Markdown
    fb_comment: gr.Textbox
    fb_correction: gr.Textbox
    fb_send: gr.Button


class SideBlocks(NamedTuple):
    """The side column: a new conversation, uploads, and the settings panel."""

    new: gr.Button
    upload: gr.File
    upload_status: gr.Markdown
    style: gr.Markdown
    reset: gr.Button
    reset_note: gr.Markdown


class ChatPage:
    """The chat page over one Agent: named handlers (one per event) and ``create_app`` to lay them out."""

    def __init__(self, agent: Agent, logins: bool = False) -> None:
        """``logins``: the page is served behind a login, so the user is the login name (``Identity``)."""
        self.agent = agent
        self.settings = agent.settings
        self.home = Path(agent.home)
        self.artifacts_dir = self.home / "artifacts"  # the only folder Gradio serves files from
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        self.uploads_dir = self.home / "uploads"  # a folder per user (``owner_folder``)
        self.cache_dir = (
            self.home / "gradio-cache"
        )  # Gradio's upload cache (GRADIO_TEMP_DIR), emptied per upload
        self.identity = Identity(self.home, logins=logins)

    # -- handlers: one per event -------------------------------------------------------------------

    def user(self, request: gr.Request | None) -> str:
        """Who sent the event, as the server decides (``Identity.user_of``); a readable error otherwise."""
        try:
            return self.identity.user_of(request)
        except (IdentityError, ValueError) as exc:
            raise gr.Error(f"Not signed in: {exc}", print_exception=False) from None

    def style_text(self, user: str) -> str:
        return f"**Learned answer style:** {self.agent.describe_style(user)}"

    def load(self, ident: Any, request: gr.Request) -> tuple[Any, ...]:
        """A page load: the conversation, its feedback and the last answer's choices, restored."""
        user, ident = self.user(request), _identity(ident)
        try:
            history = self.agent.history(user, ident["session"])
            given: dict[str, int] = self.agent.feedback_given(user, ident["session"])
        except Exception:  # a broken store must not make the page unusable
            log.exception("could not restore the conversation")
            history, given = [], {}
        messages = render.history_messages(history, self.artifacts_dir)
        offer = render.choice_offer(history[-1].reply) if history else {}
        plural = "" if len(history) == 1 else "s"
        status = f"Ready: conversation restored ({len(history)} answer{plural})." if history else "Ready."
        shown = chatbot(messages, given)
        return (
            ident,
            shown,
            messages,
            given,
            self.style_text(user),
            status,
            offer,
            *choice_buttons(offer),
        )

    def respond(
        self, message: str, ident: Any, conv: list[dict], given: dict[str, Any], request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """A sent message: the user's words at once, then the answer as it streams in."""
        message = (message or "").strip()
        user = self.user(request)
        ident = _identity(ident)  # a message sent before the page finished loading still gets a conversation
        if not message:  # nothing sent: the chat, the status and any choices stay as they are
            yield "", chatbot(conv, given), conv, ident, *[gr.update()] * (2 + render.MAX_CHOICES)
            return
        limit = self.settings.max_message_chars
        if len(message) > limit:
            raise gr.Error(f"Messages are limited to {limit} characters; this one has {len(message)}.")
        events = self.agent.stream(message, user=user, session=ident["session"])
        for update in stream_turn(events, message, conv, given, self.artifacts_dir):
            yield "", *turn_outputs(update, ident)

    def pick(
        self,
        index: int,
        offer: Any,
        ident: Any,
        conv: list[dict],
        given: dict[str, Any],
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        """A click on choice button ``index``: its message becomes the user's turn, and the answer streams in.
        The agent refuses a reply that is not this user's (``Agent.stream_choice``)."""
        user, ident = self.user(request), _identity(ident)
        offer = offer if isinstance(offer, dict) else {}
        choices = offer.get("choices", [])
        if not 0 <= index < len(choices):  # a stale button: the reply it belonged to is gone
            refused = ChatUpdate(
                chatbot(conv, given), conv, "⚠️ Choice not taken: it is no longer on offer.", {}
            )
            yield turn_outputs(refused, ident)
            return
        reply_id = str(offer.get("reply_id", ""))
        events = choice_events(self.agent.stream_choice(reply_id, index, user=user, session=ident["session"]))
        for update in stream_turn(events, str(choices[index]["message"]), conv, given, self.artifacts_dir):
            yield turn_outputs(update, ident)

    def picker(self, index: int) -> Callable[..., Iterator[tuple[Any, ...]]]:
        """The click handler of choice button ``index`` (Gradio needs a named generator function per button)."""

        def pick(
            offer: Any, ident: Any, conv: list[dict], given: dict[str, Any], request: gr.Request
        ) -> Iterator[tuple[Any, ...]]:
            yield from self.pick(index, offer, ident, conv, given, request)

        pick.__name__ = f"pick_choice_{index}"
        return pick

    def like(
        self,
        data: gr.LikeData,
        conv: list[dict],
        given: dict[str, Any],
        comment: str,
        correction: str,
        ident: Any,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        """A thumb or a reason under an answer, recorded at once with whatever the comment boxes hold."""
        user = self.user(request)
        reply_id = render.reply_id_at(conv, data.index)
        rated = reasons.rating(data.liked, comment, correction) if reply_id else None
        if reply_id is None or rated is None:  # a choice taken back records nothing
            return gr.update(), None, given, gr.update(), gr.update(), gr.update()
        note, comment, correction, style = self._record(reply_id, rated, comment, correction, user)
        if note.startswith("⚠️"):
            return note, None, given, comment, correction, style
        pending = {"reply_id": reply_id, "liked": data.liked}
        return note, pending, {**given, reply_id: rated.option}, comment, correction, style

    def send_comment(
        self, comment: str, correction: str, pending: Any, ident: Any, request: gr.Request
    ) -> tuple[Any, ...]:
        """*Send feedback*: the comment boxes, sent with the rating of the answer rated last."""
        user = self.user(request)
        rated = reasons.rating(pending.get("liked"), comment, correction) if pending else None
        if not pending or rated is None:
            note = "Rate an answer with 👍 or 👎 (or a reason under 🚩) to send your comment with it."
            return note, comment, correction, gr.update()
        if not (comment or "").strip() and not (correction or "").strip():
            return "Write a comment or a correction first.", comment, correction, gr.update()
        return self._record(str(pending["reply_id"]), rated, comment, correction, user)

    def new_conversation(self, ident: Any) -> tuple[Any, ...]:
        """A fresh conversation id for the same user: an empty chat, no pending feedback, no choices."""
        ident = {"session": _new_id()}
        return ident, chatbot([], {}), [], {}, None, "", "New conversation.", {}, *choice_buttons({})

    def reset_preferences(self, ident: Any, request: gr.Request) -> tuple[str, str]:
        user = self.user(request)
        self.agent.reset_preferences(user)
        return self.style_text(user), "✅ Learned preferences reset."

    # Gradio injects progress tracking through exactly this default value.
    def upload(
        self,
        files: list[str] | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[str, Any]:
        """Dropped files: refused with a reason, or copied into this user's uploads folder and indexed as
        theirs alone. Gradio's cached copies are deleted either way."""
        if not files:
            return "", None
        try:
            user = self.user(request)
            progress(0.0, desc="Checking files")
            checked = check_uploads([Path(f) for f in files], self.settings.max_upload_bytes)
            lines = [f"❌ Refused {reason}" for reason in checked.refused]
            if checked.accepted:
                folder = self.uploads_dir / owner_folder(user)
                lines += self._index(store_uploads(checked.accepted, folder), user, progress)
                progress(1.0, desc="Done")
        finally:
            discard_cached([Path(f) for f in files], self.cache_dir)
        return "\n\n".join(lines), None

    def _record(
        self, reply_id: str, rated: reasons.Rating, comment: str, correction: str, user: str
    ) -> tuple[str, str, str, Any]:
        """One feedback event: the status line, the comment boxes (emptied once stored), the style text."""
        comment, correction = (comment or "").strip(), (correction or "").strip()
        limit = self.settings.max_comment_chars
        if len(comment) > limit or len(correction) > limit:
            return f"⚠️ Comments are limited to {limit} characters.", comment, correction, gr.update()
        try:
            self.agent.feedback(
                reply_id, rated.score, comment=rated.comment, correction=rated.correction, user=user
            )
        except (ValueError, PermissionError) as exc:  # PermissionError: another user's reply
            return f"⚠️ Feedback not recorded: {exc}", comment, correction, gr.update()
        if comment or correction:
            note = f"✅ Feedback recorded ({rated.mark}), with your comment. Thank you!"
        else:
            note = f"✅ Feedback recorded ({rated.mark}). Add a comment or a correction below if you like."
        return note, "", "", self.style_text(user)

    def _index(self, stored: list[Path], user: str, progress: Callable[..., Any]) -> list[str]:
        """Index stored uploads as ``user``'s, the page's progress bar following each file read and chunk
        embedded (indexing gives way to everyone's answers); what changed, in chunks, and each file that
        failed, by name: no message shows a server path."""

        def show(step: IndexProgress) -> None:
            progress((step.done, step.total), desc=f"{step.stage.capitalize()} {step.source}", unit="steps")

        try:
            report = self.agent.index(list(stored), progress=show, user=user)
        except Exception as exc:
            log.exception("indexing failed")
            for path in stored:
                path.unlink(missing_ok=True)
            return [f"❌ Indexing failed: {self._private(str(exc), stored)}"]
        failed = [p for p in stored if any(e.startswith(f"{p}: ") for e in report.errors)]
        for path in failed:
            path.unlink(missing_ok=True)  # no copy of a file that is not in the index
        names = ", ".join(p.name for p in stored if p not in failed)
        counts = ", ".join(
            f"{n:,} {key}"
            for key, n in (
                ("added", report.added),
                ("updated", report.updated),
                ("unchanged", report.unchanged),
                ("removed", report.removed),
            )
        )
        done = [f"✅ Indexed {names} ({counts} chunks). Ask about it now."] if names else []
        return [*done, *(f"❌ {self._private(e, stored)}" for e in report.errors)]

    def _private(self, message: str, stored: list[Path]) -> str:
        """``message`` with server paths replaced: a stored file by its name, the data home by a word."""
        for path in stored:
            message = message.replace(str(path), path.name)
        return message.replace(str(self.home), "(data home)")

    # -- layout: the blocks, then which handler each event runs ----------------------------------------

    def create_app(self) -> gr.Blocks:
        """The page's blocks and events, plus the tools as public API endpoints (and MCP tools).

        Gradio's upload cache goes under the data home (``GRADIO_TEMP_DIR``, read when the blocks and
        the server are made: a process-wide setting, so the last page built in a process decides it).
        The tools run unqueued (``queue=False``): Gradio then calls them with the caller's own request,
        where a queued MCP call went through a loopback client without the caller's login and failed
        under ``--auth``; ``mcp_tools.run`` runs one tool at a time instead of the queue's limit.
        """
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        os.environ["GRADIO_TEMP_DIR"] = str(self.cache_dir)
        with gr.Blocks(title="attentive", analytics_enabled=False, fill_height=True) as demo:
            states = self._states()
            gr.Markdown(INTRO)
            with gr.Row():
                with gr.Column(scale=3):
                    chat = self._chat_column()
                with gr.Column(scale=1):
                    side = self._side_column()
            self._wire_chat(demo, states, chat, side)
            self._wire_feedback(states, chat, side)
            for tool in build_tools(self.agent):
                gr.api(tool, api_name=tool.__name__, queue=False)
        demo.queue(default_concurrency_limit=LIGHT_CONCURRENCY, max_size=QUEUE_MAX)
        return demo

    def _states(self) -> States:
        secret = self.identity.browser_state_secret
        ident = gr.BrowserState({"session": ""}, storage_key=STORAGE_KEY, secret=secret)
        return States(ident, gr.State([]), gr.State({}), gr.State(None), gr.State({}))

    def _chat_column(self) -> ChatBlocks:
        bot = gr.Chatbot(
            elem_id="chat",
            height=560,
            layout="bubble",
            feedback_options=reasons.FEEDBACK_OPTIONS,
            buttons=["copy"],
            show_label=False,
            placeholder="Ask about attention, embeddings, training, diffusion…",
        )
        with gr.Row(elem_id="choices"):
            choices = [
                gr.Button(visible=False, elem_id=f"choice-{i}", size="sm") for i in range(render.MAX_CHOICES)
            ]
        with gr.Row():
            msg = gr.Textbox(
                placeholder="Ask a question, or try an example below",
                show_label=False,
                scale=6,
                max_length=self.settings.max_message_chars,
                elem_id="message",
                autofocus=True,
            )
            send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
        answer_status = gr.Markdown("Loading…", elem_id="answer-status")
        fb_status = gr.Markdown(elem_id="feedback-status")
        comment, correction, fb_send = self._feedback_row()
        examples = showcase_examples(self.agent.declarations)
        gr.Examples(
            examples,
            inputs=msg,
            label="Examples: each shows a tool",
            examples_per_page=max(10, len(examples)),  # every tool on one page
            elem_id="examples",
        )
        return ChatBlocks(bot, choices, msg, send, answer_status, fb_status, comment, correction, fb_send)

    def _feedback_row(self) -> tuple[gr.Textbox, gr.Textbox, gr.Button]:
        with gr.Row():
            comment = gr.Textbox(
                label="Comment: sent with your next 👍/👎 or 🚩 reason, or with Send feedback",
                placeholder="more examples, I wanted the heatmap, …",
                elem_id="feedback-comment",
                scale=3,
            )
            correction = gr.Textbox(label="Correction (optional)", elem_id="feedback-correction", scale=3)
            send = gr.Button("Send feedback", elem_id="feedback-send", scale=1)
        return comment, correction, send

    def _side_column(self) -> SideBlocks:
        new = gr.Button("New conversation", elem_id="new-conversation")
        with gr.Accordion("Add documents to the index", open=True):
            upload = gr.File(
                label=".md, .txt, .pdf or .html, up to 5 MB each",
                file_count="multiple",
                elem_id="upload",
                height=120,
            )
            upload_status = gr.Markdown(elem_id="upload-status")
        with gr.Accordion("Settings", open=False, elem_id="settings"):
            gr.Markdown(f"**Backend:** {self.agent.backend_description}", elem_id="backend")
            style = gr.Markdown(elem_id="style")
            reset = gr.Button("Reset learned preferences", elem_id="reset-preferences")
            reset_note = gr.Markdown(elem_id="reset-status")
        return SideBlocks(new, upload, upload_status, style, reset, reset_note)

    def _wire_chat(self, demo: gr.Blocks, s: States, c: ChatBlocks, side: SideBlocks) -> None:
        """Loading, sending, picking a choice, starting afresh; answers wait in one queue."""
        loaded = [s.ident, c.bot, s.conv, s.given, side.style, c.answer_status, s.offered, *c.choices]
        demo.load(self.load, [s.ident], loaded, **PRIVATE)
        turn = [c.bot, s.conv, s.ident, c.answer_status, s.offered, *c.choices]
        queued: dict[str, Any] = {"concurrency_limit": CHAT_CONCURRENCY, "concurrency_id": "chat", **PRIVATE}
        for trigger in (c.msg.submit, c.send.click):
            trigger(self.respond, [c.msg, s.ident, s.conv, s.given], [c.msg, *turn], **queued)
        for index, button in enumerate(c.choices):
            button.click(self.picker(index), [s.offered, s.ident, s.conv, s.given], turn, **queued)
        fresh = [
            s.ident,
            c.bot,
            s.conv,
            s.given,
            s.pending,
            c.fb_status,
            c.answer_status,
            s.offered,
            *c.choices,
        ]
        side.new.click(self.new_conversation, [s.ident], fresh, **PRIVATE)
        c.bot.clear(self.new_conversation, [s.ident], fresh, **PRIVATE)

    def _wire_feedback(self, s: States, c: ChatBlocks, side: SideBlocks) -> None:
        """Thumbs and reasons, *Send feedback*, resetting preferences, and uploads."""
        boxes = [c.fb_comment, c.fb_correction]
        rated = [c.fb_status, s.pending, s.given, *boxes, side.style]
        c.bot.like(self.like, [s.conv, s.given, *boxes, s.ident], rated, **PRIVATE)
        c.fb_send.click(
            self.send_comment, [*boxes, s.pending, s.ident], [c.fb_status, *boxes, side.style], **PRIVATE
        )
        side.reset.click(self.reset_preferences, [s.ident], [side.style, side.reset_note], **PRIVATE)
        side.upload.upload(
            self.upload,
            [side.upload],
            [side.upload_status, side.upload],
            concurrency_limit=INDEX_CONCURRENCY,
            concurrency_id="index",
            **PRIVATE,
        )
