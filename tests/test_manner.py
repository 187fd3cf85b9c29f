"""How a message asks to be answered is read apart from what it asks about (``knowledge.manner``).

A manner phrase ("in plain English", "briefly", "keep it short") names no topic: left in the question
it was refused as a concept the notes lack, retrieved as words of the notes, or routed to speech. The
cases are by position (leading, trailing, set off, by the verb, a sentence of its own) and by family
(shorter, longer, plainer); a message that asks only how is about the last answer.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent import Agent
from agent.router_model import NOTHING_TO_REDO
from knowledge.answer import REFERS_BACK, answer_sentences
from knowledge.manner import Manner, read_manner

QUESTION = "how does positional encoding work"


@pytest.mark.parametrize(
    ("message", "detail", "sentences"),
    [
        # leading, set off by punctuation or followed by the question itself
        (f"To put it simply, {QUESTION}?", None, None),
        (f"In everyday language: {QUESTION}?", None, None),
        (f"In brief, {QUESTION}?", "brief", None),
        (f"In great detail - {QUESTION}?", "detailed", None),
        (f"ELI5 {QUESTION}", None, None),
        (f"hey, in plain terms {QUESTION}?", None, None),
        # trailing, after a comma, a bracket or as a sentence of its own
        (f"{QUESTION}, for a complete beginner?", None, None),
        (f"{QUESTION} (in two sentences)", "brief", 2),
        (f"{QUESTION}? Be concise please.", "brief", None),
        (f"{QUESTION}? Answer in three lines.", "detailed", 3),  # more than a brief answer's two
        (f"{QUESTION}; simply", None, None),
        (f"{QUESTION}? short, pls", "brief", None),
        (f"{QUESTION} in depth", "detailed", None),
        (f"{QUESTION}, without the jargon", None, None),
        # intensified, with emoji and filler, or corrected ("no wait": the last length asked wins)
        (f"really briefly, {QUESTION}?", "brief", None),
        (f"{QUESTION}?? keep it super short lol", "brief", None),
        (f"{QUESTION} to me like I'm a total newbie \U0001f64f", None, None),
        (f"Plain English please: {QUESTION}", None, None),
        (f"{QUESTION}? just a one-liner", "brief", None),
        (f"{QUESTION} - keep it to two sentences", "brief", 2),
        (f"{QUESTION}? briefly. no wait, in detail.", "detailed", None),
    ],
)
def test_the_manner_is_read_apart_from_the_question(
    message: str, detail: str | None, sentences: int | None
) -> None:
    asked = read_manner(message)
    assert asked.question.strip(" ?").lower().endswith(QUESTION)
    assert "hey" in asked.question or asked.question.lower().startswith("how")
    assert (asked.detail, asked.sentences, asked.alone) == (detail, sentences, False)


@pytest.mark.parametrize(
    ("message", "question", "detail"),
    [
        ("Could you describe briefly what a neuron does?", "Could you describe what a neuron does?", "brief"),
        ("Outline, in layman's terms, how training works", "Outline how training works", None),
        ("Tell me in a few words what Bark does", "Tell me what Bark does", "brief"),
        (
            "Break down step by step how backpropagation works",
            "Break down how backpropagation works",
            "detailed",
        ),
        ("concisely summarize generative AI", "summarize generative AI", "brief"),
        ("describe self-attention to a total beginner", "describe self-attention", None),
        ("Show me a simple explanation of dropout", "Show me a explanation of dropout", None),
        ("what is Bark? I'd like a detailed answer", "what is Bark", "detailed"),
    ],
)
def test_the_manner_beside_its_verb_is_read_apart(message: str, question: str, detail: str | None) -> None:
    asked = read_manner(message)
    assert (asked.question, asked.detail) == (question, detail)


@pytest.mark.parametrize(
    "message",
    [
        "Does online learning adapt quickly?",  # how fast it adapts is the question
        "what does 'in short' mean?",
        "Tell me more about positional encoding",  # names its own topic
        "generate a short poem about attention",
        "Why is a simple model sometimes better?",
        "Is self-attention simpler than recurrence?",
        "shorter than what?",
        # set apart only by punctuation or an imperative: ending a question, they are its content
        "Are transformers good for beginners?",
        "Which model is best for kids?",
        "Is Bark trained in English?",
        "Does training happen step by step?",
        "Does online learning need no math?",
        # a yes/no question about something else ends with its own words; quoted words are the user's own
        "Can GPT-2 summarize text in one sentence?",
        "Is positional encoding explained in detail?",
        "why do the notes say 'simply put' in the training part?",
        'plot the attention for "explain it briefly"',
    ],
)
def test_words_of_length_that_are_the_question_stay(message: str) -> None:
    asked = read_manner(message)
    assert asked == Manner(message)


@pytest.mark.parametrize(
    ("message", "detail"),
    [
        ("could you make that shorter?", "brief"),
        ("hmm, way too wordy", "brief"),
        ("can you put it more plainly", "brief"),
        ("I'd like it in less detail", None),  # not a request of this grammar: read as a question
        ("explain it again, but much simpler", "brief"),
        ("ok now expand on it please", "detailed"),
        ("dig deeper", "detailed"),
        ("with more details, thanks", "detailed"),
        ("that's too short", "detailed"),
        ("tl;dr?", "brief"),
        ("Sorry, I don't get it. Plainer please", "brief"),
        ("condense it", "brief"),
        ("Shorter, in 2 sentences", "brief"),
        ("what about with more depth?", "detailed"),
        ("like I'm a child, please", "brief"),  # plainer, asked of an answer of the notes' own sentences
        ("hmm can u say that in simpler words", "brief"),
        ("more detail, please \U0001f642", "detailed"),
        ("that went over my head, simpler?", "brief"),
        ("shorter. simpler. tl;dr. pls", "brief"),
        ("could you give more detail on that?", "detailed"),
    ],
)
def test_a_message_that_asks_only_how_is_about_the_last_answer(message: str, detail: str | None) -> None:
    asked = read_manner(message)
    assert asked.alone is (detail is not None)
    if asked.alone:
        assert (asked.question, asked.detail) == (message, detail)


@given(
    detail=st.sampled_from(["brief", "detailed", None]),
    sentences=st.one_of(st.none(), st.integers(1, 20)),
    earlier=st.sampled_from(["What is a token?", "compare batch and online learning", "who made Bark"]),
)
def test_an_earlier_request_asked_again_reads_back(
    detail: str | None, sentences: int | None, earlier: str
) -> None:
    counted = ("brief" if sentences <= 2 else "detailed") if sentences else detail
    manner = Manner("shorter", counted, sentences, alone=True)  # type: ignore[arg-type]
    again = read_manner(manner.again(earlier))
    assert again.question == earlier
    assert (again.detail, again.sentences, again.alone) == (manner.detail, manner.sentences, False)


@pytest.mark.parametrize(
    ("message", "section"),
    [
        ("In layman's terms, what is positional encoding?", "Positional Encoding"),
        ("Explain what generative AI is, in plain English", "What is Generative AI?"),
        (
            "Put simply, how does batch learning differ from online learning?",
            "Online Learning vs Batch Learning",
        ),
    ],
)
def test_a_question_asked_plainly_is_answered_like_the_bare_question(
    shared_agent: Agent, message: str, section: str
) -> None:
    reply = shared_agent.chat(message, user="manner", session=message)
    cited = [c.section.split(" > ")[-1] for c in reply.citations]
    assert cited and set(cited) == {section}
    assert "do not mention" not in reply.text


def test_a_concept_the_notes_lack_is_named_without_the_manner(shared_agent: Agent) -> None:
    reply = shared_agent.chat("In simple words, what is a Boltzmann machine?", user="manner", session="lack")
    assert "do not mention Boltzmann machine" in reply.text
    assert "simple words" not in reply.text


@pytest.mark.parametrize(
    "message", ["put it simply: what are neurons?", "Like I'm ten, what is adaptive AI?"]
)
def test_the_manner_does_not_choose_the_tool(shared_agent: Agent, message: str) -> None:
    decision = shared_agent.router.decide(message, user="manner-route")
    assert decision.tool == "search_notes"


def test_a_number_of_sentences_asked_is_kept(shared_agent: Agent) -> None:
    reply = shared_agent.chat("what is generative AI? one sentence please", user="manner", session="one")
    assert len(answer_sentences(reply.text)) == 1
    assert reply.citations


def test_shorter_and_longer_answer_the_last_question_again(fresh_agent: Agent) -> None:
    first = fresh_agent.chat("how does training work?", user="u", session="s")
    shorter = fresh_agent.chat("could you make that shorter?", user="u", session="s")
    longer = fresh_agent.chat("now in more detail please", user="u", session="s")
    sections = {c.section for c in first.citations}
    assert {c.section for c in shorter.citations} <= sections and shorter.citations
    assert len(answer_sentences(shorter.text)) < len(answer_sentences(first.text))
    assert len(answer_sentences(longer.text)) > len(answer_sentences(shorter.text))
    # a follow-up after them still refers to the question, not to "shorter"
    follow = fresh_agent.chat("and why does it start with random weights?", user="u", session="s")
    assert any("training" in c.section.lower() for c in follow.citations)
    # one word that is a name is a new topic, not a follow-up
    other = fresh_agent.chat("and gpt2?", user="u", session="s")
    assert {c.section.split(" > ")[-1] for c in other.citations} == {"Explore Hugging Face Model Hub"}


def test_shorter_with_nothing_before_says_so(fresh_agent: Agent) -> None:
    reply = fresh_agent.chat("Shorter, please.", user="u", session="empty")
    assert reply.text == NOTHING_TO_REDO
    assert not reply.tool_calls


@pytest.mark.parametrize(
    "question",
    ["what is self-attention?", "what is online learning?", "what is a loss function?", "what is embedding?"],
)
def test_a_brief_answer_is_not_a_sentence_that_leans_on_a_missing_one(
    shared_agent: Agent, question: str
) -> None:
    result = shared_agent.run_tool("search_notes", {"query": question, "style": "brief"})
    sentences = answer_sentences(result.text)
    assert sentences
    assert len(sentences) > 1 or not REFERS_BACK.match(sentences[0])


def test_the_style_asked_for_is_the_one_served_and_remembered(fresh_agent: Agent) -> None:
    reply = fresh_agent.chat("In short, what does positional encoding do?", user="u", session="s")
    assert reply.style == "brief"
    assert fresh_agent.style_for("u").detail == "detailed"  # asking once is not a preference
    # feedback judges what was served: a thumbs-up on this brief answer teaches brief, not detailed
    for _ in range(3):
        liked = fresh_agent.chat("Briefly, what is positional encoding?", user="u", session="s")
        fresh_agent.feedback(liked.id, 1, user="u")
    assert fresh_agent.style_for("u").detail == "brief"
