"""The agent loop: several steps, tool errors as messages, step limits, memory across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from agent import Agent
from agent.loop import cap_history
from agent.memory import thread_id
from agent.router_model import RouterChatModel


def test_hub_and_notes_request_runs_both_tools_and_answers_from_both(shared_agent: Agent) -> None:
    reply = shared_agent.chat(
        "Look gpt2 up on the Hub and compare it with what the notes say", user="l", session="multi"
    )
    assert [t.name for t in reply.tool_calls] == ["hub_lookup", "search_notes"]
    assert all(t.ok for t in reply.tool_calls)
    assert "WebText" in reply.text  # from the notes
    assert any("Hugging Face" in c.section for c in reply.citations)


def test_tool_input_errors_come_back_as_clear_messages(shared_agent: Agent) -> None:
    reply = shared_agent.chat("Train a network on xor for 99999 epochs", user="l", session="err")
    call = reply.tool_calls[0]
    assert call.name == "training_demo" and not call.ok
    assert "epochs" in (call.error or "")
    assert "Traceback" not in reply.text and "epochs" in reply.text


def test_unknown_tools_and_bad_arguments_become_tool_errors(tmp_path: Path) -> None:
    from langchain.agents import create_agent
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    from agent.toolset import build_tools
    from tools.registry import discover

    class Scripted(GenericFakeChatModel):
        def bind_tools(self, tools, **kwargs):  # noqa: ANN001, ANN003, ANN201
            return self

    script = iter(
        [
            AIMessage("", tool_calls=[{"name": "no_such_tool", "args": {}, "id": "c1"}]),
            AIMessage("", tool_calls=[{"name": "training_demo", "args": {"epochs": "many"}, "id": "c2"}]),
            AIMessage("done"),
        ]
    )
    tools = build_tools([d for d in discover() if d.name == "training_demo"], timeout_s=30)
    graph = create_agent(Scripted(messages=script), tools=tools)
    messages = graph.invoke({"messages": [HumanMessage("go")]})["messages"]
    errors = [m for m in messages if isinstance(m, ToolMessage)]
    assert [m.status for m in errors] == ["error", "error"]
    assert "no_such_tool" in str(errors[0].content)
    assert "epochs" in str(errors[1].content)
    assert messages[-1].content == "done"


def test_a_slow_tool_is_reported_as_over_its_time_limit(tmp_path: Path) -> None:
    import threading

    from pydantic import BaseModel

    from agent.toolset import call_tool
    from tools.base import ToolContext, ToolResult
    from tools.registry import Example, ToolDeclaration

    class NoArgs(BaseModel):
        pass

    release = threading.Event()
    slow = ToolDeclaration(
        name="slow_tool",
        description="Waits.",
        args=NoArgs,
        run=lambda ctx, args: ToolResult(text=str(release.wait(30))),
        examples=(Example("wait"),),
        extract=lambda text: {},
        offer="Wait",
    )
    try:
        call_tool(slow, ToolContext(tmp_path), {}, 0.05)
    except Exception as exc:
        message = str(exc)
    else:
        message = ""
    finally:
        release.set()
    assert "slow_tool exceeded its time limit of 0.05 s" in message


def test_the_step_limit_ends_with_an_honest_answer(tmp_path: Path) -> None:
    agent = Agent(home=tmp_path / "home")
    agent.settings.max_steps = 1
    from agent.loop import build_graph
    from agent.memory import open_checkpointer
    from agent.router_model import RouterChatModel as Model

    agent._graph = build_graph(
        Model(router=agent.router), agent.tools, open_checkpointer(tmp_path / "m.sqlite3"), 1, 20
    )
    reply = agent.chat("What is self-attention?", user="s", session="limit")
    assert reply.text.startswith("I stopped after 1 steps")
    assert "search_notes" in reply.text


def test_the_step_limit_counts_only_the_current_turns_model_calls(tmp_path: Path) -> None:
    from agent.loop import STEP_LIMIT_MARK, StepLimit, build_graph
    from agent.memory import open_checkpointer
    from agent.router_model import RouterChatModel as Model

    agent = Agent(home=tmp_path / "home")
    agent.settings.max_steps = 2  # a search and its answer: exactly enough for one turn
    agent._graph = build_graph(
        Model(router=agent.router), agent.tools, open_checkpointer(tmp_path / "m.sqlite3"), 2, 20
    )
    for question in ("What is self-attention?", "What is positional encoding?", "What is a neuron?"):
        reply = agent.chat(question, user="s", session="same")  # earlier turns' calls must not count
        assert not reply.text.startswith("I stopped") and reply.citations, question
    state = agent._graph.get_state({"configurable": {"thread_id": thread_id("s", "same")}})
    assert not any(STEP_LIMIT_MARK in str(m.content) for m in state.values["messages"])
    with pytest.raises(ValueError, match="at least 1"):
        StepLimit(0)


def test_memory_survives_a_restart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Agent(home=home).chat("What was GPT-2 trained on?", user="m", session="restart")
    reply = Agent(home=home).chat("What sizes does it come in?", user="m", session="restart")
    assert "117M" in reply.text
    other = Agent(home=home).chat("What sizes does it come in?", user="someone-else", session="restart")
    assert "117M" not in other.text


def test_history_cap_keeps_whole_turns() -> None:
    messages = [SystemMessage("sys")]
    for i in range(10):
        messages += [
            HumanMessage(f"q{i}"),
            AIMessage("", tool_calls=[{"name": "t", "args": {}, "id": f"c{i}"}]),
        ]
        messages += [ToolMessage("r", tool_call_id=f"c{i}"), AIMessage(f"a{i}")]
    capped = cap_history(messages, 6)
    assert isinstance(capped[0], SystemMessage)
    assert isinstance(capped[1], HumanMessage) and capped[1].content == "q9"
    assert len(capped) <= 7


def test_router_model_answers_from_tool_results_word_for_word() -> None:
    model = RouterChatModel()
    messages = [
        HumanMessage("q"),
        AIMessage("", tool_calls=[{"name": "x", "args": {}, "id": "1"}]),
        ToolMessage("The answer [1]", tool_call_id="1", name="x"),
    ]
    assert model.invoke(messages).content == "The answer [1]"
    chunks = list(model.stream(messages))
    assert "".join(c.content for c in chunks) == "The answer [1]" and len(chunks) > 1


def test_generated_text_streams_token_by_token_through_the_agent(shared_agent: Agent) -> None:
    message = 'Generate text: "Write a story about a robot." with 24 tokens and temperature 0'
    events = list(shared_agent.stream(message, user="gen", session="stream"))
    kinds = [e.kind for e in events]
    start, end = kinds.index("tool_start"), kinds.index("tool_end")
    streamed = [e.text for e in events[start:end] if e.kind == "token"]
    assert len(streamed) >= 12  # one event per generated token, while the tool runs
    reply = events[-1].reply
    assert reply is not None and reply.tool_calls[0].name == "generate_text"
    assert "".join(streamed).strip() in reply.text
