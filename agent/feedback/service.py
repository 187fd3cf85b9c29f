"""The one object the agent talks to about feedback: remember replies, learn from events.

Why one service: each event touches several learners (style, ranking, routing,
corrections) and all of their writes must land together or not at all, in one
database transaction, so a refused or failed event leaves nothing half-written.
Everything is keyed by user; only ``promote`` (the operator's hand) makes
something global, because feedback is an attack surface.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from agent.feedback.learners import (
    CorrectionsMemory,
    Cues,
    Embed,
    RetrievalPreferences,
    RouteCorrector,
    StyleLearner,
    StyleState,
    comment_cues,
    to_blob,
)
from agent.feedback.records import Correction, FeedbackEvent, ReplyRecord
from agent.feedback.store import GLOBAL_USER, FeedbackStore, now_iso
from agent.names import check_name, clean_text
from agent.state import FEEDBACK_FILE, StateLocation
from agent.types import NotYourReply
from knowledge.answer import AnswerStyle, Detail

if TYPE_CHECKING:
    from knowledge.types import ScoredChunk

log = logging.getLogger(__name__)


class FeedbackService:
    """Feedback in, per-user adaptation out; state in ``home/feedback.sqlite3`` or the database of ``location``."""

    def __init__(
        self,
        home: Path,
        embed: Embed,
        tool_names: Sequence[str] = (),
        classify_tool: Callable[[str], str | None] | None = None,
        learn_route: Callable[[str, str, str], None] | None = None,
        default_style: Detail = "detailed",
        max_comment_chars: int = 5_000,
        location: StateLocation | None = None,
    ) -> None:
        self.home = Path(home)
        # ``location`` (ATTENTIVE_DATABASE_URL) may be a PostgreSQL server; the default is the data home's file.
        self.store = FeedbackStore(location or self.home / FEEDBACK_FILE)
        self._embed = embed
        self.learn_route = learn_route
        self.max_comment_chars = max_comment_chars
        self.style_learner = StyleLearner(default_style)
        self.retrieval = RetrievalPreferences(self.store, self.embed)
        self.routes = RouteCorrector(tool_names, classify_tool)
        self.memory = CorrectionsMemory(self.store, self.embed)

    def embed(self, texts: list[str]) -> np.ndarray:
        """The injected embedder, with rows normalised again so cosine is a dot product."""
        vectors = np.atleast_2d(np.asarray(self._embed(texts), dtype=np.float32))
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)

    def close(self) -> None:
        self.store.close()

    # -- recording --------------------------------------------------------------------------

    def remember_reply(
        self,
        reply_id: str,
        user: str,
        session: str,
        question: str,
        text: str,
        style: AnswerStyle | str,
        tool_calls: Sequence[dict[str, Any] | Any] = (),
        cited_chunk_ids: Sequence[str] = (),
        choices: Sequence[dict[str, Any]] = (),
        citations: Sequence[dict[str, Any] | Any] = (),
        artifacts: Sequence[dict[str, Any] | Any] = (),
    ) -> None:
        """Keep what feedback on this reply will need (what was asked, served, run and cited), and
        what a reloaded page shows again: the sources (``Citation``) and figures (``Artifact``)."""
        if not reply_id or not str(reply_id).strip():
            raise ValueError("reply_id must be a non-empty string")
        _check_user(user)

        def _dicts(items: Sequence[dict[str, Any] | Any]) -> list[dict[str, Any]]:
            """Records (anything with ``to_dict``) or plain dicts, as the store keeps them in JSON."""
            return [item.to_dict() if hasattr(item, "to_dict") else dict(item) for item in items]

        served = AnswerStyle.from_value(style)
        self.store.add_reply(
            ReplyRecord(
                id=str(reply_id),
                user=user,
                session=session,
                question=question,
                text=text,
                style=served.to_json(),
                words=len(text.split()),
                tool_calls=_dicts(tool_calls),
                cited_chunk_ids=[str(c) for c in cited_chunk_ids],
                created=now_iso(),
                choices=_dicts(choices),
                citations=_dicts(citations),
                artifacts=_dicts(artifacts),
            )
        )

    def feedback(
        self,
        reply_id: str,
        score: int,
        comment: str | None = None,
        correction: str | None = None,
        user: str | None = None,
    ) -> FeedbackEvent:
        """Validate, store and learn from one event; returns only once it is on disk. With ``user``, a
        reply given to anyone else is refused (``NotYourReply``) before anything is stored."""
        if isinstance(score, bool) or not isinstance(score, int) or score not in (1, -1):
            raise ValueError(f"score must be +1 (good) or -1 (bad), got {score!r}")
        if comment is not None:
            if not isinstance(comment, str):
                raise ValueError(f"comment must be text, got {type(comment).__name__}")
            if len(comment) > self.max_comment_chars:
                raise ValueError(
                    f"comment is {len(comment)} characters; the limit is {self.max_comment_chars}"
                )
            comment = clean_text(comment).strip() or None
        if correction is not None:
            if not isinstance(correction, str) or not correction.strip():
                raise ValueError("correction must be non-empty text; leave it out to give no correction")
            if len(correction) > self.max_comment_chars:
                raise ValueError(
                    f"correction is {len(correction)} characters; the limit is {self.max_comment_chars}"
                )
            correction = clean_text(correction).strip()
        check_name("reply id", reply_id)
        reply = self.store.get_reply(reply_id)
        if user is not None and (reply is None or reply.user != check_name("user", user)):
            raise NotYourReply(f"reply {reply_id!r} is not one of {user!r}'s replies, so you cannot rate it")
        if reply is None:
            raise ValueError(
                f"unknown reply id {reply_id!r}: feedback must name the id of a reply the agent gave"
            )

        # Slow parts (embedding, the router's classifier) run before the write transaction.
        needs_vector = correction is not None or bool(reply.cited_chunk_ids)
        qvec = self.embed([reply.question])[0] if needs_vector else None
        wanted = self.routes.wanted_tool(comment, reply.tool_names) if score < 0 else None

        with self.store.transaction():
            event = self.store.add_event(reply.id, reply.user, score, comment, correction, wanted)
            if correction is not None:
                self.store.add_correction(event.id, reply.user, reply.question, correction, to_blob(qvec))
            # A dislike that is about length, examples or the tool that ran says nothing against the passages.
            about_form = score < 0 and (comment_cues(comment) != Cues() or wanted is not None)
            if qvec is not None and not about_form:
                self.retrieval.record(event.id, reply.user, qvec, reply.cited_chunk_ids, score)
            state = self._style_state(reply.user)
            self.style_learner.update(state, AnswerStyle.from_value(reply.style), score, comment, reply.text)
            self.store.save_state(reply.user, StyleLearner.name, state.to_json())

        if wanted:
            self._learn_route(reply.question, wanted, reply.user)
        return event

    def learn_choice(self, reply_id: str, question: str, message: str, intent: str, user: str) -> None:
        """A picked choice: stored first, then both the unclear question and the chosen message are learned."""
        self.store.add_choice(reply_id, user, message, intent)
        self._learn_route(question, intent, user)
        self._learn_route(message, intent, user)

    # -- what the agent asks before answering -------------------------------------------------

    def style_for(self, user: str) -> AnswerStyle:
        """The style this user's next answer gets; ``.describe()`` puts it in words."""
        check_name("user", user)
        return self.style_learner.style(self._style_state(user))

    def rerank(self, user: str, question: str, candidates: Sequence[ScoredChunk]) -> list[ScoredChunk]:
        return self.retrieval.rerank(user, question, candidates)

    def corrections_for(self, user: str, question: str) -> list[Correction]:
        return self.memory.corrections_for(user, question)

    def learned_routes(self, user: str | None = None) -> list[tuple[str, str, str]]:
        """Routing corrections as (question, tool, user), for a router rebuilding itself after a restart;
        promoted ones carry user ``GLOBAL_USER``."""
        return self.store.routes(user)

    # -- operator -------------------------------------------------------------------------

    def promote(self, event_id: int) -> FeedbackEvent:
        """Make one event's correction, ranking and style preference apply to every user."""
        event = self.store.get_event(int(event_id))
        if event is None:
            raise ValueError(
                f"unknown feedback event id {event_id!r}; `attentive feedback export` lists them"
            )
        if event.promoted:
            return event
        reply = self.store.get_reply(event.reply_id)
        assert reply is not None  # events reference replies by foreign key
        with self.store.transaction():
            self.store.mark_promoted(event.id)
            state = self._style_state(GLOBAL_USER)
            self.style_learner.update(
                state, AnswerStyle.from_value(reply.style), event.score, event.comment, reply.text
            )
            self.store.save_state(GLOBAL_USER, StyleLearner.name, state.to_json())
        if event.wanted_tool:
            self._learn_route(reply.question, event.wanted_tool, GLOBAL_USER)
        promoted = self.store.get_event(event.id)
        assert promoted is not None
        return promoted

    def reset(self, user: str) -> dict[str, int]:
        """Forget one user's feedback and learned state (promoted events stay global)."""
        _check_user(user)
        return self.store.reset_user(user)

    def export_jsonl(self, fp: IO[str]) -> int:
        count = 0
        for row in self.store.export_rows():
            fp.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count

    # -- internals --------------------------------------------------------------------------

    def _style_state(self, user: str) -> StyleState:
        """The user's own state; a new user starts from the promoted (global) one, else the default."""
        for owner in (user, GLOBAL_USER):
            stored = self.store.load_state(owner, StyleLearner.name)
            if stored is not None:
                return StyleState.from_json(stored)
        return self.style_learner.new_state()

    def _learn_route(self, question: str, tool: str, user: str) -> None:
        if self.learn_route is None:
            return
        try:
            self.learn_route(question, tool, user)
        except Exception:  # the event is already stored; a router hiccup must not undo it
            log.exception("learn_route failed for tool %s", tool)


def _check_user(user: str) -> None:
    """A valid name (``agent.names``) that is not the one promoted feedback is kept under."""
    check_name("user", user)
    if user == GLOBAL_USER:
        raise ValueError(f"user name {GLOBAL_USER!r} is reserved for promoted (global) feedback")
