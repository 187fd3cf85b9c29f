"""The ``search_notes`` tool: a grounded, cited answer from the indexed notes.

It replies in one of three ways:

* an answer: sentences of the notes, each cited ([n] markers, ``citations``);
* ``NOT_COVERED``: nothing in the notes supports an answer, and the question
  names no concept the notes lack ("What is the capital of France?" when its
  words are all known, or paraphrases too far from any passage);
* an absent concept (``absent_message``): "Your notes do not mention recurrent
  neural networks, ..." naming the concept as the user wrote it, optionally
  followed by a "Related in your notes" line of section paths, which are names
  only: nothing is quoted or cited, so ``citations`` stays empty.

The absent message deliberately does not contain NOT_COVERED's "The notes do
not cover this": it says "do not mention" instead, which is what checks look
for (``agent.evaluation.checks.says_not_covered`` matches both). In both
refusals ``data["in_scope"]`` is False; ``data["absent"]`` and
``data["related"]`` (always present, empty unless a concept is absent) carry
the concept phrases and section paths for code that wants them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from knowledge.answer import AnswerStyle
from knowledge.links import without_foreign_links
from knowledge.notes import NotesKnowledge, Reranker
from tools.base import ToolContext, ToolInputError, ToolResult
from tools.registry import Example, ToolDeclaration

NOT_COVERED = (
    "The notes do not cover this. I only answer from your study notes, and nothing in them "
    "supports an answer to that question. Try asking about deep learning basics, transformers, "
    "generative AI, the Hugging Face models in the notes, or adaptive AI."
)
ABSENT = "Your notes do not mention {concepts}, so I can't answer this from them."
RELATED = "Related in your notes (not an answer to your question): {sections}"


def _either(phrases: list[str]) -> str:
    """'A', 'A or B', 'A, B or C'."""
    return phrases[0] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} or {phrases[-1]}"


def absent_message(absent: list[str], related: list[str]) -> str:
    """Names what the notes lack; related sections are named on their own line, never cited."""
    text = ABSENT.format(concepts=_either(absent))
    sections = "; ".join(without_foreign_links(section) for section in related)  # headings are document text
    return f"{text}\n{RELATED.format(sections=sections)}" if related else text


class SearchNotesArgs(BaseModel):
    """Search the study notes and answer from them with citations."""

    query: str = Field(
        description="The question or topic to look up in the notes.", min_length=1, max_length=20_000
    )
    style: Literal["", "brief", "detailed"] = Field(
        default="", description="Answer style: 'brief' or 'detailed'; empty uses the user's learned style."
    )


def answer_from_notes(
    knowledge: NotesKnowledge,
    query: str,
    style: AnswerStyle,
    previous: list[str] | None = None,
    rerank: Reranker | None = None,
) -> ToolResult:
    """Answer from the notes; every sentence is a cited sentence of the notes, or the answer says they do not cover it."""
    if not query.strip():
        raise ToolInputError("query must not be empty")
    found = knowledge.answer(query, style, previous=previous, rerank=rerank)
    grounded = found.answer
    data = {
        "in_scope": grounded.in_scope and not grounded.absent,
        "query": found.query,
        "top_dense": found.retrieval.top_dense,
        "best_similarity": grounded.best_similarity,
        "support": grounded.support,
        "retrieved": [s.chunk.id for s in found.retrieval.ranked],
        "style": style.detail,
        "absent": list(grounded.absent),
        "related": list(grounded.related),
    }
    if grounded.absent:
        return ToolResult(text=absent_message(grounded.absent, grounded.related), data=data)
    if not grounded.in_scope or not grounded.text:
        return ToolResult(text=NOT_COVERED, data=data)
    return ToolResult(text=grounded.text, citations=grounded.citations, data=data)


def question_args(text: str) -> dict[str, Any]:
    """The whole message is the question: the notes tool needs no more than that."""
    return {"query": text.strip()}


EXAMPLES = (
    Example("What is positional encoding?"),
    Example("What is self-attention?"),
    Example("Explain positional encoding"),
    Example("What are neurons and layers?"),
    Example("How does training work?"),
    Example("What is generative AI?"),
    Example("What was GPT-2 trained on?"),
    Example("What do my notes say about online learning?"),
    Example("Why must AI adapt after deployment?"),
    Example("What is backpropagation?"),
    Example("What sizes does it come in?"),
    Example("Who developed Llama 2?"),
    Example("What is the difference between batch and online learning?"),
    Example("what's the difference between a neuron and a layer"),
    Example("Compare positional encoding and self-attention"),
    Example("How do transformers and self-attention relate?"),
    Example("Tell me about transformers"),
    Example("What is the capital of France?"),
    Example("What is a loss function?"),
    Example("Why is attention faster than older methods?"),
    Example("How does a model know what 'it' refers to?"),
    Example("What is a recurrent neural network?"),
    Example("How does BERT work?"),
    Example("Explain dropout to me"),
    Example("what is a convolutional network"),
    Example("What does Bark output and who made it?"),
    Example("Which company made Stable Diffusion?"),
    Example("What dataset was GPT-Neo trained on?"),
    Example("Why do we need hidden layers?"),
    Example("why is online learning better when data changes"),
    Example("can you explain what a bias does in a neuron"),
    Example("I don't understand backpropagation, can you help?"),
    Example("transformers"),
    Example("attention"),
    Example("positional encoding?"),
    Example("What does the notes say about image generation use cases?"),
    Example("Is batch learning expensive?"),
    Example("How are embeddings made from tokens?"),
    Example("what is the point of an activation range between 0 and 1"),
    Example("Describe how generative AI differs from classifiers"),
    Example("How many parameters does GPT-Neo have according to my notes?"),
    Example("Based on my notes, what is Bark trained on?"),
    Example("In my notes, who built GPT-2?"),
    Example("who created llama 2"),
    Example("what does stable diffusion generate"),
    Example("how large is gpt2 in my notes"),
    Example("Why can't traditional models cope with a changing world, and what helps?"),
    Example("What is attention, and why is it faster than older methods?"),
    Example("what are layers and how do they help a network learn"),
    Example("Compare GPT-2 and Llama 2 from what I wrote"),
    Example("What is an embedding?"),
    Example("why are weights important"),
    Example("compare it with what my notes say"),
    Example("check what the notes say about it"),
    Example("what do the notes say about that model"),
    Example("and tell me what I wrote about it"),
    Example("pros and cons of online versus batch learning"),
    Example("online vs batch learning: when is each one used?"),
    Example("attention in transformers, in simple words"),
    Example("positional encoding and word order, briefly"),
    Example("the training loop of a neural network, step by step"),
    Example("What can it be used for?"),
    Example("what is it good for in music?"),
    Example("how are they used for code?"),
    Example("which Hugging Face models did I study?"),
    Example("what models from the hub are in my notes"),
    Example("Which datasets did I note down for these models?"),
    Example("what did I learn about Stable Diffusion on the hub page?"),
    Example("take me through how backpropagation adjusts the weights"),
    Example("go over the steps of positional encoding for me"),
    Example("Why does 'it' need context before a model understands it?"),
    Example("What does the example 'The cat sat on the mat' show about tokens?"),
    Example("how big is stable diffusion"),
    Example("what size is llama 2"),
    Example("Which models have I read about on the Hub?"),
    Example("what did I write about the Hub models I browsed"),
    Example("walk me through how self-attention works"),
    Example("walk me through what a loss function does during training"),
    Example("How do I pick the number of hidden layers?"),
    Example("how do I know whether my data is changing too fast for batch learning"),
    Example("Can a transformer read a whole sentence at once?"),
    Example("Can a neuron take more than one input?"),
    Example("Could a fixed model keep up with changing tastes?"),
    Example("Does the order of words change what a model understands?"),
    Example("What Hub models did I explore for my notes?"),
    Example("which of the models I browsed generate audio?"),
    Example("remind me which hugging face models I noted"),
)


def search_notes(ctx: ToolContext, query: str, style: str = "") -> ToolResult:
    """Answer a question from the user's study notes, citing the sections used. Use for any question about deep
    learning, transformers, attention, positional encoding, generative AI, the Hub models in the notes,
    adaptive AI, online vs batch learning.

    The turn's context brings the notes, the user's learned style (unless ``style`` names one), the
    previous question (for follow-ups) and the user's reranker.
    """
    if ctx.knowledge is None:
        raise ToolInputError("search_notes needs the notes: run it inside an agent")
    chosen = AnswerStyle.named(style) if style else ctx.style or AnswerStyle()
    return answer_from_notes(ctx.knowledge, query, chosen, previous=list(ctx.previous), rerank=ctx.rerank)


TOOL = ToolDeclaration.of(search_notes, SearchNotesArgs, question_args, "Explain it from my notes", EXAMPLES)
