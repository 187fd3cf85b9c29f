"""`attentive db ...`: bring the state database up to date, and copy a data home's state into another.

Operator commands: they open the databases directly and never load a model. A database that
cannot be used ends the command with its one-line reason (``StateStoreError``, exit status 2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import HomeOption, JsonOption, state_location

if TYPE_CHECKING:
    pass


def register(app: typer.Typer) -> None:
    """Add the `db` command group to the main CLI."""
    group = typer.Typer(
        help="The state database (memory and feedback): upgrade its schema, copy it elsewhere.",
        no_args_is_help=True,
    )

    @group.command("upgrade")
    def upgrade(
        url: Annotated[
            str | None,
            typer.Option("--url", help="Database (default: ATTENTIVE_DATABASE_URL, else the data home)."),
        ] = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Create or migrate the memory and feedback tables; running it again changes nothing."""
        from agent.feedback.store import FeedbackStore
        from agent.memory import close_checkpointer, open_checkpointer
        from agent.settings import load_settings

        location = state_location(load_settings(home=home), url)
        store = FeedbackStore(location, upgrade=False)
        try:
            before, after = store.upgrade()
        finally:
            store.close()
        close_checkpointer(open_checkpointer(location))  # LangGraph's setup() is idempotent too
        if as_json:
            typer.echo(
                json.dumps({"database": location.redacted(), "feedback": {"was": before, "now": after}})
            )
            return
        change = "already up to date" if before == after else f"migrated from {before or 'empty'}"
        typer.echo(
            f"{location.redacted()}: feedback schema at revision {after} ({change}); memory tables ready"
        )

    @group.command("copy")
    def copy(
        source: Annotated[
            str, typer.Option("--from", help="Copy from: sqlite:///DATA_HOME or postgresql://...")
        ],
        target: Annotated[
            str, typer.Option("--to", help="Copy into (must be empty): postgresql://... or sqlite:///FOLDER")
        ],
        as_json: JsonOption = False,
    ) -> None:
        """Copy memory and feedback into an empty database, ids kept, then compare the counts of both."""
        from agent.state import parse_database_url
        from agent.state_copy import copy_state

        here = Path.cwd()
        from_location, to_location = parse_database_url(source, here), parse_database_url(target, here)
        if from_location.kind == "sqlite" and not (from_location.folder or here).exists():
            raise typer.BadParameter(f"no data home at {from_location.folder}", param_hint="--from")
        report = copy_state(from_location, to_location)
        if as_json:
            typer.echo(
                json.dumps(
                    {"from": from_location.redacted(), "to": to_location.redacted(), **report.to_dict()}
                )
            )
            return
        rows = ", ".join(f"{n} {name}" for name, n in report.feedback.items())
        typer.echo(
            f"copied {from_location.redacted()} -> {to_location.redacted()}: feedback {rows}; memory "
            f"{report.threads} conversations, {report.checkpoints} checkpoints, {report.writes} pending writes "
            "(counts checked on both sides)"
        )

    app.add_typer(group, name="db")
