"""``ask``, ``chat``, ``index`` and ``forget``: talking to the agent and feeding it documents."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import HomeOption, LlmOption, UserOption, make_agent, open_knowledge

if TYPE_CHECKING:
    from agent.core import Agent
    from agent.types import Reply
    from knowledge.types import IndexProgress

CHAT_HELP = "Commands: /good, /bad [comment], /correct TEXT, /quit"
PICK_HINT = "Type a choice's number to pick it."


def _print_reply(reply: Reply, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(reply.to_dict(), indent=2, ensure_ascii=False))
        return
    typer.echo(reply.text)
    for i, citation in enumerate(reply.citations, 1):
        typer.echo(f"  [{i}] {citation.section} ({citation.location}, chars {citation.start}-{citation.end})")
    for artifact in reply.artifacts:
        typer.echo(f"  {artifact.kind}: {artifact.path}")
    for number, choice in enumerate(reply.choices, 1):
        typer.echo(f"{number}. {choice.label}")


def picked_choice(message: str, last: Reply | None) -> int | None:
    """The 0-based choice a typed number picks, when ``last`` offered that many; otherwise None.

    Only a bare number of a shown choice counts, so "2 layers or 3?" is still sent as a question.
    """
    if last is None or not last.choices or not (message.isascii() and message.isdigit()):
        return None
    number = int(message)
    return number - 1 if 1 <= number <= len(last.choices) else None


def answer_choice(agent: Agent, last: Reply, index: int, user: str, session: str) -> Reply | None:
    """Answer a picked choice and print it; a refused pick is explained and changes nothing (None)."""
    try:
        reply = agent.choose(last.id, index, user=user, session=session)
    except ValueError as exc:
        typer.echo(f"Choice not taken: {exc}")
        return None
    _print_chat_reply(reply)
    return reply


def _print_chat_reply(reply: Reply) -> None:
    _print_reply(reply, as_json=False)
    if reply.choices:
        typer.echo(PICK_HINT)


def ask(
    question: Annotated[str, typer.Argument(help="The question to answer.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole Reply as JSON.")] = False,
    user: UserOption = "default",
    home: HomeOption = None,
    llm: LlmOption = None,
) -> None:
    """Answer one question and exit."""
    agent = make_agent(home, llm)
    _print_reply(agent.chat(question, user=user, session=f"ask-{uuid.uuid4().hex[:8]}"), as_json)


def _lines() -> Iterator[str]:
    """Lines typed at a prompt, or piped in, until end of input."""
    if not sys.stdin.isatty():
        yield from sys.stdin
        return
    while True:
        try:
            yield input("you> ")
        except EOFError:
            return


def chat(user: UserOption = "default", home: HomeOption = None, llm: LlmOption = None) -> None:
    """A conversation in the terminal; feedback on the last answer with /good, /bad, /correct."""
    agent = make_agent(home, llm)
    session = f"cli-{uuid.uuid4().hex[:8]}"
    typer.echo(f"attentive: {agent.backend_description}. {CHAT_HELP}")
    last = None
    for line in _lines():
        message = line.strip()
        if message in ("/quit", "/exit"):
            break
        if message.startswith("/"):
            command, _, rest = message.partition(" ")
            if command not in ("/good", "/bad", "/correct"):
                typer.echo(CHAT_HELP)
                continue
            if last is None:
                typer.echo("Nothing to give feedback on yet.")
                continue
            try:
                if command == "/good":
                    agent.feedback(last.id, 1, comment=rest or None, user=user)
                elif command == "/bad":
                    agent.feedback(last.id, -1, comment=rest or None, user=user)
                else:
                    agent.feedback(last.id, -1, correction=rest, user=user)
            except ValueError as exc:
                typer.echo(f"Feedback not recorded: {exc}")
                continue
            typer.echo("Feedback recorded.")
            continue
        index = picked_choice(message, last)
        if last is not None and index is not None:
            last = answer_choice(agent, last, index, user, session) or last
            continue
        last = agent.chat(message, user=user, session=session)
        _print_chat_reply(last)


def index(
    paths: Annotated[
        list[Path], typer.Argument(help="Files to index: .md, .markdown, .txt, .pdf, .html, .htm.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    home: HomeOption = None,
) -> None:
    """Index documents so answers can cite them; unchanged files cost nothing.

    One progress bar on stderr counts the files read and the chunks embedded, with an ETA.
    """
    from agent.cli.progress import progress_bar

    knowledge = open_knowledge(home)
    with progress_bar("reading", total=len(paths)) as bar:

        def show(step: IndexProgress) -> None:
            bar.update(step.done, step.total, f"{step.stage} {step.source}")

        report = knowledge.index(paths, progress=show)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(
            f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
            f"removed {report.removed}"
        )
        for error in report.errors:
            typer.echo(f"error: {error}", err=True)
    if report.errors:
        raise typer.Exit(1)


def forget(
    source: Annotated[str, typer.Argument(help="File name of the source to drop, e.g. notes.md.")],
    home: HomeOption = None,
) -> None:
    """Drop a source from the index."""
    knowledge = open_knowledge(home)
    removed = knowledge.forget(source)
    if not removed:
        typer.echo(
            f"no source named {source!r}; indexed: {', '.join(knowledge.store.sources()) or 'none'}", err=True
        )
        raise typer.Exit(1)
    typer.echo(f"removed {removed} chunks of {source}")


def register(app: typer.Typer) -> None:
    for command in (ask, chat, index, forget):
        app.command()(command)
