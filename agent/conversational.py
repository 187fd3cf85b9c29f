"""Intents that need no tool: greetings, thanks, goodbyes, acknowledgements, "what can you do?".

A tutor that answers "hello" with "the notes do not cover this" feels broken, so these are
intents of their own, learned from phrases like the tools' and answered with a short friendly
reply that says what the agent can do. The capabilities reply is built from the tool registry:
each tool's offer and its showcase example, so it never lists a tool that is not there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tools.registry import ToolDeclaration

SMALL_TALK = "small_talk"
CAPABILITIES = "capabilities"


@dataclass(frozen=True)
class ConversationalIntent:
    """An intent answered by a reply, not a tool; ``family`` is the intent reported to callers."""

    name: str
    family: str
    examples: tuple[str, ...]
    reply: Callable[[Sequence[ToolDeclaration]], str]


def _teaser(tools: Sequence[ToolDeclaration]) -> str:
    """One sentence of what the agent can do, and one example to try."""
    names = {t.name for t in tools}
    can = ["explain your study notes with sources"]
    if names & {"attention_demo", "positional_encoding_demo", "training_demo", "online_learning_demo"}:
        can.append("show the ideas working in live demos")
    if "hub_lookup" in names:
        can.append("look models up on the Hugging Face Hub")
    if names & {"generate_text", "generate_image", "generate_audio"}:
        can.append("write text, make pictures and speak")
    listed = ", ".join(can[:-1]) + (f" and {can[-1]}" if len(can) > 1 else can[0])
    example = next(
        (t.showcase for t in tools if t.name == "search_notes"), tools[0].showcase if tools else ""
    )
    return f"I can {listed}. Try “{example}”, or ask “What can you do?”."


def capabilities_reply(tools: Sequence[ToolDeclaration]) -> str:
    """Every tool with what it is for and one example to type."""
    lines = ["Here is what I can do for you, with something to try for each:"]
    lines += [f"- **{t.offer}** (`{t.name}`): “{t.showcase}”" for t in tools]
    lines.append("Ask in your own words: I work out which of these you mean, and ask when I am unsure.")
    return "\n".join(lines)


CONVERSATIONAL: tuple[ConversationalIntent, ...] = (
    ConversationalIntent(
        "greeting",
        SMALL_TALK,
        (
            "hello",
            "hello there",
            "hi",
            "hi!",
            "hey",
            "hey there, how's it going?",
            "good morning",
            "good evening",
            "how are you?",
            "how are you doing today",
            "yo",
            "greetings",
            "hiya, anyone there?",
            "nice to meet you",
            "hello, who are you?",
        ),
        lambda tools: (
            "Hello! I'm attentive, your tutor for deep learning and generative AI. " + _teaser(tools)
        ),
    ),
    ConversationalIntent(
        "thanks",
        SMALL_TALK,
        (
            "thank you!",
            "thanks",
            "thanks a lot",
            "many thanks for the help",
            "thank you so much, that was helpful",
            "cheers",
            "thx",
            "much appreciated",
            "that helped, thanks",
            "great answer, thank you",
        ),
        lambda tools: "You're welcome! " + _teaser(tools),
    ),
    ConversationalIntent(
        "acknowledgement",
        SMALL_TALK,
        (
            "ok",
            "okay cool",
            "nice!",
            "great",
            "awesome",
            "got it",
            "I see",
            "makes sense",
            "cool, interesting",
            "wow",
            "you're great",
            "lol",
            "you're a really good teacher",
            "this is so helpful",
            "you explain things well",
            "perfect, that's what I needed",
        ),
        lambda tools: "Glad to hear it. What would you like to look at next? " + _teaser(tools),
    ),
    ConversationalIntent(
        "farewell",
        SMALL_TALK,
        (
            "bye",
            "goodbye",
            "see you later",
            "good night",
            "that's all for today",
            "I'm done for now, bye",
            "talk to you tomorrow",
            "see ya",
        ),
        lambda tools: (
            "Goodbye, and good luck with your studies! This conversation is kept, so you can "
            "pick up where you left off."
        ),
    ),
    ConversationalIntent(
        CAPABILITIES,
        CAPABILITIES,
        (
            "What can you do?",
            "How can you help me?",
            "what are you able to do",
            "what tools do you have?",
            "help",
            "what kind of things can I ask you?",
            "what are your features",
            "what do you do",
            "how do I use you?",
            "can you do anything besides answering questions?",
            "what are you capable of",
            "list your abilities",
            "what sort of demos can you run?",
            "what can I do here?",
            "can you make images too?",
            "are you able to generate audio as well?",
            "is it possible to run demos with you?",
            "what else can you do besides text?",
        ),
        capabilities_reply,
    ),
)
