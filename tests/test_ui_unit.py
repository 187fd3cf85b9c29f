"""The chat page's logic without a browser: messages, thumbs, uploads, launch options, CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from clarifying import clarifying_message
from typer.testing import CliRunner

from agent import Agent
from agent.settings import load_settings
from agent.types import Artifact, Choice, Citation, HistoryEntry, Reply, StreamEvent, ToolCall
from agent.ui import reasons, render
from agent.ui.uploads import check_uploads, safe_name, store_uploads

CITATION = Citation(
    "Transformers > Positional Encoding", "study-notes.md", 10, 40, "Positional encodings give order"
)


def _as(user: str, page: object | None = None) -> object:
    """A request from ``user``: a login name, or (with ``page``) an anonymous id in the page's signed cookie."""
    import gradio as gr

    if page is None:
        return gr.Request(username=user)
    identity = page.identity  # type: ignore[attr-defined]
    return gr.Request(cookies={identity.cookie_name: identity.sign(user)})


def _png(folder: Path, name: str = "fig.png") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    return path


def test_tool_step_is_pending_then_done_with_duration_and_nested_result(tmp_path: Path) -> None:
    view = render.TurnView("t1", tmp_path / "artifacts")
    started = ToolCall("attention_demo", {"sentence": "The cat sat on the mat"}, id="c1")
    view.add(StreamEvent("tool_start", tool=started))
    (step,) = view.messages()
    assert step["metadata"]["status"] == "pending"
    assert step["metadata"]["title"].startswith("🛠️ attention_demo")
    assert "The cat sat on the mat" in step["metadata"]["title"]

    view.add(
        StreamEvent(
            "tool_end", tool=ToolCall("attention_demo", started.args, ok=True, seconds=1.234, id="c1")
        )
    )
    step, child = view.messages()
    assert step["metadata"]["status"] == "done" and step["metadata"]["duration"] == 1.23
    assert child["metadata"]["parent_id"] == step["metadata"]["id"]


def test_failed_tool_shows_its_error_under_the_step(tmp_path: Path) -> None:
    view = render.TurnView("t1", tmp_path)
    view.add(StreamEvent("tool_start", tool=ToolCall("attention_demo", {"layer": 9}, id="c1")))
    failed = ToolCall(
        "attention_demo", {"layer": 9}, ok=False, error="layer must be 0..5, got 9", seconds=0.1, id="c1"
    )
    view.add(StreamEvent("tool_end", tool=failed))
    step, child = view.messages()
    assert step["metadata"]["log"] == "failed"
    assert "layer must be 0..5, got 9" in child["content"] and child["metadata"]["title"] == "Error"


