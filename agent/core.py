"""``Agent``: the one Python API every face talks to (CLI, chat page, evaluation).

It wires knowledge, tools, the router, the loop, memory and feedback together,
and turns what the loop streams into plain records (``Reply``, ``ToolCall``,
``Artifact``, ``Citation``). Nothing below it knows there is a face.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from agent.settings import Settings, load_settings
from agent.types import IndexReport, Reply, StreamEvent, ToolCall
from knowledge.answer import AnswerStyle
from tools.base import Artifact, ToolContext, ToolResult

EMPTY_REPLY = (
    'Ask me anything about your study notes: for example "What is self-attention?", '
    '"Show me attention in \'The cat sat on the mat\'" or "Look up gpt2 on the Hub".'
)
NO_WORDS_REPLY = (
    'I could not find a question in that message. Try a few words, for example "What is positional encoding?"'
)
CORRECTION_PREFIX = "You corrected this earlier: "


class Agent:
    """A tutor-agent over a data home. Thread-safe: many users may chat at once."""

    def __init__(
        self,
        home: Path | str | None = None,
        *,
        llm: str | None = None,
        tool_choice: str | None = None,
        chroma_url: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or load_settings(
            home=Path(home) if home is not None else None,
            llm=llm,
            tool_choice=tool_choice,
            chroma_url=chroma_url,
        )
        self.home = Path(self.settings.home).expanduser()
        self.home.mkdir(parents=True, exist_ok=True)

        from agent.backends import backend_supports_native_tools, describe, load_chat_model
        from agent.feedback import FeedbackService
        from agent.loop import build_graph
        from agent.memory import open_checkpointer
        from agent.router import EmbeddingRouter
        from agent.router_model import RouterChatModel
        from agent.toolset import build_tools
        from knowledge.embeddings import configure, embed
        from knowledge.model_cache import use_model_cache
        from knowledge.notes import NotesKnowledge

        s = self.settings
        use_model_cache(s.model_cache)
        configure(s.embedding_runtime, s.n_threads)
        self.knowledge = NotesKnowledge(self.home, s.chroma_url, s.collection, s.max_upload_bytes)
        self.router = EmbeddingRouter(embed)
        self.feedback_service = FeedbackService(
            self.home,
            embed,
            classify_tool=self.router.classify,
            learn_route=self.router.learn,
            default_style=s.default_style,
            max_comment_chars=s.max_comment_chars,
        )
        for question, tool, user in self.feedback_service.learned_routes():
            self.router.learn(question, tool, user)

        chat_model = load_chat_model(s.llm, n_threads=s.n_threads, max_tokens=min(512, s.max_new_tokens))
        native = backend_supports_native_tools(chat_model)
        self.native_tools = s.tool_choice == "native" or (s.tool_choice == "auto" and native)
        model = (
            chat_model if self.native_tools else RouterChatModel(router=self.router, text_model=chat_model)
        )
        self.backend_description = f"{describe(s.llm)}; tools chosen by {'the model' if self.native_tools else 'the embedding router'}"
        self.tools = build_tools(self.knowledge, s.tool_timeout_s)
        self._graph = build_graph(
            model,
            self.tools,
            open_checkpointer(self.home / "memory.sqlite3"),
            s.max_steps,
            s.max_history_messages,
        )

    # --- chatting --------------------------------------------------------------------------------
    def chat(self, message: str, user: str = "default", session: str = "default") -> Reply:
        """Answer one message; the Reply carries citations, tool calls and artifacts."""
        reply = None
        for event in self.stream(message, user=user, session=session):
            if event.kind == "reply":
                reply = event.reply
        assert reply is not None
        return reply

    def stream(self, message: str, user: str = "default", session: str = "default") -> Iterator[StreamEvent]:
        """Token and tool events as they happen; the last event carries the Reply."""
        _check_name("user", user)
        _check_name("session", session)
        refusal = self._refusal(message)
        if refusal is not None:
            reply = Reply(id=_new_id(), text=refusal, user=user, session=session)
            self._remember(reply, message, None)
            yield StreamEvent("token", text=refusal)
            yield StreamEvent("reply", reply=reply)
            return
        yield from _on_own_thread(lambda: self._run_turn(message.strip(), user, session))

    def _refusal(self, message: str) -> str | None:
        if not isinstance(message, str):
            return EMPTY_REPLY
        limit = self.settings.max_message_chars
        if len(message) > limit:
            return f"That message has {len(message):,} characters; the limit is {limit:,}. Please send a shorter one."
        if not message.strip():
            return EMPTY_REPLY
        if not any(ch.isalnum() for ch in message):
            return NO_WORDS_REPLY
        return None

    def _run_turn(self, message: str, user: str, session: str) -> Iterator[StreamEvent]:
        from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage

        from agent.loop import STEP_LIMIT_MARK
        from agent.memory import thread_id
        from agent.router import current_user
        from agent.toolset import Turn, current_turn

        config = {
            "configurable": {"thread_id": thread_id(user, session)},
            "recursion_limit": 4 * self.settings.max_steps + 4,
        }
        style = self.style(user)
        turn = Turn(
            ctx=ToolContext(self.home, user),
            style=style,
            previous=self._previous_questions(config),
            rerank=lambda q, c: self.feedback_service.rerank(user, q, c),
            max_new_tokens=self.settings.max_new_tokens,
        )
        user_token = current_user.set(user)
        turn_token = current_turn.set(turn)
        calls: dict[str, ToolCall] = {}
        results: list[tuple[str, ToolResult | None]] = []
        final_text = ""
        streamed_by_tool = False
        pending_calls: list[dict[str, Any]] = []
        malformed: list[str] = []
        try:
            stream = self._graph.stream(
                {"messages": [HumanMessage(message)]},
                config,
                stream_mode=["messages", "updates", "custom"],
                durability="exit",  # one checkpoint write per turn, not one per step
            )
            for mode, chunk in stream:
                if mode == "custom" and isinstance(chunk, dict):
                    event = self._custom_event(chunk, calls)
                    if event is not None:
                        streamed_by_tool |= event.kind == "token"
                        yield event
                elif mode == "messages":
                    piece, meta = chunk
                    if (
                        isinstance(piece, AIMessageChunk)
                        and meta.get("langgraph_node") == "model"
                        and isinstance(piece.content, str)
                        and piece.content
                        and not streamed_by_tool
                    ):
                        yield StreamEvent("token", text=piece.content)
                elif mode == "updates":
                    for update in chunk.values():
                        for msg in (update or {}).get("messages", []) if isinstance(update, dict) else []:
                            if isinstance(msg, AIMessage):
                                pending_calls = list(msg.tool_calls)
                                for call in msg.tool_calls:
                                    calls.setdefault(
                                        call["id"], ToolCall(call["name"], dict(call["args"]), id=call["id"])
                                    )
                                if not msg.tool_calls:
                                    final_text = _content_text(msg.content)
                                    malformed = [c.get("name") or "a tool" for c in msg.invalid_tool_calls]
                            elif isinstance(msg, ToolMessage):
                                pending_calls = []
                                record = calls.setdefault(
                                    msg.tool_call_id, ToolCall(msg.name or "?", {}, id=msg.tool_call_id)
                                )
                                if msg.status == "error":
                                    record.ok = False
                                    record.error = _content_text(msg.content)
                                artifact = msg.artifact if isinstance(msg.artifact, ToolResult) else None
                                results.append((record.name, artifact))
        finally:
            current_turn.reset(turn_token)
            current_user.reset(user_token)

        if not final_text.strip() and malformed:
            final_text = (
                f"The model asked to run {', '.join(malformed)}, but its arguments were not valid JSON even "
                "after it was told so, so nothing ran. Please ask again, perhaps in other words."
            )
        if not final_text or final_text.startswith(STEP_LIMIT_MARK):
            final_text = self._honest_stop(pending_calls, results)
        reply = self._build_reply(message, user, session, style, final_text, list(calls.values()), results)
        yield StreamEvent("reply", reply=reply)

    def _custom_event(self, chunk: dict[str, Any], calls: dict[str, ToolCall]) -> StreamEvent | None:
        kind = chunk.get("event")
        if kind == "token":
            return StreamEvent("token", text=str(chunk.get("text", "")))
        if kind == "tool_start":
            record = calls.setdefault(
                chunk["id"], ToolCall(chunk["name"], dict(chunk.get("args") or {}), id=chunk["id"])
            )
            return StreamEvent("tool_start", tool=record)
        if kind == "tool_end":
            record = calls.setdefault(chunk["id"], ToolCall(chunk["name"], {}, id=chunk["id"]))
            record.seconds = float(chunk.get("seconds", 0.0))
            if chunk.get("error"):
                record.ok, record.error = False, str(chunk["error"])
            return StreamEvent("tool_end", tool=record)
        return None

    def _honest_stop(
        self, pending: list[dict[str, Any]], results: list[tuple[str, ToolResult | None]]
    ) -> str:
        done = [f"From {name}: {r.text}" for name, r in results if r is not None]
        head = f"I stopped after {self.settings.max_steps} steps without finishing"
        if pending:
            head += f" (next I wanted to run {', '.join(c['name'] for c in pending)})"
        return head + "." + ("\n\nWhat I found so far:\n\n" + "\n\n".join(done) if done else "")

    def _build_reply(
        self,
        question: str,
        user: str,
        session: str,
        style: AnswerStyle,
        text: str,
        tool_calls: list[ToolCall],
        results: list[tuple[str, ToolResult | None]],
    ) -> Reply:
        citations = [c for _, r in results if r is not None for c in r.citations]
        artifacts: list[Artifact] = [a for _, r in results if r is not None for a in r.artifacts]
        notes_results = [r for name, r in results if name == "search_notes" and r is not None]
        grounded = any(r.data.get("in_scope") for r in notes_results)
        if self.native_tools and notes_results:
            text = ground_model_answer(text, notes_results)
        corrections = self.feedback_service.corrections_for(user, question)
        if corrections:
            text = "\n".join(CORRECTION_PREFIX + c.text for c in corrections[:2]) + "\n\n" + text
        reply = Reply(
            id=_new_id(),
            text=text.strip() or EMPTY_REPLY,
            citations=citations,
            tool_calls=tool_calls,
            artifacts=artifacts,
            user=user,
            session=session,
            style=style.detail,
            grounded=grounded,
        )
        self._remember(reply, question, style)
        return reply

    def _remember(self, reply: Reply, question: str, style: AnswerStyle | None) -> None:
        """Keep the reply with what was served (the style itself, not just its name) for the learners."""
        self.feedback_service.remember_reply(
            reply.id,
            reply.user,
            reply.session,
            question if isinstance(question, str) else "",
            reply.text,
            json.dumps(asdict(style)) if style is not None else self.settings.default_style,
            [t.to_dict() for t in reply.tool_calls],
            [c.chunk_id for c in reply.citations],
        )

    def _previous_questions(self, config: dict[str, Any]) -> list[str]:
        from langchain_core.messages import HumanMessage

        state = self._graph.get_state(config)
        messages = (state.values or {}).get("messages", []) if state else []
        return [_content_text(m.content) for m in messages if isinstance(m, HumanMessage)][-3:]

    def run_tool(self, name: str, args: dict[str, Any], user: str = "default") -> ToolResult:
        """Run one tool directly, outside a conversation (MCP clients, scripts); errors raise ValueError."""
        from langchain_core.tools import ToolException

        from agent.toolset import Turn, current_turn

        tool = next((t for t in self.tools if t.name == name), None)
        if tool is None:
            raise ValueError(f"unknown tool {name!r}; tools: {', '.join(t.name for t in self.tools)}")
        validated = tool.args_schema.model_validate(args)  # type: ignore[union-attr]
        token = current_turn.set(Turn(ctx=ToolContext(self.home, user), style=self.style(user)))
        try:
            _text, result = tool.func(**validated.model_dump(exclude_none=True))
        except ToolException as exc:
            raise ValueError(str(exc)) from None
        finally:
            current_turn.reset(token)
        return result

    # --- feedback and preferences -----------------------------------------------------------------
    def feedback(
        self, reply_id: str, score: int, comment: str | None = None, correction: str | None = None
    ) -> Any:
        """Record feedback on a reply; it changes this user's later answers at once."""
        return self.feedback_service.feedback(reply_id, score, comment=comment, correction=correction)

    def style(self, user: str) -> AnswerStyle:
        return self.feedback_service.style_for(user)

    def style_for(self, user: str) -> str:
        """The learned answer style, in words, for the settings panel."""
        return self.style(user).describe()

    def reset_preferences(self, user: str) -> None:
        self.feedback_service.reset(user)
        self.router.forget_user(user)

    def history(self, user: str, session: str) -> list[dict[str, Any]]:
        """The conversation as the chat page shows it after a reload."""
        out: list[dict[str, Any]] = []
        for record in self.feedback_service.store.replies(user, session):
            out.append({"role": "user", "content": record.question, "reply_id": None})
            out.append({"role": "assistant", "content": record.text, "reply_id": record.id})
        return out

    def feedback_given(self, user: str, session: str) -> dict[str, int]:
        return self.feedback_service.store.scores(user, session)

    # --- knowledge ---------------------------------------------------------------------------------
    def index(self, paths: list[Path | str] | Path | str) -> IndexReport:
        """Index documents (.md/.txt); bad files are named in ``report.errors``, the rest still indexed."""
        if isinstance(paths, (str, Path)):
            paths = [paths]
        return self.knowledge.index([Path(p) for p in paths])

    def forget(self, source: str) -> int:
        """Drop a source (by file name) from the index; returns the number of chunks removed."""
        return self.knowledge.forget(source)

    def retrieve(self, question: str, k: int = 5) -> list[Any]:
        return self.knowledge.retrieve(question, k).ranked


