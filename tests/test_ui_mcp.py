"""``attentive ui --mcp``: the tools served over Gradio's MCP endpoint, called by a real MCP client."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from page_support import running_page

from tools.registry import discover

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mcp_url(shared_agent: object) -> Iterator[str]:
    with running_page(shared_agent, mcp=True) as page:
        yield f"{page.url}/gradio_api/mcp/"


async def _session_call(url: str, action: str, *args: object, cookies: object = None) -> object:
    import httpx
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with (
        httpx.AsyncClient(cookies=cookies, timeout=120) as http,
        streamable_http_client(url, http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        return await getattr(session, action)(*args)


async def test_mcp_lists_exactly_the_tools_with_typed_arguments(mcp_url: str) -> None:
    listed = await _session_call(mcp_url, "list_tools")
    tools = {tool.name: tool for tool in listed.tools}
    assert set(tools) == {d.name for d in discover() if d.mcp}  # no chat-page handler leaks out as a tool
    attention = tools["attention_demo"].inputSchema
    assert attention["required"] == ["sentence"]
    assert "integer" in str(attention["properties"]["layer"])
    assert "0..5" in attention["properties"]["layer"]["description"]
    assert "real transformer" in tools["attention_demo"].description


async def test_mcp_search_notes_returns_quotes_of_the_notes(mcp_url: str, notes_text: str) -> None:
    result = await _session_call(
        mcp_url, "call_tool", "search_notes", {"query": "What is positional encoding?"}
    )
    assert not result.isError
    text = "\n".join(part.text for part in result.content if getattr(part, "text", None))
    assert "Sources:" in text
    quotes = re.findall(r'^- [^:]+: "(.+)"$', text, flags=re.M)
    assert quotes, text
    flat_notes = " ".join(notes_text.split())
    assert all(quote in flat_notes for quote in quotes)
    assert any("position" in quote.lower() for quote in quotes)


async def test_mcp_bad_argument_comes_back_as_a_readable_error(mcp_url: str) -> None:
    args = {"sentence": "The cat sat on the mat", "layer": 9}
    result = await _session_call(mcp_url, "call_tool", "attention_demo", args)
    text = "\n".join(part.text for part in result.content if getattr(part, "text", None))
    assert result.isError  # flagged, so a client knows the call failed without reading the text
    assert "layer must be 0..5" in text and "Traceback" not in text


async def test_mcp_results_name_files_inside_the_artifacts_folder(mcp_url: str, shared_agent: object) -> None:
    args = {"sentence": "The cat sat on the mat"}
    result = await _session_call(mcp_url, "call_tool", "attention_demo", args)
    assert not result.isError
    text = "\n".join(part.text for part in result.content if getattr(part, "text", None))
    named = re.findall(r"^\[image\] [^\n]*: (\S+)$", text, flags=re.M)
    assert named and all(not name.startswith("/") for name in named), text
    assert str(shared_agent.home) not in text  # type: ignore[attr-defined]
    artifacts = shared_agent.home / "artifacts"  # type: ignore[attr-defined]
    assert all((artifacts / name).is_file() for name in named)


async def test_with_a_login_the_mcp_tool_list_needs_it(shared_agent: object) -> None:
    import httpx

    with running_page(shared_agent, mcp=True, auth=("alice", "secret")) as page:
        base = page.url
        async with httpx.AsyncClient() as http:
            for path in ("/gradio_api/mcp/", "/gradio_api/mcp/schema", "/gradio_api/mcp/sse"):
                assert (await http.get(base + path)).status_code == 401, path
            listed = await http.post(
                base + "/gradio_api/mcp/",
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={"accept": "application/json, text/event-stream"},
            )
            assert listed.status_code == 401 and "attention_demo" not in listed.text
            wrong = await http.post(base + "/login", data={"username": "alice", "password": "nope"})
            assert wrong.status_code >= 400
            login = await http.post(base + "/login", data={"username": "alice", "password": "secret"})
            assert login.status_code == 200
        tools = await _session_call(base + "/gradio_api/mcp/", "list_tools", cookies=login.cookies)
        assert {tool.name for tool in tools.tools} == {d.name for d in discover() if d.mcp}
        # and calls work too: the tools run unqueued, with the caller's own request (and login)
        query = {"query": "What is positional encoding?"}
        called = await _session_call(
            base + "/gradio_api/mcp/", "call_tool", "search_notes", query, cookies=login.cookies
        )
        text = "\n".join(part.text for part in called.content if getattr(part, "text", None))
        assert not called.isError and "Sources:" in text, text
