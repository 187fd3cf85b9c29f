"""The chat page's logic without a browser: messages, thumbs, uploads, launch options, CLI."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from typer.testing import CliRunner

from agent.types import Artifact, Citation, Reply, StreamEvent, ToolCall
from agent.ui import render
from agent.ui.uploads import check_uploads, safe_name, store_uploads

CITATION = Citation(
    "Transformers > Positional Encoding", "study-notes.md", 10, 40, "Positional encodings give order"
)


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


def test_history_comes_back_as_user_and_answer_messages_with_reply_ids(tmp_path: Path) -> None:
    history = [
        {"role": "user", "content": "What is attention?", "reply_id": None},
        {
            "role": "assistant",
            "content": "Attention weighs tokens.",
            "reply_id": "r-9",
            "citations": [CITATION],
        },
    ]
    messages = render.history_messages(history, tmp_path)
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert render.reply_id_at(messages, 1) == "r-9"
    assert "Sources" in messages[1]["content"]


def test_uploads_accept_markdown_and_text_and_refuse_the_rest_with_reasons(tmp_path: Path) -> None:
    good = tmp_path / "notes.md"
    good.write_text("# Title\nSome text.")
    text = tmp_path / "plain.TXT"
    text.write_text("plain words")
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    big = tmp_path / "big.md"
    big.write_text("x" * 2_000)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    checked = check_uploads([good, text, pdf, big, binary], max_bytes=1_000)
    assert checked.accepted == [good, text]
    reasons = " | ".join(checked.refused)
    assert "paper.pdf: only .md and .txt" in reasons
    assert "big.md: 0.0 MB is over the 0.001 MB limit" in reasons
    assert "bin.txt: not UTF-8" in reasons


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


def test_launch_serves_files_only_from_the_artifacts_folder_on_loopback(tmp_path: Path) -> None:
    from agent.ui.adapter import PageAgent
    from agent.ui.app import launch_options

    page = PageAgent(SimpleNamespace(home=tmp_path))
    options = launch_options(page, "127.0.0.1", 7860, None, mcp=False, share=False)
    assert options["allowed_paths"] == [str((tmp_path / "artifacts").resolve())]
    assert options["server_name"] == "127.0.0.1" and options["share"] is False
    assert options["max_file_size"] == page.settings.max_upload_bytes


def test_only_the_tools_are_public_endpoints_and_answers_are_queued(tmp_path: Path) -> None:
    from agent.ui.app import CHAT_CONCURRENCY, build_app
    from agent.ui.mcp_tools import MCP_TOOL_NAMES

    demo = build_app(SimpleNamespace(home=tmp_path, backend_description="stand-in backend"))
    public = sorted(fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public")
    assert public == sorted(MCP_TOOL_NAMES)
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
    result = runner.invoke(app, ["ui", "--port", "7999", "--auth", "ann:pw", "--mcp"])
    assert result.exit_code == 0, result.output
    assert calls == [{"host": "127.0.0.1", "port": 7999, "auth": ("ann", "pw"), "mcp": True, "share": False}]
    bad = runner.invoke(app, ["ui", "--auth", "nopassword"])
    assert bad.exit_code != 0 and "USER:PASS" in bad.output
