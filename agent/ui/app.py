"""The chat page: a Gradio 6 Blocks app over one Agent.

Every browser keeps its own user id and conversation id in ``gr.BrowserState``
(encrypted localStorage), so memory, thumbs and learned preferences never cross
between people, and a reload finds the conversation again through
``Agent.history``. Gradio serves files only from the data home's artifacts
folder (plus the copies it makes itself), and the queue bounds how many
answers run at once.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent.ui import render
from agent.ui.adapter import PageAgent
from agent.ui.mcp_tools import build_tools
from agent.ui.uploads import check_uploads, store_uploads

log = logging.getLogger(__name__)

CHAT_CONCURRENCY = 1  # answers generated at once; the rest wait in the queue, in order
LIGHT_CONCURRENCY = 10  # feedback, settings, page loads
QUEUE_MAX = 100  # events waiting at most; beyond that users are told the queue is full
STORAGE_KEY = "attentive-identity"

EXAMPLES = [
    "What is positional encoding?",
    "Show me attention in 'The cat sat on the mat'",
    "Which word does 'it' attend to in 'The animal didn't cross the street because it was too tired'?",
    "Show positional encoding for 'The cat in the tree' vs 'The tree in the cat'",
    "Train a small network on xor and show the loss",
    "Compare online and batch learning when the user's taste drifts",
    "Look up gpt2 on the Hugging Face Hub",
    "Generate a short text about transformers with a small model",
    "Generate an image of a cat sitting on a mat",
    "Say 'attention is all you need' out loud",
]

INTRO = (
    "## attentive: your tutor for deep learning and generative AI\n"
    "Answers come from your study notes, with sources. Tool steps fold away under each answer; "
    "rate answers with 👍/👎 and the tutor adapts to you."
)


def browser_secret(home: Path) -> str:
    """The key that encrypts each browser's identity, kept in the data home so restarts keep users."""
    path = home / "ui-secret"
    if path.exists():
        return path.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(16)
    path.write_text(value)
    path.chmod(0o600)
    return value


def _new_id() -> str:
    return uuid.uuid4().hex[:16]


def _identity(ident: Any) -> dict[str, str]:
    ident = dict(ident) if isinstance(ident, dict) else {}
    if not ident.get("user"):
        ident["user"] = "web-" + _new_id()
    if not ident.get("session"):
        ident["session"] = _new_id()
    return {"user": str(ident["user"]), "session": str(ident["session"])}


