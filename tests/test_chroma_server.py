"""Server mode: the agent on a real Chroma server, surviving a server restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent import Agent
from bench.servers import ChromaServer

pytestmark = pytest.mark.slow


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-server")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _sources(agent: Agent, question: str, user: str) -> set[str]:
    reply = agent.chat(question, user=user, session=question)
    assert all(t.ok for t in reply.tool_calls), [t.error for t in reply.tool_calls]
    return {c.source for c in reply.citations}


def test_agent_uses_a_chroma_server_and_survives_its_restart(
    chroma_server: ChromaServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    agent = Agent(home=home, chroma_url=chroma_server.url)
    assert not (home / "chroma").exists()  # nothing embedded: the chunks live in the server

    doc = tmp_path / "kernels.md"
    doc.write_text(
        "# Kernels\n## Convolution\nA convolution slides a small kernel over an image to detect edges.\n",
        encoding="utf-8",
    )
    assert agent.index([doc]).added == 1
    question = "What does a convolution slide over an image?"
    assert "kernels.md" in _sources(agent, question, "ann")

    # The server really holds the chunks: a second client sees them.
    import chromadb

    other = chromadb.HttpClient(host="127.0.0.1", port=chroma_server.port)
    stored = other.get_collection(agent.settings.collection).get(where={"source": "kernels.md"})
    assert len(stored["ids"]) == 1

    chroma_server.stop()
    down = agent.chat(question, user="ann", session="while-down")
    (call,) = down.tool_calls  # the failure is a tool step with a message, not a crash of the agent
    assert call.name == "search_notes" and not call.ok and call.error
    chroma_server.start()
    # The same Agent, same objects: the chunks persisted on the server's folder and are found again.
    assert "kernels.md" in _sources(agent, question, "ann")
    assert agent.index([doc]).added == 0  # nothing re-written after the restart
    assert agent.forget("kernels.md") == 1
    assert "kernels.md" not in _sources(agent, question, "bob")


def test_a_bad_chroma_url_is_refused_with_its_form() -> None:
    from knowledge.store import ChunkStore

    with pytest.raises(ValueError, match="http://HOST:PORT"):
        ChunkStore(url="ftp://nowhere")
