"""FeedbackService end to end: validation, per-user adaptation, isolation, promotion, restarts."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from agent.feedback import GLOBAL_USER, AnswerStyle, FeedbackEvent, FeedbackService
from knowledge.types import Chunk, ScoredChunk
from tools.registry import discover

FIVE = (
    "Positional encoding adds position. It uses sines. And cosines. At many frequencies. So order is known."
)
PE_QUESTION = "What is positional encoding?"


@pytest.fixture(scope="module")
def embed() -> Callable[[list[str]], np.ndarray]:
    from sentence_transformers import SentenceTransformer

    from knowledge.embedded_models import minilm_path

    model = SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)
    return lambda texts: model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)


@pytest.fixture
def routes() -> list[tuple[str, str, str]]:
    return []


@pytest.fixture
def service(tmp_path: Path, embed, routes) -> FeedbackService:
    svc = FeedbackService(
        tmp_path,
        embed=embed,
        tool_names=[d.name for d in discover()],
        learn_route=lambda q, tool, user: routes.append((q, tool, user)),
    )
    yield svc
    svc.close()


def _remember(svc: FeedbackService, reply_id: str, user: str = "alice", **kw) -> None:
    args = {
        "session": "s1",
        "question": PE_QUESTION,
        "text": FIVE,
        "style": svc.style_for(user),
        "tool_calls": [],
        "cited_chunk_ids": [],
    }
    args.update(kw)
    svc.remember_reply(reply_id, user, **args)


def _table_counts(svc: FeedbackService) -> dict[str, int]:
    counts = svc.store.counts()
    return {t: counts[t] for t in ("events", "corrections", "chunk_prefs", "learner_state")}


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("score", [0, 2, -2, True, "1", 1.0, None])
def test_scores_other_than_plus_or_minus_one_are_refused(service: FeedbackService, score) -> None:
    _remember(service, "r1", cited_chunk_ids=["c1"])
    with pytest.raises(ValueError, match=r"score must be \+1 \(good\) or -1 \(bad\)"):
        service.feedback("r1", score)
    assert _table_counts(service) == {"events": 0, "corrections": 0, "chunk_prefs": 0, "learner_state": 0}


@pytest.mark.parametrize("user", ["", "   ", "a\x07b", "tab\there", "x" * 201, 7])
def test_bad_user_names_are_refused_with_the_rule_and_nothing_is_stored(service, user) -> None:
    with pytest.raises(ValueError, match=r"user must be 1\.\.200 printable characters"):
        _remember(service, "r1", user=user)
    assert service.store.get_reply("r1") is None


def test_unknown_reply_long_comment_and_empty_correction_are_refused_without_writes(service) -> None:
    _remember(service, "r1", cited_chunk_ids=["c1"])
    with pytest.raises(ValueError, match="unknown reply id 'nope'"):
        service.feedback("nope", 1)
    with pytest.raises(ValueError, match="5001 characters; the limit is 5000"):
        service.feedback("r1", -1, comment="x" * 5001)
    for empty in ("", "   \n"):
        with pytest.raises(ValueError, match="correction must be non-empty"):
            service.feedback("r1", -1, comment="wrong", correction=empty)
    assert _table_counts(service) == {"events": 0, "corrections": 0, "chunk_prefs": 0, "learner_state": 0}
    assert service.style_for("alice") == AnswerStyle("detailed", 5, False)
    # The limit itself is fine.
    assert service.feedback("r1", -1, comment="y" * 5000).comment == "y" * 5000


def test_a_learner_failure_mid_event_rolls_the_whole_event_back(service, monkeypatch) -> None:
    _remember(service, "r1", cited_chunk_ids=["c1"])

    def broken(*args, **kwargs):
        raise RuntimeError("learner crashed")

    monkeypatch.setattr(service.style_learner, "update", broken)
    with pytest.raises(RuntimeError):
        service.feedback("r1", -1, comment="wrong", correction="It uses sines and cosines.")
    assert _table_counts(service) == {"events": 0, "corrections": 0, "chunk_prefs": 0, "learner_state": 0}


# -- adaptation -----------------------------------------------------------------------------


def test_after_one_too_long_the_next_answer_is_at_most_60_percent_as_long(service) -> None:
    before = service.style_for("alice")
    _remember(service, "r1", text=FIVE, style=before)
    event = service.feedback("r1", -1, comment="Too long.")
    assert isinstance(event, FeedbackEvent) and event.score == -1 and event.user == "alice"
    after = service.style_for("alice")
    assert after.detail == "brief"
    assert after.max_sentences <= 0.6 * before.max_sentences


def test_style_and_corrections_survive_a_restart_and_stay_with_their_user(tmp_path, embed) -> None:
    first = FeedbackService(tmp_path, embed=embed)
    _remember(first, "r1")
    first.feedback(
        "r1", -1, comment="too long, give an example", correction="It adds sine waves to embeddings."
    )
    first.close()

    again = FeedbackService(tmp_path, embed=embed)
    assert again.style_for("alice") == AnswerStyle("brief", 2, True)
    (found,) = again.corrections_for("alice", "How do positional encodings work?")
    assert found.text == "It adds sine waves to embeddings." and found.user == "alice"
    assert again.corrections_for("alice", "What is a GAN?") == []
    assert again.corrections_for("bob", "How do positional encodings work?") == []
    assert again.style_for("bob") == AnswerStyle("detailed", 5, False)
    again.close()


def test_ranking_follows_the_users_likes_and_dislikes_only(service) -> None:
    _remember(service, "liked", cited_chunk_ids=["c-good"])
    _remember(service, "disliked", cited_chunk_ids=["c-bad"])
    service.feedback("liked", 1)
    service.feedback("disliked", -1)
    candidates = [
        ScoredChunk(Chunk(cid, cid, "S", "notes.md", 0, 1), score)
        for cid, score in [("c-bad", 0.05), ("c-mid", 0.04), ("c-good", 0.03)]
    ]
    mine = service.rerank("alice", "How do positional encodings work?", candidates)
    assert [c.chunk.id for c in mine] == ["c-good", "c-mid", "c-bad"]
    theirs = service.rerank("bob", "How do positional encodings work?", candidates)
    assert [c.chunk.id for c in theirs] == ["c-bad", "c-mid", "c-good"]


def test_wrong_tool_complaint_teaches_the_router_for_that_user(tmp_path, embed, routes) -> None:
    classified: list[str] = []

    def classify(text: str) -> str | None:
        classified.append(text)
        return "attention_demo" if "attention" in text else None

    svc = FeedbackService(
        tmp_path, embed=embed, classify_tool=classify, learn_route=lambda q, t, u: routes.append((q, t, u))
    )
    ran = [{"name": "positional_encoding_demo", "args": {}, "ok": True}]
    _remember(svc, "r1", question="show me how attention looks", tool_calls=ran)
    event = svc.feedback("r1", -1, comment="no, I wanted the attention picture")
    assert event.wanted_tool == "attention_demo"
    assert routes == [("show me how attention looks", "attention_demo", "alice")]
    assert classified == ["no, I wanted the attention picture"]

    _remember(svc, "r2", tool_calls=ran)
    svc.feedback("r2", 1, comment="great")
    svc.feedback("r2", -1, comment="too long")
    assert len(routes) == 1  # praise and style complaints are not routing corrections
    assert svc.learned_routes("alice") == [("show me how attention looks", "attention_demo", "alice")]
    assert svc.learned_routes("bob") == []
    svc.close()


def test_one_users_feedback_never_changes_another_users_answers(service) -> None:
    _remember(service, "a1", cited_chunk_ids=["c1"])
    service.feedback("a1", -1, comment="too long, give an example", correction="Sines and cosines.")
    assert service.style_for("alice").detail == "brief"
    assert service.style_for("bob") == AnswerStyle("detailed", 5, False)
    assert service.corrections_for("bob", PE_QUESTION) == []
    candidates = [
        ScoredChunk(Chunk("c1", "x", "S", "n.md", 0, 1), 1.0),
        ScoredChunk(Chunk("c2", "y", "S", "n.md", 0, 1), 0.9),
    ]
    assert service.rerank("bob", PE_QUESTION, candidates) == candidates


def test_promoting_makes_a_correction_and_preference_global(service, routes) -> None:
    _remember(service, "b1", user="bob")
    service.feedback("b1", 1)  # bob has his own settled taste: detailed
    _remember(service, "a1", tool_calls=[{"name": "search_notes"}])
    event = service.feedback(
        "a1",
        -1,
        comment="too long; no, I wanted the positional encoding demo",
        correction="Sines and cosines.",
    )
    assert service.corrections_for("carol", PE_QUESTION) == []
    assert service.style_for("carol").detail == "detailed"

    promoted = service.promote(event.id)
    assert promoted.promoted and promoted.id == event.id
    (found,) = service.corrections_for("carol", "How do positional encodings work?")
    assert found.text == "Sines and cosines." and found.promoted
    assert service.style_for("carol").detail == "brief"  # new users start from the promoted preference
    assert service.style_for("bob").detail == "detailed"  # bob's own learned taste wins for bob
    assert routes[-1] == (PE_QUESTION, "positional_encoding_demo", GLOBAL_USER)
    assert service.promote(event.id) == promoted  # promoting twice changes nothing
    with pytest.raises(ValueError, match="unknown feedback event id 999"):
        service.promote(999)


def test_export_lists_every_event_with_its_reply_and_reset_forgets_one_user(service) -> None:
    _remember(
        service, "a1", cited_chunk_ids=["c1"], tool_calls=[{"name": "search_notes", "args": {"q": "pe"}}]
    )
    _remember(service, "b1", user="bob")
    service.feedback("a1", -1, comment="too long", correction="Sines.")
    service.feedback("b1", 1)
    buffer = io.StringIO()
    assert service.export_jsonl(buffer) == 2
    rows = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [(r["user"], r["score"]) for r in rows] == [("alice", -1), ("bob", 1)]
    assert rows[0]["question"] == PE_QUESTION and rows[0]["reply_text"] == FIVE
    assert rows[0]["cited_chunk_ids"] == ["c1"] and rows[0]["tool_calls"][0]["name"] == "search_notes"
    assert rows[0]["correction"] == "Sines." and rows[0]["words"] == len(FIVE.split())

    counts = service.reset("alice")
    assert counts["events"] == 1 and counts["corrections"] == 1
    assert service.style_for("alice") == AnswerStyle("detailed", 5, False)
    assert service.corrections_for("alice", PE_QUESTION) == []
    assert [e.user for e in service.store.events()] == ["bob"]
    with pytest.raises(ValueError, match="reserved"):
        service.reset(GLOBAL_USER)


def test_twenty_users_in_parallel_each_get_their_own_style(tmp_path, embed) -> None:
    svc = FeedbackService(tmp_path, embed=embed)
    users = [f"u{i}" for i in range(20)]
    for user in users:
        for k in range(6):
            _remember(svc, f"{user}-{k}", user=user)
    errors: list[BaseException] = []

    def give(user: str) -> None:
        try:
            wants_brief = int(user[1:]) % 2 == 0
            for k in range(6):
                comment = "too long" if wants_brief else "more detail please"
                svc.feedback(f"{user}-{k}", -1, comment=comment)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=give, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(svc.store.events()) == 20 * 6
    for user in users:
        expected = "brief" if int(user[1:]) % 2 == 0 else "detailed"
        assert svc.style_for(user).detail == expected, user
        assert len(svc.store.events(user)) == 6
    svc.close()
