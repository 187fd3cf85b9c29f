"""``attentive``: the command-line interface. Each subject's commands live in their own module.

Only typer is imported at start-up; the agent and its models load inside the
commands, so ``attentive --help`` is instant.
"""

from __future__ import annotations

import importlib

import typer

from agent.cli import conversation

SUBJECT_MODULES = (
    "agent.cli.feedback",
    "agent.cli.evaluate",
    "agent.cli.ui",
    "agent.cli.models",
    "agent.cli.database",
)

app = typer.Typer(
    name="attentive",
    help="A local tutor-agent for deep learning and generative AI, grounded in your study notes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
conversation.register(app)
for module_name in SUBJECT_MODULES:
    importlib.import_module(module_name).register(app)


def main() -> None:
    from agent.state import StateStoreError

    try:
        app()
    except StateStoreError as exc:  # a database that cannot be used: its reason on one line, no traceback
        typer.echo(f"attentive: {exc}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
