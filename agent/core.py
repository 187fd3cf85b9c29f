"""``Agent``: the one Python API every user interface talks to (CLI, chat page, evaluation).

It wires knowledge, tools, the router, the loop, memory and feedback together,
and turns what the loop streams into plain records (``Reply``, ``ToolCall``,
``Artifact``, ``Citation``). Nothing below it knows there is a user interface.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from agent.downloads import download_choices
from agent.names import SURROGATE, check_name, clean_data, clean_text
from agent.settings import Settings, load_settings
from agent.types import Choice, HistoryEntry, IndexReport, NotYourReply, Reply, StreamEvent
from knowledge.answer import AnswerStyle
from knowledge.priority import answering
from knowledge.types import SHARED
from tools.base import Artifact, ToolContext, ToolResult
from tools.hub_env import human_bytes

if TYPE_CHECKING:
    from agent.feedback.records import FeedbackDetails, FeedbackEvent
    from knowledge.embeddings import Embed
    from knowledge.types import IndexProgress

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
        tool_packages: list[str] | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or load_settings(
            home=Path(home) if home is not None else None,
            llm=llm,
            tool_choice=tool_choice,
            chroma_url=chroma_url,
            tool_packages=tool_packages,
        )
        self.home = Path(self.settings.home).expanduser()
        self.home.mkdir(parents=True, exist_ok=True)

        from agent.memory import open_checkpointer
        from agent.state import parse_database_url

        # Memory and feedback first: a database that cannot be used stops the start (StateStoreError)
        # before anything heavy loads, and never falls back to SQLite, which would split the replicas' state.
        self.state_location = parse_database_url(self.settings.database_url, self.home)
        checkpointer = open_checkpointer(self.state_location)

        from agent.backends import backend_supports_native_tools, describe, load_chat_model
        from agent.feedback import FeedbackService
        from agent.loop import build_graph
        from agent.router import IntentRouter
        from agent.router_model import RouterChatModel
        from agent.toolset import build_tools
        from knowledge.embeddings import Embedder
        from knowledge.indexer import ChunkLimits
        from knowledge.notes import NotesKnowledge
        from tools.registry import discover

        s = self.settings
        self.embedder = Embedder(s.embedding_runtime, s.n_threads, Path(s.model_cache).expanduser())
        embed = self.embedder.embed
        self.knowledge = NotesKnowledge(
            self.home,
            s.chroma_url,
            s.collection,
            s.max_upload_bytes,
            embedder=self.embedder,
            limits=ChunkLimits(s.max_chunks_per_document, s.max_chunks_per_user),
        )
        self.declarations = discover(s.tool_packages)
        self.router = IntentRouter(embed, self.declarations, cache=Path(s.model_cache).expanduser())
        self.feedback_service = FeedbackService(
            self.home,
            embed,
            tool_names=[d.name for d in self.declarations],
            classify_tool=self.router.classify,
            learn_route=self.router.learn,
            default_style=s.default_style,
            max_comment_chars=s.max_comment_chars,
            location=self.state_location,
        )
        for question, tool, user in self.feedback_service.learned_routes():
            self.router.learn(question, tool, user)

        chat_model = load_chat_model(s.llm, n_threads=s.n_threads, max_tokens=min(512, s.max_new_tokens))
        native = backend_supports_native_tools(chat_model)
        self.native_tools = s.tool_choice == "native" or (s.tool_choice == "auto" and native)
        model = (
            chat_model if self.native_tools else RouterChatModel(router=self.router, text_model=chat_model)
        )
        self.backend_description = describe(s.llm, self.native_tools)
        self.tools = build_tools(self.declarations, s.tool_timeout_s)
        self._graph = build_graph(
            model,
            self.tools,
            checkpointer,
            s.max_steps,
            s.max_history_messages,
            routed=not self.native_tools,
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
        check_name("user", user)
        check_name("session", session)
        message = clean_text(message) if isinstance(message, str) else message
        with _state_guard("this turn"):
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
        """Run the loop for one message: stream what happens, then the Reply."""
        from langchain_core.messages import HumanMessage

        from agent.memory import thread_id
        from agent.turn import TurnRecord
        from tools.notes_search import served_style

        config = {
            "configurable": {"thread_id": thread_id(user, session)},
            "recursion_limit": 4 * self.settings.max_steps + 4,
        }
        with answering():  # uploads being indexed wait while this turn runs (``knowledge.priority``)
            self._sync_routes(user)
            style = self.style_for(user)
            turn = self._tool_context(user, style, session, tuple(self._previous_questions(config)))
            record = TurnRecord()
            stream = self._graph.stream(
                {"messages": [HumanMessage(message)]},
                config,
                context=turn,  # the tools' ToolRuntime.context and the middleware's runtime.context
                stream_mode=["messages", "updates", "custom"],
                durability="exit",  # one checkpoint write per turn, not one per step
            )
            for mode, chunk in stream:
                yield from record.take(mode, chunk)
            served = served_style([r for _, r in record.results if r is not None], style)
            reply = self._build_reply(message, user, session, served, self._final_text(record), record)
            self._remember(reply, message, served)
        yield StreamEvent("reply", reply=reply)

    def _final_text(self, record: Any) -> str:
        from agent.loop import STEP_LIMIT_MARK

        if not record.final_text.strip() and record.malformed:
            return (
                f"The model asked to run {', '.join(record.malformed)}, but its arguments were not valid "
                "JSON even after it was told so, so nothing ran. Please ask again, perhaps in other words."
            )
        if not record.final_text or record.final_text.startswith(STEP_LIMIT_MARK):
            return self._honest_stop(record.pending, record.results)
        return record.final_text

    def _honest_stop(
        self, pending: list[dict[str, Any]], results: list[tuple[str, ToolResult | None]]
    ) -> str:
        done = [f"From {name}: {r.text}" for name, r in results if r is not None]
        head = f"I stopped after {self.settings.max_steps} steps without finishing"
        if pending:
            head += f" (next I wanted to run {', '.join(c['name'] for c in pending)})"
        return head + "." + ("\n\nWhat I found so far:\n\n" + "\n\n".join(done) if done else "")

    def _build_reply(
        self, question: str, user: str, session: str, style: AnswerStyle, text: str, record: Any
    ) -> Reply:
        results: list[tuple[str, ToolResult | None]] = record.results
        citations = [c for _, r in results if r is not None for c in r.citations]
        artifacts: list[Artifact] = [a for _, r in results if r is not None for a in r.artifacts]
        notes_results = [r for name, r in results if name == "search_notes" and r is not None]
        grounded = any(r.data.get("in_scope") for r in notes_results)
        if self.native_tools and notes_results:
            text = ground_model_answer(text, notes_results, self.embedder.embed)
        corrections = self.feedback_service.corrections_for(user, question)
        if corrections:
            text = "\n".join(CORRECTION_PREFIX + c.text for c in corrections[:2]) + "\n\n" + text
        reply = Reply(
            id=_new_id(),
            text=text.strip() or EMPTY_REPLY,
            citations=citations,
            tool_calls=list(record.calls.values()),
            artifacts=artifacts,
            user=user,
            session=session,
            style=style.detail,
            grounded=grounded,
            choices=record.choices + download_choices(record.missing, question),
        )
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
            [c.to_dict() for c in reply.choices],
            citations=[c.to_dict() for c in reply.citations],
            artifacts=[a.to_dict() for a in reply.artifacts],
        )

    def _previous_questions(self, config: dict[str, Any]) -> list[str]:
        """The session's last questions, for follow-ups; "shorter please" asks none (``Manner.alone``)."""
        from langchain_core.messages import HumanMessage

        from knowledge.manner import last_requests

        state = self._graph.get_state(config)
        messages = (state.values or {}).get("messages", []) if state else []
        return last_requests([m.text for m in messages if isinstance(m, HumanMessage)], 3)

    def run_tool(self, name: str, args: dict[str, Any], user: str = "default") -> ToolResult:
        """Run one tool directly, outside a conversation (MCP clients, scripts); errors raise ValueError."""
        from langchain_core.tools import ToolException

        from agent.toolset import call_tool

        check_name("user", user)
        args = clean_data(args)
        declaration = next((d for d in self.declarations if d.name == name), None)
        if declaration is None:
            raise ValueError(f"unknown tool {name!r}; tools: {', '.join(d.name for d in self.declarations)}")
        try:
            with answering():
                return call_tool(
                    declaration,
                    self._tool_context(user, self.style_for(user), "tools"),
                    args,
                    self.settings.tool_timeout_s,
                )
        except ToolException as exc:
            raise ValueError(str(exc)) from None

    def _tool_context(
        self, user: str, style: AnswerStyle, session: str, previous: tuple[str, ...] = ()
    ) -> ToolContext:
        """The turn as LangChain's runtime context: the tools' ``runtime.context``, the middleware's too.

        The tools see the documents this user may read: the shared library and their own uploads.
        """
        return ToolContext(
            self.home,
            user,
            session=session,
            knowledge=self.knowledge.for_owner(user),
            style=style,
            previous=previous,
            rerank=lambda q, c: self.feedback_service.rerank(user, q, c),
            max_new_tokens=self.settings.max_new_tokens,
            model_cache=Path(self.settings.model_cache).expanduser(),
        )

    # --- clarifying questions ------------------------------------------------------------------------
    def choose(self, reply_id: str, index: int, user: str = "default", session: str | None = None) -> Reply:
        """Pick choice ``index`` (from 0) of a clarifying reply; the answer to the chosen message."""
        reply = None
        for event in self.stream_choice(reply_id, index, user=user, session=session):
            if event.kind == "reply":
                reply = event.reply
        assert reply is not None
        return reply

    def stream_choice(
        self, reply_id: str, index: int, user: str = "default", session: str | None = None
    ) -> Iterator[StreamEvent]:
        """Answer a picked choice, streamed; the router learns what the unclear message meant.

        The choice must belong to a reply this user was given: a reply id is not a secret, so
        without the check one user could teach another user's router.
        """
        if session is not None:
            check_name("session", session)
        record = self._own_reply(reply_id, user, "so it has no choices to pick")
        if not record.choices:
            raise ValueError(f"reply {reply_id!r} asked no question, so there is nothing to choose")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(record.choices):
            raise ValueError(
                f"choice must be 0..{len(record.choices) - 1} for reply {reply_id!r}, got {index!r}"
            )
        choice = Choice.from_dict(record.choices[index])
        if choice.download:
            yield from self._download_then_ask(choice, user, session or record.session)
            return
        self.feedback_service.learn_choice(record.id, record.question, choice.message, choice.intent, user)
        yield from self.stream(choice.message, user=user, session=session or record.session)

    def _download_then_ask(self, choice: Choice, user: str, session: str) -> Iterator[StreamEvent]:
        """The Download the user picked, with progress, then the request that needed the model, again.

        A failed download (offline, gated, disk full) is the reply, offering the same Download again.
        """
        from agent.downloads import download_events

        outcome = yield from download_events(choice.download)
        if outcome.result is None:
            text = f"The download of {choice.download} did not finish: {outcome.error}"
            reply = Reply(id=_new_id(), text=text, user=user, session=session, choices=[choice])
            self._remember(reply, choice.message, None)
            yield StreamEvent("token", text=text)
            yield StreamEvent("reply", reply=reply)
            return
        done = outcome.result
        yield StreamEvent(
            "progress",
            text=f"✅ {done.repo_id} is ready ({human_bytes(done.total_bytes)}, {done.files} files, "
            f"{done.seconds:.0f} s). Asking again: {choice.message}",
        )
        yield from self.stream(choice.message, user=user, session=session)

    def _own_reply(self, reply_id: str, user: str, consequence: str) -> Any:
        """The stored reply ``reply_id`` if ``user`` was given it, else ``NotYourReply``.

        A reply id is not a secret (it is in the page and in the history), so every call that acts on a
        reply by its id for a user (picking a choice, feedback) checks it is theirs.
        """
        check_name("user", user)
        check_name("reply id", reply_id)
        record = self.feedback_service.store.get_reply(str(reply_id))
        if record is None or record.user != user:
            raise NotYourReply(f"reply {reply_id!r} is not one of {user!r}'s replies, {consequence}")
        return record

    # --- feedback and preferences -----------------------------------------------------------------
    def feedback(self, reply_id: str, score: int, **details: Unpack[FeedbackDetails]) -> FeedbackEvent:
        """Record feedback on a reply; it changes this user's later answers at once (on every replica).

        ``details`` are a comment, a correction and ``user``, who rates. With ``user`` (the page and the CLI
        chat pass it; an evaluation dialogue rates the reply it was just given), a reply given to someone
        else is refused with ``PermissionError`` (``NotYourReply``) and nothing is stored: otherwise a
        stranger who saw a reply id could write dislikes and corrections into that user's future answers.
        """
        with _state_guard("this feedback"):
            return self.feedback_service.feedback(reply_id, score, **details)

    def _sync_routes(self, user: str) -> None:
        """The router's lessons for this user (and the promoted ones) as the feedback store holds them now:
        another replica sharing the database may have taught or reset them since this one last looked."""
        from agent.feedback import GLOBAL_USER

        lessons = self.feedback_service.learned_routes(user)
        for owner in (user, GLOBAL_USER):
            self.router.sync_learned(owner, [(text, tool) for text, tool, who in lessons if who == owner])

    def style_for(self, user: str) -> AnswerStyle:
        """The answer style this user's next reply gets, learned from their feedback."""
        return self.feedback_service.style_for(user)

    def describe_style(self, user: str) -> str:
        """The learned answer style in words, for the settings panel."""
        return self.style_for(user).describe()

    def reset_preferences(self, user: str) -> None:
        self.feedback_service.reset(user)
        self.router.forget_user(user)

    def history(self, user: str, session: str) -> list[HistoryEntry]:
        """The conversation, oldest first, as the chat page shows it again after a reload."""
        check_name("user", user)
        check_name("session", session)
        return [
            HistoryEntry(record.question, record.to_reply())
            for record in self.feedback_service.store.replies(user, session)
        ]

    def feedback_given(self, user: str, session: str) -> dict[str, int]:
        check_name("user", user)
        check_name("session", session)
        return self.feedback_service.store.scores(user, session)

    # --- knowledge ---------------------------------------------------------------------------------
    def index(
        self,
        paths: list[Path | str] | Path | str,
        progress: Callable[[IndexProgress], None] | None = None,
        user: str | None = None,
    ) -> IndexReport:
        """Index documents (.md, .txt, .pdf, .html); bad files are named in ``report.errors``, the rest
        still indexed. ``progress`` hears each step: a file read, a chunk embedded.

        Without ``user`` (the operator: ``attentive index``) they join the shared library every user reads;
        with it they are that user's, retrieved and cited for them alone, within the chunk caps
        (``ATTENTIVE_MAX_CHUNKS_PER_DOCUMENT``, ``ATTENTIVE_MAX_CHUNKS_PER_USER``). Indexing gives way to
        answers under way, so a long upload does not slow anyone's answers down.
        """
        if user is not None:
            check_name("user", user)
        if isinstance(paths, (str, Path)):
            paths = [paths]
        if not isinstance(paths, (list, tuple)) or not all(isinstance(p, (str, Path)) for p in paths):
            raise TypeError(f"index takes a path or a list of paths (str or pathlib.Path), got {paths!r:.80}")
        # A file name of bytes that are not UTF-8 reaches Python with lone surrogates, which no index can store.
        odd = [Path(p) for p in paths if SURROGATE.search(Path(p).name)]
        report = self.knowledge.index(
            [Path(p) for p in paths if Path(p) not in odd], progress=progress, owner=user or SHARED
        )
        report.errors += [
            f"{clean_text(p.name)}: the file name is not valid UTF-8; rename it to index it" for p in odd
        ]
        return report

    def forget(self, source: str, user: str | None = None) -> int:
        """Drop a source (by file name) from the shared library, or from ``user``'s own documents; returns
        the number of chunks removed."""
        if not isinstance(source, (str, Path)):
            raise TypeError(f"forget takes a document's file name (str), got {type(source).__name__}")
        check_name("document name", Path(source).name)
        # A lone surrogate in the folder part, which is ignored, is still no name a file can have.
        if SURROGATE.search(str(source)):
            check_name("document name", str(source))  # refuses it, saying why
        if user is not None:
            check_name("user", user)
        return self.knowledge.forget(source, owner=user or SHARED)

    def retrieve(self, question: str, k: int = 5, user: str | None = None) -> list[Any]:
        """The passages a question retrieves from the shared library (and ``user``'s own documents)."""
        knowledge = self.knowledge if user is None else self.knowledge.for_owner(check_name("user", user))
        return knowledge.retrieve(clean_text(question), k).ranked


