"""`attentive feedback ...`: export, reset and promote what users taught the agent.

These are operator commands, so they open the feedback file directly and never
load a model: promoting and resetting need no embeddings.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from agent.cli.common import HomeOption, JsonOption, state_location

if TYPE_CHECKING:
    import numpy as np

    from agent.feedback import FeedbackService

T = TypeVar("T")


def _no_embed(texts: list[str]) -> np.ndarray:
    raise RuntimeError("the feedback CLI does not embed text")  # pragma: no cover - never reached


def _service(home: Path | None) -> FeedbackService:
    from agent.feedback import FeedbackService
    from agent.settings import load_settings

    settings = load_settings(home=home)
    return FeedbackService(
        settings.home,
        embed=_no_embed,
        default_style=settings.default_style,
        location=state_location(settings),
    )


def _operate(home: Path | None, action: Callable[[FeedbackService], T], param_hint: str) -> T:
    """Run one operator action on the feedback store; a refusal becomes a usage error on ``param_hint``."""
    service = _service(home)
    try:
        return action(service)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=param_hint) from exc
    finally:
        service.close()


def register(app: typer.Typer) -> None:
    """Add the `feedback` command group to the main CLI."""
    group = typer.Typer(
        help="Inspect and manage feedback: export, reset a user, promote an event.", no_args_is_help=True
    )

    @group.command("export")
    def export(
        home: HomeOption = None,
        out: Annotated[
            Path | None, typer.Option("--out", help="Write JSON lines here instead of stdout.")
        ] = None,
    ) -> None:
        """Every feedback event with the reply it judged, as JSON lines."""
        service = _service(home)
        try:
            if out is None:
                service.export_jsonl(sys.stdout)
            else:
                with out.open("w", encoding="utf-8") as fp:
                    count = service.export_jsonl(fp)
                typer.echo(f"wrote {count} events to {out}", err=True)
        finally:
            service.close()

    @group.command("reset")
    def reset(
        user: Annotated[str, typer.Option("--user", help="Whose feedback and learned style to forget.")],
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Forget one user's feedback, corrections and learned preferences (promoted events stay)."""
        counts = _operate(home, lambda service: service.reset(user), "--user")
        if as_json:
            typer.echo(json.dumps({"user": user, "deleted": counts}))
        else:
            typer.echo(
                f"reset {user}: deleted {counts['events']} events, {counts['corrections']} corrections"
            )

    @group.command("promote")
    def promote(
        event_id: Annotated[int, typer.Argument(help="Event id, as listed by `feedback export`.")],
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Make one event's correction and preference apply to every user."""
        event = _operate(home, lambda service: service.promote(event_id), "ID")
        if as_json:
            typer.echo(json.dumps(event.to_dict()))
        else:
            typer.echo(f"promoted event {event.id} (from user {event.user}); it now applies to every user")

    app.add_typer(group, name="feedback")