_DONE = object()
GENERAL_KNOWLEDGE = "Not from your notes (general knowledge, unchecked): "


def ground_model_answer(text: str, notes_results: list[ToolResult]) -> str:
    """A capable model's own answer, held to the notes.

    Where the notes answered, only sentences their cited passages support are
    kept (all failing: the notes' own extractive answer). Where the notes do not
    cover the question, the model may add general knowledge, clearly labelled.
    """
    from knowledge.answer import guard
    from tools.notes_search import NOT_COVERED

    citations = [c for r in notes_results for c in r.citations]
    if citations:
        kept, _, _ = guard(text, citations)
        return kept or "\n\n".join(r.text for r in notes_results)
    own = text.replace(NOT_COVERED, "").strip()
    return f"{NOT_COVERED}\n\n{GENERAL_KNOWLEDGE}{own}" if own else NOT_COVERED


def _on_own_thread(make: Callable[[], Iterator[StreamEvent]]) -> Iterator[StreamEvent]:
    """Run a turn on one thread of its own and hand its events over through a queue.

    A turn sets context variables (who is asking, the turn's tools context) for
    its whole run; faces such as Gradio resume generators on whatever thread is
    free, which would split that context. The turn's thread keeps it whole.
    """
    events: queue.Queue[Any] = queue.Queue()

    def work() -> None:
        try:
            for event in make():
                events.put(event)
        except BaseException as exc:  # handed to the consumer, raised there
            events.put(exc)
        events.put(_DONE)

    threading.Thread(target=work, name="attentive-turn", daemon=True).start()
    while (item := events.get()) is not _DONE:
        if isinstance(item, BaseException):
            raise item
        yield item


def _new_id() -> str:
    return f"r-{uuid.uuid4().hex}"


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)


def _check_name(kind: str, value: str) -> None:
    if not isinstance(value, str) or not value or len(value) > 200 or any(ord(c) < 32 for c in value):
        raise ValueError(f"{kind} must be 1..200 printable characters, got {value!r}")
