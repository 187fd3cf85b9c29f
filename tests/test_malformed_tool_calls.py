"""A server model that writes malformed tool-call JSON: the model is told, the loop goes on.

The model is a real ``openai:`` backend (langchain-openai) talking to a scripted
OpenAI-compatible server on 127.0.0.1, so the malformed arguments go through the
same parsing as they would from vLLM, Ollama or a hosted API.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from agent import Agent

MALFORMED = '{"query": self-attention}'  # unquoted: no lenient parser can repair it


@dataclass
class Script:
    """What the server answers, in order; the last answer repeats. Requests are recorded."""

    answers: list[dict[str, Any]]
    requests: list[dict[str, Any]] = field(default_factory=list)

    def next_answer(self) -> dict[str, Any]:
        return self.answers[min(len(self.requests) - 1, len(self.answers) - 1)]


def tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"tool_call": {"id": call_id, "name": name, "arguments": arguments}}


def text(content: str) -> dict[str, Any]:
    return {"text": content}


def _chunks(answer: dict[str, Any]) -> Iterator[dict[str, Any]]:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "scripted"}
    if "tool_call" in answer:
        call = answer["tool_call"]
        delta = {
            "role": "assistant",
            "tool_calls": [
                {
                    "index": 0,
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": call["arguments"]},
                }
            ],
        }
        finish = "tool_calls"
    else:
        delta = {"role": "assistant", "content": answer["text"]}
        finish = "stop"
    yield {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}


def _completion(answer: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.get("text")}
    if "tool_call" in answer:
        call = answer["tool_call"]
        message["tool_calls"] = [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": call["arguments"]},
            }
        ]
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if "tool_call" in answer else "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@pytest.fixture
def scripted_server() -> Iterator[tuple[str, Script]]:
    script = Script(answers=[])

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            script.requests.append(body)
            answer = script.next_answer()
            if body.get("stream"):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in _chunks(answer):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
            else:
                payload = json.dumps(_completion(answer)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    finally:
        server.shutdown()
        server.server_close()


def _agent(tmp_path: Path, url: str) -> Agent:
    agent = Agent(home=tmp_path / "home", llm=f"openai:{url}#scripted")
    assert agent.native_tools  # the server model chooses tools itself
    return agent


def test_malformed_arguments_go_back_as_a_tool_error_and_the_corrected_call_runs(
    tmp_path: Path, scripted_server: tuple[str, Script]
) -> None:
    url, script = scripted_server
    script.answers = [
        tool_call("call_bad", "search_notes", MALFORMED),
        tool_call("call_good", "search_notes", '{"query": "self-attention"}'),
        text("Self-attention lets every token weigh every other token in the sequence [1]."),
    ]
    reply = _agent(tmp_path, url).chat("What is self-attention?", user="u", session="s")

    assert len(script.requests) == 3
    retry = script.requests[1]["messages"]
    told = [m for m in retry if m["role"] == "tool" and m.get("tool_call_id") == "call_bad"]
    assert told and "not valid JSON" in told[0]["content"]
    asked = [m for m in retry if m["role"] == "assistant" and m.get("tool_calls")]
    assert asked and asked[0]["tool_calls"][0]["id"] == "call_bad"  # the error pairs with its call

    by_id = {call.id: call for call in reply.tool_calls}
    assert by_id["call_bad"].ok is False and "not valid JSON" in (by_id["call_bad"].error or "")
    assert by_id["call_good"].ok is True and by_id["call_good"].args == {"query": "self-attention"}
    assert reply.citations and any("Self-Attention" in c.section for c in reply.citations)
    assert "Traceback" not in reply.text


def test_a_model_that_never_writes_valid_json_gets_a_clear_reply(
    tmp_path: Path, scripted_server: tuple[str, Script]
) -> None:
    url, script = scripted_server
    script.answers = [tool_call("call_bad", "search_notes", MALFORMED)]
    reply = _agent(tmp_path, url).chat("What is self-attention?", user="u", session="s")

    assert len(script.requests) == 3  # the first answer and two chances to correct it
    assert "search_notes" in reply.text and "not valid JSON" in reply.text
    assert "Traceback" not in reply.text and not reply.citations
    assert reply.tool_calls and all(not call.ok for call in reply.tool_calls)
