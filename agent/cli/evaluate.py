"""`attentive eval`: the scripted dialogues. (The benchmark suite is the checkout's `make bench`.)

Heavy imports wait inside the commands so that `attentive --help` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import LlmOption

__all__ = ["register"]


def eval_command(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Dialogue files or folders (searched for *.yaml, *.yml).")
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write the JSON report here.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML report here.")] = None,
    llm: LlmOption = None,
    min_pass: Annotated[
        float, typer.Option("--min-pass", min=0.0, max=1.0, help="Exit non-zero when fewer dialogues pass.")
    ] = 1.0,
    keep_homes: Annotated[
        Path | None, typer.Option("--keep-homes", help="Keep each dialogue's data home under this folder.")
    ] = None,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the JSON Schema of dialogue files (for editors) and exit.")
    ] = False,
) -> None:
    """Run scripted dialogues against the real agent, each in a fresh data home."""
    if schema:
        import json

        from agent.evaluation.dialogues import Dialogue

        typer.echo(json.dumps(Dialogue.model_json_schema(), indent=2))
        return
    if not paths:
        typer.echo("error: give dialogue files or folders (or --schema)", err=True)
        raise typer.Exit(2)
    from rich.console import Console
    from rich.markup import escape

    from agent.evaluation.dialogues import DialogueError, load_dialogues
    from agent.evaluation.report import print_summary, write_html, write_json
    from agent.evaluation.runner import run_dialogues

    console = Console()
    err = Console(stderr=True)
    try:
        dialogues = load_dialogues(paths)
    except DialogueError as exc:
        err.print("[red]error:[/red] " + escape(str(exc)), highlight=False)
        raise typer.Exit(2) from None

    from agent.cli.progress import progress_bar

    with progress_bar("dialogues", total=len(dialogues)) as bar:

        def progress(result: object) -> None:
            name = getattr(result, "name", "?")
            mark = "pass" if getattr(result, "passed", False) else "FAIL"
            bar.print(f"{mark:4} {name} ({getattr(result, 'seconds', 0.0):.1f} s)")
            bar.advance(1, description=f"dialogues (last: {name})")

        suite = run_dialogues(dialogues, llm=llm, keep_homes=keep_homes, on_result=progress)
    print_summary(suite, console)
    if report is not None:
        console.print(f"JSON report: {write_json(suite, report)}", markup=False)
    if html is not None:
        console.print(f"HTML report: {write_html(suite, html)}", markup=False)
    if suite.pass_rate < min_pass:
        err.print(f"pass rate {suite.pass_rate:.0%} is below --min-pass {min_pass:.0%}", markup=False)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the evaluation commands to the main CLI."""
    app.command("eval")(eval_command)