def build_app(agent: Any) -> Any:
    """The chat page over ``agent``; call ``launch`` (or ``.launch`` with the same arguments) to serve it."""
    import gradio as gr

    page = PageAgent(agent)
    max_chars = page.settings.max_message_chars

    def style_text(user: str) -> str:
        return f"**Learned answer style:** {page.style_for(user)}"

    def chatbot(messages: list[dict], given: dict[str, int]) -> Any:
        return gr.Chatbot(value=messages, feedback_value=render.feedback_values(messages, given))

    def on_load(ident: Any) -> tuple[Any, ...]:
        ident = _identity(ident)
        try:
            history = page.history(ident["user"], ident["session"])
            given = page.feedback_given(ident["user"], ident["session"])
        except Exception:  # a broken store must not make the page unusable
            log.exception("could not restore the conversation")
            history, given = [], {}
        messages = render.history_messages(history, page.artifacts_dir)
        answers = sum(1 for m in history if m.get("role") == "assistant")
        plural = "" if answers == 1 else "s"
        status = f"Ready: conversation restored ({answers} answer{plural})." if answers else "Ready."
        return ident, chatbot(messages, given), messages, given, style_text(ident["user"]), status

    def respond(
        message: str, ident: Any, conv: list[dict], given: dict[str, int]
    ) -> Iterator[tuple[Any, ...]]:
        message = (message or "").strip()
        ident = _identity(ident)  # a message sent before the page finished loading still gets an identity
        if not message:
            yield "", chatbot(conv, given), conv, ident, gr.update()
            return
        if len(message) > max_chars:
            raise gr.Error(f"Messages are limited to {max_chars} characters; this one has {len(message)}.")
        started = time.perf_counter()
        base = [*conv, {"role": "user", "content": message}]
        view = render.TurnView(f"t{len(base)}", page.artifacts_dir)
        yield "", chatbot([*base, *view.messages()], given), conv, ident, "Thinking…"
        try:
            for event in page.stream(message, user=ident["user"], session=ident["session"]):
                view.add(event)
                yield "", [*base, *view.messages()], conv, ident, gr.update()
        except Exception as exc:  # show the failure in the chat instead of a broken page
            log.exception("answer failed")
            base.append({"role": "assistant", "content": f"⚠️ Sorry, that failed: {exc}"})
            yield "", chatbot(base, given), base, ident, "Failed."
            return
        final = [*base, *view.messages()]
        seconds = time.perf_counter() - started
        yield "", chatbot(final, given), final, ident, f"Answered in {seconds:.1f} s."

    def record(reply_id: str, score: int, comment: str, correction: str, ident: Any) -> tuple[Any, ...]:
        """One feedback event; the comment boxes are sent with it and emptied once it is stored."""
        comment, correction = (comment or "").strip(), (correction or "").strip()
        limit = page.settings.max_comment_chars
        if len(comment) > limit or len(correction) > limit:
            return f"⚠️ Comments are limited to {limit} characters.", comment, correction, gr.update()
        try:
            page.feedback(reply_id, score, comment=comment, correction=correction)
        except ValueError as exc:
            return f"⚠️ Feedback not recorded: {exc}", comment, correction, gr.update()
        thumb = "👍" if score > 0 else "👎"
        if comment or correction:
            note = f"✅ Feedback recorded ({thumb}), with your comment. Thank you!"
        else:
            note = f"✅ Feedback recorded ({thumb}). Add a comment or a correction below if you like."
        return note, "", "", style_text(_identity(ident)["user"])

    def on_like(
        data: gr.LikeData, conv: list[dict], given: dict[str, int], comment: str, correction: str, ident: Any
    ) -> tuple[Any, ...]:
        reply_id = render.reply_id_at(conv, data.index)
        if reply_id is None or data.liked not in (True, False):  # un-clicking a thumb records nothing
            return gr.update(), None, given, gr.update(), gr.update(), gr.update()
        score = 1 if data.liked else -1
        note, comment, correction, style = record(reply_id, score, comment, correction, ident)
        if note.startswith("⚠️"):
            return note, None, given, comment, correction, style
        return (
            note,
            {"reply_id": reply_id, "score": score},
            {**given, reply_id: score},
            comment,
            correction,
            style,
        )

    # Gradio finds event data by the annotation's class; string annotations hide it.
    on_like.__annotations__["data"] = gr.LikeData

    def on_comment(comment: str, correction: str, pending: Any, ident: Any) -> tuple[Any, ...]:
        if not pending:
            return (
                "Rate an answer with 👍 or 👎 to send your comment with it.",
                comment,
                correction,
                gr.update(),
            )
        if not (comment or "").strip() and not (correction or "").strip():
            return "Write a comment or a correction first.", comment, correction, gr.update()
        return record(pending["reply_id"], pending["score"], comment, correction, ident)

    def new_conversation(ident: Any) -> tuple[Any, ...]:
        ident = _identity(ident)
        ident["session"] = _new_id()
        return ident, chatbot([], {}), [], {}, None, "", "New conversation."

    def reset_preferences(ident: Any) -> tuple[str, str]:
        ident = _identity(ident)
        done = page.reset_preferences(ident["user"])
        note = "✅ Learned preferences reset." if done else "This agent keeps no preferences to reset."
        return style_text(ident["user"]), note

    # Gradio injects progress tracking through exactly this default value.
    def on_upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, Any]:  # noqa: B008
        if not files:
            return "", None
        progress(0.1, desc="Checking files")
        checked = check_uploads([Path(f) for f in files], page.settings.max_upload_bytes)
        lines = [f"❌ Refused {reason}" for reason in checked.refused]
        if checked.accepted:
            progress(0.3, desc=f"Indexing {len(checked.accepted)} file(s)")
            stored = store_uploads(checked.accepted, page.uploads_dir)
            try:
                report = page.index(stored)
            except Exception as exc:
                log.exception("indexing failed")
                lines.append(f"❌ Indexing failed: {exc}")
            else:
                names = ", ".join(p.name for p in stored)
                counts = ", ".join(
                    f"{getattr(report, key, 0)} {key}"
                    for key in ("added", "updated", "unchanged")
                    if getattr(report, key, 0)
                )
                lines.append(f"✅ Indexed {names} ({counts or 'no changes'} chunks). Ask about it now.")
                lines += [f"❌ {error}" for error in getattr(report, "errors", []) or []]
            progress(1.0, desc="Done")
        return "\n\n".join(lines), None

    with gr.Blocks(title="attentive", analytics_enabled=False, fill_height=True) as demo:
        ident = gr.BrowserState(
            {"user": "", "session": ""}, storage_key=STORAGE_KEY, secret=browser_secret(page.home)
        )
        conv = gr.State([])
        given = gr.State({})
        pending = gr.State(None)
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=3):
                bot = gr.Chatbot(
                    elem_id="chat",
                    height=560,
                    layout="bubble",
                    feedback_options=("Like", "Dislike"),
                    buttons=["copy"],
                    show_label=False,
                    placeholder="Ask about attention, embeddings, training, diffusion…",
                )
                with gr.Row():
                    msg = gr.Textbox(
                        placeholder="Ask a question, or try an example below",
                        show_label=False,
                        scale=6,
                        max_length=max_chars,
                        elem_id="message",
                        autofocus=True,
                    )
                    send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
                answer_status = gr.Markdown("Loading…", elem_id="answer-status")
                fb_status = gr.Markdown(elem_id="feedback-status")
                with gr.Row():
                    fb_comment = gr.Textbox(
                        label="Comment: sent with your next 👍/👎, or with Send feedback",
                        placeholder="too long, more examples, …",
                        elem_id="feedback-comment",
                        scale=3,
                    )
                    fb_correction = gr.Textbox(
                        label="Correction (optional)", elem_id="feedback-correction", scale=3
                    )
                    fb_send = gr.Button("Send feedback", elem_id="feedback-send", scale=1)
                gr.Examples(EXAMPLES, inputs=msg, label="Examples: each shows a tool")
            with gr.Column(scale=1):
                new_btn = gr.Button("New conversation", elem_id="new-conversation")
                with gr.Accordion("Add documents to the index", open=True):
                    upload = gr.File(
                        label=".md or .txt, up to 5 MB each",
                        file_count="multiple",
                        elem_id="upload",
                        height=120,
                    )
                    upload_status = gr.Markdown(elem_id="upload-status")
                with gr.Accordion("Settings", open=False, elem_id="settings"):
                    gr.Markdown(f"**Backend:** {page.backend_description}", elem_id="backend")
                    style_md = gr.Markdown(elem_id="style")
                    reset_btn = gr.Button("Reset learned preferences", elem_id="reset-preferences")
                    reset_note = gr.Markdown(elem_id="reset-status")

        private: dict[str, Any] = {"api_visibility": "private"}
        demo.load(on_load, [ident], [ident, bot, conv, given, style_md, answer_status], **private)
        chat_args: dict[str, Any] = {
            "fn": respond,
            "inputs": [msg, ident, conv, given],
            "outputs": [msg, bot, conv, ident, answer_status],
            "concurrency_limit": CHAT_CONCURRENCY,
            "concurrency_id": "chat",
            **private,
        }
        msg.submit(**chat_args)
        send.click(**chat_args)
        bot.like(
            on_like,
            [conv, given, fb_comment, fb_correction, ident],
            [fb_status, pending, given, fb_comment, fb_correction, style_md],
            **private,
        )
        fb_send.click(
            on_comment,
            [fb_comment, fb_correction, pending, ident],
            [fb_status, fb_comment, fb_correction, style_md],
            **private,
        )
        new_btn.click(
            new_conversation, [ident], [ident, bot, conv, given, pending, fb_status, answer_status], **private
        )
        bot.clear(
            new_conversation, [ident], [ident, bot, conv, given, pending, fb_status, answer_status], **private
        )
        reset_btn.click(reset_preferences, [ident], [style_md, reset_note], **private)
        upload.upload(
            on_upload,
            [upload],
            [upload_status, upload],
            concurrency_limit=1,
            concurrency_id="index",
            **private,
        )

        for tool in build_tools(page):
            gr.api(tool, api_name=tool.__name__, concurrency_limit=1, concurrency_id="tools")

    demo.queue(default_concurrency_limit=LIGHT_CONCURRENCY, max_size=QUEUE_MAX)
    demo.attentive_page = page  # type: ignore[attr-defined]
    return demo


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``USER:PASS`` into Gradio's auth pair; the password may itself contain ':'."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("auth must be USER:PASS, both non-empty")
    return user, password