def test_tokens_stream_then_reply_replaces_them_with_cited_answer_and_inline_image(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    figure = _png(artifacts)
    view = render.TurnView("t1", artifacts)
    for token in ["Positional ", "encoding ", "adds order."]:
        view.add(StreamEvent("token", text=token))
    assert view.messages()[-1]["content"] == "Positional encoding adds order."
    reply = Reply(
        "r-1", "Positional encoding adds order [1].", [CITATION], [], [Artifact("image", figure, "heatmap")]
    )
    view.add(StreamEvent("reply", reply=reply))
    answer, image, caption = view.messages()
    assert answer["metadata"]["id"] == "reply-r-1"
    assert "**Transformers > Positional Encoding**" in answer["content"]
    assert "“Positional encodings give order”" in answer["content"]
    assert image["content"] == {"path": str(figure.resolve()), "alt_text": "heatmap"}
    assert caption["content"] == "*heatmap*"


def test_artifacts_outside_the_artifacts_folder_are_never_served(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    secret = _png(tmp_path, "secret.png")
    (artifacts / "link.png").symlink_to(secret)  # a link pointing out of the folder does not count
    messages = render.artifact_messages(
        [
            Artifact("image", secret, "a"),
            Artifact("image", artifacts / "link.png", "b"),
            Artifact("image", artifacts / "../secret.png", "c"),
        ],
        artifacts,
    )
    assert all(isinstance(m["content"], str) and "not available" in m["content"] for m in messages)


def test_thumb_index_maps_to_the_reply_of_its_bubble_and_back() -> None:
    messages = [
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "args", "metadata": {"title": "🛠️ search_notes", "id": "t1-tool-0"}},
        {"role": "assistant", "content": "a1", "metadata": {"id": "reply-r-1"}},
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": "a2", "metadata": {"id": "reply-r-2"}},
    ]
    assert render.reply_id_at(messages, 1) == "r-1"  # the chatbot reports the bubble's first message
    assert render.reply_id_at(messages, 4) == "r-2"
    assert render.reply_id_at(messages, 0) is None
    assert render.feedback_values(messages, {"r-2": -1}) == [None, "Dislike"]
    assert render.feedback_values(messages, {"r-1": 1, "r-2": "Like"}) == ["Like", "Like"]


def test_history_is_drawn_exactly_as_the_live_answer_was(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    figure = _png(artifacts)
    reply = Reply(
        "r-9",
        "Attention weighs tokens [1].",
        [CITATION],
        [ToolCall("attention_demo", {"sentence": "The cat sat"}, seconds=0.5)],
        [Artifact("image", figure, "heatmap")],
    )
    live = render.TurnView("h0", artifacts)
    live.add(StreamEvent("reply", reply=reply))
    messages = render.history_messages([HistoryEntry("What is attention?", reply)], artifacts)
    assert messages == [{"role": "user", "content": "What is attention?"}, *live.messages()]
    assert render.reply_id_at(messages, 1) == "r-9"
    assert any("Sources" in str(m["content"]) for m in messages)
    assert {"path": str(figure.resolve()), "alt_text": "heatmap"} in [m["content"] for m in messages]


def test_uploads_accept_documents_and_refuse_the_rest_with_the_loaders_reasons(tmp_path: Path) -> None:
    good = tmp_path / "notes.md"
    good.write_text("# Title\nSome text.")
    text = tmp_path / "plain.TXT"
    text.write_text("plain words")
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4 parsed only while indexing")
    page = tmp_path / "saved.html"
    page.write_text("<html><body><p>A saved page.</p></body></html>")
    slides = tmp_path / "slides.pptx"
    slides.write_bytes(b"PK\x03\x04")
    liar = tmp_path / "liar.pdf"
    liar.write_text("# Markdown wearing a .pdf name")
    big = tmp_path / "big.md"
    big.write_text("x" * 2_000)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    checked = check_uploads([good, text, pdf, page, slides, liar, big, binary], max_bytes=1_000)
    assert checked.accepted == [good, text, pdf, page]
    reasons = " | ".join(checked.refused)
    assert "slides.pptx: only .md, .markdown, .txt, .pdf, .html, .htm files" in reasons
    assert "liar.pdf: not a PDF" in reasons
    assert "big.md: 2000 bytes is over the 1000-byte limit" in reasons
    assert "bin.txt: not UTF-8" in reasons
    assert str(tmp_path) not in reasons  # names only: the server's folders stay private


def test_stored_upload_names_cannot_escape_the_uploads_folder(tmp_path: Path) -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("my notes (v2).md") == "my-notes-v2-.md"
    source = tmp_path / "in" / "a b.md"
    source.parent.mkdir()
    source.write_text("hello")
    (stored,) = store_uploads([source], tmp_path / "uploads")
    assert stored.parent == tmp_path / "uploads" and stored.read_text() == "hello"


def test_auth_must_be_user_colon_password() -> None:
    from agent.ui.app import parse_auth

    assert parse_auth("ann:s3:cret") == ("ann", "s3:cret")
    assert parse_auth(None) is None
    for bad in ("ann", ":pw", "ann:"):
        with pytest.raises(ValueError, match="USER:PASS"):
            parse_auth(bad)


def test_launch_serves_files_only_from_the_artifacts_folder_on_loopback(shared_agent: Agent) -> None:
    from agent.ui.app import ChatPage, launch_options

    page = ChatPage(shared_agent)
    options = launch_options(page, "127.0.0.1", 7860, None, mcp=False, share=False)
    assert options["allowed_paths"] == [str((shared_agent.home / "artifacts").resolve())]
    assert options["server_name"] == "127.0.0.1" and options["share"] is False
    assert options["max_file_size"] == page.settings.max_upload_bytes


def test_only_the_tools_are_public_endpoints_and_answers_are_queued(shared_agent: Agent) -> None:
    from agent.ui.app import CHAT_CONCURRENCY, build_app
    from tools.registry import discover

    demo = build_app(shared_agent)
    public = sorted(fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public")
    assert public == sorted(d.name for d in discover() if d.mcp)
    # unqueued: Gradio calls them with the caller's own request (an MCP call under --auth included)
    assert not any(fn.queue for fn in demo.fns.values() if fn.api_visibility == "public")
    chat = [fn for fn in demo.fns.values() if fn.concurrency_id == "chat"]
    assert chat and all(fn.concurrency_limit == CHAT_CONCURRENCY for fn in chat)
    assert demo._queue.max_size is not None


def test_ui_command_parses_its_options_and_refuses_bad_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.cli.ui import register

    calls: list[dict] = []
    monkeypatch.setattr("agent.ui.app.launch", lambda **kw: calls.append(kw))
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a second command keeps "ui" a named subcommand
    runner = CliRunner()
    result = runner.invoke(app, ["ui", "--port", "7999", "--auth", "ann:pw", "--auth", "bob:pw2", "--mcp"])
    assert result.exit_code == 0, result.output
    pairs = [("ann", "pw"), ("bob", "pw2")]  # every pair kept, not only the last
    expected = {
        "host": "127.0.0.1",
        "port": 7999,
        "auth": pairs,
        "auth_file": None,
        "mcp": True,
        "share": False,
    }
    assert calls == [expected]
    bad = runner.invoke(app, ["ui", "--auth", "nopassword"])
    assert bad.exit_code != 0 and "USER:PASS" in bad.output
    twice = runner.invoke(app, ["ui", "--auth", "ann:pw", "--auth", "ann:other"])
    assert twice.exit_code != 0 and "more than once" in twice.output
    reserved = runner.invoke(app, ["ui", "--auth", "mcp:pw"])
    assert reserved.exit_code != 0 and "reserved" in reserved.output


# --- clarifying questions: choice buttons ---------------------------------------------------------------

CHOICES = [
    Choice("Explain it from my notes", "Explain it from my notes: bark", "search_notes"),
    Choice("Say it out loud", "Say it out loud: bark", "generate_audio"),
]


class ChoosingAgent:
    """A stand-in for ``agent.Agent`` with what a choice click uses: answers, or refuses as the Agent does."""

    def __init__(self, home: Path, refuse: str | None = None) -> None:
        self.home = home
        self.settings = load_settings(home=home)
        self.refuse = refuse
        self.calls: list[tuple[str, int, str, str | None]] = []

    def stream_choice(
        self, reply_id: str, index: int, user: str = "default", session: str | None = None
    ) -> Iterator[StreamEvent]:
        self.calls.append((reply_id, index, user, session))
        if self.refuse:
            raise ValueError(self.refuse)
        yield StreamEvent("token", text="Bark is ")
        yield StreamEvent("reply", reply=Reply("r-2", "Bark is a text-to-speech model [1].", [CITATION]))


def _choosing_page(home: Path, refuse: str | None = None) -> tuple[object, ChoosingAgent]:
    from agent.ui.app import ChatPage

    agent = ChoosingAgent(home, refuse)
    return ChatPage(agent), agent  # type: ignore[arg-type]


def _offer() -> dict:
    return render.choice_offer(Reply("r-1", "Do you want me to ...? Pick one below.", choices=CHOICES))


def test_a_reply_with_choices_offers_them_to_the_buttons(tmp_path: Path) -> None:
    assert _offer() == {
        "reply_id": "r-1",
        "choices": [{"label": c.label, "message": c.message} for c in CHOICES],
    }
    assert render.choice_offer(Reply("r-3", "An answer.")) == {}
    view = render.TurnView("t1", tmp_path)
    view.add(StreamEvent("reply", reply=Reply("r-1", "Pick one below.", choices=CHOICES)))
    assert view.offer == _offer()


def test_choice_buttons_show_the_labels_and_hide_the_rest() -> None:
    from agent.ui.turns import choice_buttons

    shown, second, third = choice_buttons(_offer())
    assert (shown["value"], shown["visible"]) == ("Explain it from my notes", True)
    assert (second["value"], second["visible"]) == ("Say it out loud", True)
    assert third["visible"] is False and "value" not in third
    assert all(update["visible"] is False for update in choice_buttons({}))


def test_picking_a_choice_streams_its_message_as_the_users_turn_then_hides_the_buttons(
    tmp_path: Path,
) -> None:
    page, agent = _choosing_page(tmp_path)
    conv = [{"role": "user", "content": "bark"}, render.answer_message("r-1", "Pick one below.")]
    ident = {"session": "s1"}
    outputs = list(page.picker(1)(_offer(), ident, conv, {}, _as("web-ann", page)))
    assert agent.calls == [("r-1", 1, "web-ann", "s1")]
    bot, kept, who, status, offer, *buttons = outputs[-1]
    assert kept[len(conv)] == {"role": "user", "content": "Say it out loud: bark"}
    assert kept[-1]["metadata"]["id"] == "reply-r-2" and who == ident
    assert status.startswith("Answered in") and offer == {}
    assert all(update["visible"] is False for update in buttons)
    assert outputs[0][3] == "Thinking…"  # the chosen message shows at once, before the answer


def test_a_refused_choice_is_said_in_the_status_line_and_changes_nothing(tmp_path: Path) -> None:
    refusal = "reply 'r-1' is not one of 'web-bob''s replies, so it has no choices to pick"
    page, _ = _choosing_page(tmp_path, refuse=refusal)
    conv = [{"role": "user", "content": "hi"}]
    *_, (bot, kept, _, status, offer, *buttons) = page.pick(0, _offer(), {}, conv, {}, _as("bob"))
    assert status == f"⚠️ Choice not taken: {refusal}" and "Traceback" not in status
    assert kept == conv and offer == {}
    assert all(update["visible"] is False for update in buttons)
    # a stale button (no choice behind it) never reaches the agent
    stale, agent = _choosing_page(tmp_path)
    *_, (_, kept, _, status, *_rest) = stale.pick(2, _offer(), {}, conv, {}, _as("bob"))
    assert agent.calls == [] and kept == conv and "no longer on offer" in status


def test_a_choice_of_another_users_reply_is_refused_by_the_real_agent(shared_agent: Agent) -> None:
    from agent.ui.app import ChatPage

    reply = shared_agent.chat(clarifying_message(shared_agent), user="ui-alice", session="s")
    offer = render.choice_offer(reply)
    assert offer, reply.text
    page = ChatPage(shared_agent)
    *_, (_, kept, _, status, *_rest) = page.pick(0, offer, {"session": "s"}, [], {}, _as("ui-mallory"))
    assert status.startswith("⚠️ Choice not taken:") and "ui-mallory" in status and kept == []


def test_the_examples_are_each_tools_showcase_from_the_registry(shared_agent: Agent) -> None:
    import json

    from agent.ui.app import build_app
    from agent.ui.page import showcase_examples
    from tools.registry import discover

    declarations = discover()
    examples = showcase_examples(declarations)
    assert examples == [d.showcase for d in declarations] and len(examples) == len(declarations)
    demo = build_app(shared_agent)
    config = json.dumps(demo.config, default=str)
    assert all(json.dumps(example)[1:-1] in config for example in examples)
    ids = {getattr(block, "elem_id", None) for block in demo.blocks.values()}
    assert {f"choice-{i}" for i in range(render.MAX_CHOICES)} <= ids


# --- feedback: thumbs and reasons ------------------------------------------------------------------------


def test_each_reason_becomes_a_dislike_whose_comment_the_learners_read() -> None:
    from agent.feedback.learners import comment_cues

    Rating = reasons.Rating
    assert reasons.FEEDBACK_OPTIONS == (
        "Like",
        "Dislike",
        "Too long",
        "Too short",
        "Wrong tool",
        "Wrong answer",
        "Other",
    )
    assert reasons.rating(True) == Rating("Like", 1)
    assert reasons.rating(False, " more examples ") == Rating("Dislike", -1, "more examples")
    assert reasons.rating("Too long") == Rating("Too long", -1, "too long")
    assert comment_cues(reasons.rating("Too long").comment).length == -1  # type: ignore[union-attr]
    assert comment_cues(reasons.rating("Too short").comment).length == 1  # type: ignore[union-attr]
    assert reasons.rating("Wrong tool", "I wanted the attention heatmap") == Rating(
        "Wrong tool", -1, "wrong tool. I wanted the attention heatmap"
    )
    assert reasons.rating("Wrong answer", "", " GPT-2 read WebText ") == Rating(
        "Wrong answer", -1, "wrong answer", "GPT-2 read WebText"
    )
    assert reasons.rating("Other", "the maths is off") == Rating("Other", -1, "the maths is off")
    assert reasons.rating("Other") == Rating("Other", -1)
    # a choice taken back ("") or an option the page never offered records nothing
    assert reasons.rating("") is None and reasons.rating("Bogus") is None and reasons.rating(None) is None


def _liked(option: bool | str, index: int = 1) -> object:
    import gradio as gr

    return gr.LikeData(None, {"index": index, "value": [], "liked": option})


def _answered(agent: Agent, question: str, user: str, session: str = "s") -> tuple[Reply, list[dict]]:
    reply = agent.chat(question, user=user, session=session)
    return reply, [{"role": "user", "content": question}, render.answer_message(reply.id, reply.text)]


def test_a_reason_under_an_answer_teaches_the_agent_what_it_says(shared_agent: Agent) -> None:
    from agent.ui.app import ChatPage

    page = ChatPage(shared_agent)
    ident, me = {"session": "s"}, _as("ui-reasons")
    events = shared_agent.feedback_service.store.events
    reply, conv = _answered(shared_agent, "What is self-attention?", "ui-reasons")

    note, pending, given, comment, correction, style = page.like(
        _liked("Too long"), conv, {}, "", "", ident, me
    )
    assert note.startswith("✅ Feedback recorded (👎 Too long).")
    assert pending == {"reply_id": reply.id, "liked": "Too long"} and given == {reply.id: "Too long"}
    assert events("ui-reasons")[-1].comment == "too long"
    assert shared_agent.style_for("ui-reasons").detail == "brief" and "brief" in style
    assert render.feedback_values(conv, given) == ["Too long"]  # the chatbot keeps the flag chosen

    reply, conv = _answered(shared_agent, "What is positional encoding?", "ui-reasons")
    note, *_ = page.like(_liked("Wrong tool"), conv, {}, "I wanted the attention heatmap", "", ident, me)
    assert note.startswith("✅ Feedback recorded (👎 Wrong tool), with your comment")
    last = events("ui-reasons")[-1]
    assert (last.reply_id, last.comment) == (reply.id, "wrong tool. I wanted the attention heatmap")
    assert last.wanted_tool == "attention_demo"

    _, pending, *_ = page.like(_liked("Wrong answer"), conv, {}, "", "", ident, me)
    fact = "Positional encoding adds each token's position to its embedding."
    note, comment, correction, _ = page.send_comment("", fact, pending, ident, me)
    assert note.startswith("✅ Feedback recorded (👎 Wrong answer), with your comment") and correction == ""
    last = events("ui-reasons")[-1]
    assert (last.score, last.comment, last.correction) == (-1, "wrong answer", fact)

    before = len(events("ui-reasons"))
    assert page.like(_liked(""), conv, given, "", "", ident, me)[1] is None  # the flag taken back
    assert len(events("ui-reasons")) == before

    style, note = page.reset_preferences(ident, me)
    assert (
        note == "✅ Learned preferences reset." and shared_agent.style_for("ui-reasons").detail == "detailed"
    )


def test_a_reload_after_a_restart_shows_sources_figures_and_the_last_choices(fresh_agent: Agent) -> None:
    from agent.ui.app import ChatPage

    ident = {"user": "ui-reload", "session": "s"}
    shown = fresh_agent.chat("show me attention in 'The cat sat on the mat'", **ident)
    asked = fresh_agent.chat(clarifying_message(fresh_agent), **ident)
    assert shown.citations and shown.artifacts and asked.choices, (shown, asked)

    restarted = Agent(home=fresh_agent.home)
    history = restarted.history("ui-reload", "s")
    assert [(e.question, e.reply.id) for e in history] == [
        ("show me attention in 'The cat sat on the mat'", shown.id),
        (clarifying_message(fresh_agent), asked.id),
    ]
    assert history[0].reply.citations == shown.citations and history[0].reply.artifacts == shown.artifacts
    assert history[1].reply.choices == asked.choices

    _, _, conv, _, _, status, offer, *buttons = ChatPage(restarted).load({"session": "s"}, _as("ui-reload"))
    assert status == "Ready: conversation restored (2 answers)."
    contents = [m["content"] for m in conv]
    assert any("**Sources**" in str(c) for c in contents)
    figure = shown.artifacts[0]
    assert {"path": str(Path(figure.path).resolve()), "alt_text": figure.caption} in contents
    assert any("attention_demo" in str(m.get("metadata", {}).get("title", "")) for m in conv)
    assert offer == render.choice_offer(asked) and buttons[0]["visible"] is True


def test_a_thumb_on_another_users_reply_is_refused_and_says_why(shared_agent: Agent) -> None:
    from agent.ui.app import ChatPage

    page = ChatPage(shared_agent)
    reply, conv = _answered(shared_agent, "What is a neuron?", "ui-owner")
    stranger = _as("ui-stranger")
    note, pending, given, *_ = page.like(_liked(False), conv, {}, "too long", "", {"session": "s"}, stranger)
    assert note.startswith("⚠️ Feedback not recorded:") and "not one of 'ui-stranger''s replies" in note
    assert pending is None and given == {}
    note, *_ = page.send_comment("", "a correction", {"reply_id": reply.id, "liked": False}, {}, stranger)
    assert note.startswith("⚠️ Feedback not recorded:")
    assert shared_agent.feedback_service.store.events("ui-owner") == []