_DONE = object()
GENERAL_KNOWLEDGE = "Not from your notes (general knowledge, unchecked): "


def ground_model_answer(text: str, notes_results: list[ToolResult], embed: Embed) -> str:
    """A capable model's own answer, held to the notes.

    Where the notes answered, only sentences their cited passages support are
    kept (all failing: the notes' own extractive answer). Where the notes do not
    cover the question, the model may add general knowledge, clearly labelled.
    """
    from knowledge.answer import guard
    from tools.notes_search import NOT_COVERED

    citations = [c for r in notes_results for c in r.citations]
    if citations:
        kept, _, _ = guard(text, citations, embed)
        return kept or "\n\n".join(r.text for r in notes_results)
    refusal = "\n\n".join(r.text for r in notes_results) or NOT_COVERED  # names an absent concept
    own = text.replace(refusal, "").replace(NOT_COVERED, "").strip()
    return f"{refusal}\n\n{GENERAL_KNOWLEDGE}{own}" if own else refusal


def _on_own_thread(make: Callable[[], Iterator[StreamEvent]]) -> Iterator[StreamEvent]:
    """Run a turn on one thread of its own and hand its events over through a queue.

    Why a thread: LangGraph's stream keeps its run in context variables while it runs, and user interfaces such
    as Gradio resume a generator on whichever worker thread is free, which would split that context.
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


@contextmanager
def _state_guard(what: str) -> Iterator[None]:
    """A state database that stopped answering becomes ``StateUnavailable``, which says that ``what`` was
    not saved; other errors pass unchanged."""
    from agent.state import StateUnavailable, is_unavailable, unavailable_message

    try:
        yield
    except StateUnavailable:
        raise
    except Exception as exc:
        if is_unavailable(exc):
            raise StateUnavailable(unavailable_message(what, exc)) from exc
        raise


def _new_id() -> str:
    return f"r-{uuid.uuid4().hex}"