def launch_options(
    page: PageAgent, host: str, port: int, auth: tuple[str, str] | None, mcp: bool, share: bool
) -> dict[str, Any]:
    """Arguments for ``Blocks.launch``: loopback by default, files only from the artifacts folder."""
    return {
        "server_name": host,
        "server_port": port,
        "auth": auth,
        "share": share,
        "mcp_server": mcp,
        "allowed_paths": [str(page.artifacts_dir.resolve())],
        "blocked_paths": [str(page.home.resolve() / name) for name in ("uploads", "ui-secret")],
        "max_file_size": page.settings.max_upload_bytes,
        "ssr_mode": False,
        "show_error": True,
        "run_history": False,
        "footer_links": ["api"] if mcp else [],
    }


def launch(
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | tuple[str, str] | None = None,
    mcp: bool = False,
    home: Path | None = None,
    share: bool = False,
    agent: Any = None,
    block: bool = True,
) -> Any:
    """Start the chat page; ``block=False`` returns the running app (tests, notebooks)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    if agent is None:
        from agent import Agent

        agent = Agent(home=home) if home is not None else Agent()
    demo = build_app(agent)
    pair = parse_auth(auth) if isinstance(auth, str) else auth
    options = launch_options(demo.attentive_page, host, port, pair, mcp, share)
    demo.launch(prevent_thread_lock=not block, quiet=not block, **options)
    return demo
