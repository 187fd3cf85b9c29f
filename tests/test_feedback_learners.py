"""The online learners on their own: style, retrieval ranking, routing and corrections memory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from agent.feedback import learners
from agent.feedback.learners import StyleLearner
from agent.feedback.store import FeedbackStore
from knowledge.answer import AnswerStyle, answer_sentences
from knowledge.types import Chunk, ScoredChunk

FIVE_SENTENCES = "Attention mixes tokens. Each query scores keys. Scores pass a softmax. Values are averaged. Heads run in parallel."


@pytest.fixture(scope="module")
def embed() -> Callable[[list[str]], np.ndarray]:
    from sentence_transformers import SentenceTransformer

    from knowledge.embedded_models import minilm_path

    model = SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)
    return lambda texts: model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)


# -- comment cues and style --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "length", "examples"),
    [
        ("Too long!", -1, None),
        ("shorter please", -1, None),
        ("can you be brief", -1, None),
        ("more detail please", 1, None),
        ("that was too short", 1, None),
        ("elaborate on the softmax", 1, None),
        ("not detailed enough", 1, None),
        ("give an example", 0, True),
        ("no examples please, just the idea", 0, False),
        ("be brief, and give an example", -1, True),
        ("thanks, great", 0, None),
        (None, 0, None),
    ],
)
def test_comment_cues_read_length_and_examples(
    comment: str | None, length: int, examples: bool | None
) -> None:
    cues = learners.comment_cues(comment)
    assert (cues.length, cues.examples) == (length, examples)


def test_one_too_long_cuts_the_next_answer_to_at_most_60_percent() -> None:
    learner = StyleLearner("detailed")
    state = learner.new_state()
    served = learner.style(state)
    assert served == AnswerStyle("detailed", 5, False)
    assert len(answer_sentences(FIVE_SENTENCES)) == 5

    learner.update(state, served, -1, "too long", FIVE_SENTENCES)
    after = learner.style(state)
    assert after.detail == "brief"
    assert after.max_sentences <= 0.6 * 5

    # Again on the brief answer: shorter still, never below one sentence.
    learner.update(state, after, -1, "still too long", "One thing. Another thing.")
    assert learner.style(state).max_sentences == 1
    learner.update(state, learner.style(state), -1, "too long", "Just this.")
    assert learner.style(state).max_sentences == 1


def test_asking_for_detail_makes_answers_longer_than_served() -> None:
    learner = StyleLearner("brief")
    state = learner.new_state()
    assert learner.style(state).detail == "brief"
    learner.update(state, learner.style(state), -1, "too short", "Attention mixes tokens.")
    after = learner.style(state)
    assert after.detail == "detailed" and after.max_sentences >= 5
    learner.update(state, after, -1, "more detail please", FIVE_SENTENCES)
    assert learner.style(state).max_sentences >= 8


def test_example_requests_switch_examples_on_and_off() -> None:
    learner = StyleLearner()
    state = learner.new_state()
    learner.update(state, learner.style(state), 1, "nice, but give an example next time", FIVE_SENTENCES)
    assert learner.style(state).examples is True
    assert learner.style(state).detail == "detailed"  # a liked detailed answer stays detailed
    learner.update(state, learner.style(state), -1, "no examples please", FIVE_SENTENCES)
    assert learner.style(state).examples is False


def test_after_a_drift_scores_alone_move_the_style_within_two_events() -> None:
    learner = StyleLearner("detailed")
    state = learner.new_state()
    learner.update(state, learner.style(state), -1)  # dislikes detailed
    for _ in range(100):  # a long settled stretch of liked brief answers
        learner.update(state, learner.style(state), 1)
    assert learner.style(state).detail == "brief"

    learner.update(state, learner.style(state), -1)  # one stray thumb does not flip it...
    assert learner.style(state).detail == "brief"
    learner.update(state, learner.style(state), -1)  # ...a second one does
    assert learner.style(state).detail == "detailed"


def test_a_single_noisy_dislike_then_likes_keeps_the_preference() -> None:
    learner = StyleLearner("brief")
    state = learner.new_state()
    for _ in range(10):
        learner.update(state, learner.style(state), 1)
    learner.update(state, learner.style(state), -1)
    learner.update(state, learner.style(state), 1)
    learner.update(state, learner.style(state), -1)
    assert learner.style(state).detail == "brief"


@pytest.mark.parametrize("default", ["brief", "detailed"])
def test_a_user_without_feedback_gets_the_prior_of_the_model_built_on_the_first_event(default: str) -> None:
    learner = StyleLearner(default)
    untouched = learner.new_state()
    assert untouched.log_odds is None  # no river model (nor its imports) until feedback arrives
    model = learner._model(untouched)
    assert learner.p_detailed(untouched) == pytest.approx(model.predict_proba_one({})[True], abs=1e-9)
    assert learner.style(untouched).detail == default


def test_style_state_survives_json() -> None:
    learner = StyleLearner()
    state = learner.new_state()
    learner.update(state, learner.style(state), -1, "too long, give an example", FIVE_SENTENCES)
    restored = learners.StyleState.from_json(json.loads(json.dumps(state.to_json())))
    assert learner.style(restored) == learner.style(state) == AnswerStyle("brief", 2, True)
    assert learner.p_detailed(restored) == learner.p_detailed(state)


def test_the_state_rebuilt_from_json_after_every_event_matches_one_river_model_learning_throughout() -> None:
    """The JSON keeps only the intercept: a model with no features has nothing else to learn."""
    from river import linear_model, optim

    learner = StyleLearner("detailed")
    state = learner.new_state()
    kept = linear_model.LogisticRegression(
        optimizer=optim.SGD(learner.lr), intercept_init=learner.prior, intercept_lr=learner.lr
    )
    for liked, comment in [
        (-1, "too long"),
        (1, None),
        (1, None),
        (-1, None),
        (-1, "more detail"),
        (1, None),
    ]:
        served = learner.style(state)
        learner.update(state, served, liked, comment, FIVE_SENTENCES)
        state = learners.StyleState.from_json(json.loads(json.dumps(state.to_json())))
        cues = learners.comment_cues(comment)
        wants = (served.detail == "detailed") == (liked > 0) if cues.length == 0 else cues.length > 0
        kept.learn_one({}, wants, w=learner.cue_weight if cues.length else 1.0)
        kept.intercept = max(-learner.bound, min(learner.bound, kept.intercept))
        assert learner.p_detailed(state) == pytest.approx(kept.predict_proba_one({})[True], abs=1e-12)


def test_the_learner_counts_sentences_as_the_composer_built_them() -> None:
    # Citation markers are not sentences and "e.g. words" does not end one: three were served, so
    # "too long" asks for one (counting the six pieces between full stops would have allowed two).
    reply = "Attention mixes tokens, e.g. words. Each query scores keys. [1] Values are averaged. [2]"
    assert answer_sentences(reply) == [
        "Attention mixes tokens, e.g. words.",
        "Each query scores keys.",
        "Values are averaged.",
    ]
    learner = StyleLearner()
    state = learner.new_state()
    learner.update(state, learner.style(state), -1, "too long", reply)
    assert learner.style(state) == AnswerStyle("brief", 1, False)


@pytest.mark.parametrize("detail", ["brief", "detailed"])
def test_composer_tools_and_learner_share_one_meaning_of_each_detail(detail: str) -> None:
    from agent.feedback import AnswerStyle as Exported

    learner = StyleLearner(detail)
    assert Exported is AnswerStyle
    assert learner.style(learner.new_state()) == AnswerStyle.named(detail)


def test_a_stored_style_reads_back_whatever_form_it_was_kept_in() -> None:
    style = AnswerStyle("brief", 3, True)
    for stored in (style, style.to_json(), json.loads(style.to_json())):
        assert AnswerStyle.from_value(stored) == style
    assert AnswerStyle.from_value("brief") == AnswerStyle.named("brief")
    assert AnswerStyle.from_value({"detail": "brief"}) == AnswerStyle.named("brief")
    for unreadable in (None, "", "{not json", "verbose"):
        assert AnswerStyle.from_value(unreadable) == AnswerStyle.named("detailed")
    assert style.describe() == "brief (up to 3 sentences, with examples)"
    with pytest.raises(ValueError, match="style must be 'brief' or 'detailed', got 'long'"):
        AnswerStyle.named("long")


# -- retrieval preferences --------------------------------------------------------------------


def _candidates() -> list[ScoredChunk]:
    chunks = [
        ("c-pe-1", "Positional encoding adds sine waves."),
        ("c-pe-2", "Learned position embeddings are an alternative."),
        ("c-att", "Attention weighs tokens by similarity."),
    ]
    return [
        ScoredChunk(Chunk(cid, text, "Transformers", "notes.md", 0, len(text)), score)
        for (cid, text), score in zip(chunks, [0.90, 0.80, 0.70], strict=True)
    ]


def test_liked_chunk_rises_and_disliked_falls_for_similar_questions_only(tmp_path: Path, embed) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    prefs = learners.RetrievalPreferences(store, embed)
    store.add_reply(_record("r1"))
    liked = store.add_event("r1", "alice", 1, None, None)
    disliked = store.add_event("r1", "alice", -1, None, None)
    asked = embed(["How does positional encoding work in transformers?"])[0]
    prefs.record(liked.id, "alice", asked, ["c-pe-2"], 1)
    prefs.record(disliked.id, "alice", asked, ["c-pe-1"], -1)

    similar = prefs.rerank("alice", "Explain positional encodings", _candidates())
    assert [c.chunk.id for c in similar][0] == "c-pe-2"
    by_id = {c.chunk.id: c.score for c in similar}
    assert by_id["c-pe-1"] < 0.90 and by_id["c-pe-2"] > 0.80 and by_id["c-att"] == pytest.approx(0.70)
    assert all(isinstance(c, ScoredChunk) for c in similar)

    unrelated = prefs.rerank("alice", "What does a GAN discriminator do?", _candidates())
    assert [(c.chunk.id, c.score) for c in unrelated] == [(c.chunk.id, c.score) for c in _candidates()]
    other_user = prefs.rerank("bob", "Explain positional encodings", _candidates())
    assert [c.chunk.id for c in other_user] == ["c-pe-1", "c-pe-2", "c-att"]


def _record(reply_id: str, user: str = "alice"):
    from agent.feedback.records import ReplyRecord

    return ReplyRecord(reply_id, user, "s", "How does positional encoding work?", "text", "{}", 1)


# -- routing corrections ------------------------------------------------------------------------


TOOL_NAMES = ["attention_demo", "positional_encoding_demo", "hub_lookup", "search_notes"]


def test_route_corrector_finds_a_tool_named_outright() -> None:
    routes = learners.RouteCorrector(TOOL_NAMES)
    assert (
        routes.wanted_tool("no, I wanted the attention_demo", ["positional_encoding_demo"])
        == "attention_demo"
    )
    assert routes.wanted_tool("wrong tool, run the positional encoding demo", ["attention_demo"]) == (
        "positional_encoding_demo"
    )
    # Not a routing complaint, or the tool that ran is the one named: nothing to learn.
    assert routes.wanted_tool("too long", ["attention_demo"]) is None
    assert routes.wanted_tool("no, I wanted the attention demo", ["attention_demo"]) is None
    assert routes.wanted_tool(None, []) is None


def test_route_corrector_prefers_the_routers_classifier() -> None:
    seen: list[str] = []

    def classify(text: str) -> str | None:
        seen.append(text)
        return "hub_lookup"

    routes = learners.RouteCorrector(TOOL_NAMES, classify)
    assert routes.wanted_tool("no, I meant look that model up", ["search_notes"]) == "hub_lookup"
    assert seen == ["no, I meant look that model up"]
    abstaining = learners.RouteCorrector(TOOL_NAMES, lambda text: None)
    assert abstaining.wanted_tool("I wanted the attention demo instead", []) == "attention_demo"


def test_route_corrector_does_not_invent_routes_from_content_or_style_complaints() -> None:
    eager = learners.RouteCorrector(
        TOOL_NAMES, lambda text: "search_notes"
    )  # a classifier always has some best guess
    assert eager.wanted_tool("No, that's wrong: it divides by sqrt(d_k)", []) is None
    assert eager.wanted_tool("too long, I wanted it shorter", ["search_notes"]) is None
    assert eager.wanted_tool("too long, I wanted it shorter", []) is None
    assert eager.wanted_tool("No, show me the attention demo", ["search_notes"]) == "attention_demo"


# -- corrections memory -------------------------------------------------------------------------

PARAPHRASES = [
    ("What is positional encoding?", "How do positional encodings work?"),
    (
        "Why divide attention scores by sqrt(d_k)?",
        "Why are attention scores scaled by the square root of d_k?",
    ),
    ("What does the softmax do in attention?", "Explain the softmax in attention"),
    ("What is online learning?", "explain online learning"),
    ("What is multi-head attention?", "Why use several attention heads?"),
]
# Neighbouring topics: a correction about one must not be shown for the other.
OTHER_TOPICS = [
    ("What is positional encoding?", "What is a diffusion model?"),
    ("What is self-attention?", "What is multi-head attention?"),
    ("What is online learning?", "How does batch retraining differ from online learning?"),
    ("What is online learning?", "What is reinforcement learning?"),
    ("What is a GAN?", "What is a VAE?"),
]


def test_correction_threshold_separates_paraphrases_from_other_topics(embed) -> None:
    pairs = PARAPHRASES + OTHER_TOPICS
    vectors = embed([text for pair in pairs for text in pair])
    cosines = [float(vectors[2 * i] @ vectors[2 * i + 1]) for i in range(len(pairs))]
    paraphrases, others = cosines[: len(PARAPHRASES)], cosines[len(PARAPHRASES) :]
    assert min(paraphrases) >= learners.CORRECTION_THRESHOLD
    assert max(others) < learners.CORRECTION_THRESHOLD


def test_corrections_memory_finds_a_users_correction_for_a_paraphrase_only(tmp_path: Path, embed) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.add_reply(_record("r1"))
    event = store.add_event("r1", "alice", -1, None, "It uses sines and cosines of different frequencies.")
    question = "What is positional encoding?"
    store.add_correction(
        event.id, "alice", question, event.correction or "", learners.to_blob(embed([question])[0])
    )
    memory = learners.CorrectionsMemory(store, embed)

    (found,) = memory.corrections_for("alice", "How do positional encodings work?")
    assert found.text.startswith("It uses sines") and found.similarity >= learners.CORRECTION_THRESHOLD
    assert memory.corrections_for("alice", "What is a diffusion model?") == []
    assert memory.corrections_for("bob", "How do positional encodings work?") == []


# -- drift benchmark -------------------------------------------------------------------------------


def test_drift_benchmark_online_regret_is_under_a_third_of_batch(tmp_path: Path) -> None:
    from bench.bench_drift import run

    result = run(tmp_path, seeds=3)
    assert result["online"]["cumulative_regret"] <= result["batch"]["cumulative_regret"] / 3
    assert result["online"]["feedback_events_to_adapt_max"] <= 2
    assert result["online"]["adapted_runs"] == "3/3"
    assert Path(result["plot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
