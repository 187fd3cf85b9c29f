"""``attentive ui``: serve the chat page (loopback only, no public link unless asked); ``attentive ui-user``:
add a login to a users file."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the ``ui`` and ``ui-user`` commands to the main CLI."""

    @app.command("ui")
    def ui(
        host: str = typer.Option(
            "127.0.0.1", help="Address to listen on; 0.0.0.0 exposes the page to your network."
        ),
        port: int = typer.Option(7860, min=1, max=65535, help="Port to listen on."),
        auth: list[str] = typer.Option(  # noqa: B008
            [], "--auth", help="Require a login, given as USER:PASS; repeat it for several users."
        ),
        auth_file: Path | None = typer.Option(  # noqa: B008
            None,
            "--auth-file",
            help="Require a login: a users file of hashed passwords (made with `attentive ui-user`).",
        ),
        mcp: bool = typer.Option(False, "--mcp", help="Also serve the tools over MCP at /gradio_api/mcp/."),
        share: bool = typer.Option(False, "--share", help="Open a public gradio.live link (off by default)."),
    ) -> None:
        """Open the chat page: streaming answers, tool steps, figures, feedback, uploads.

        With a login, each user is their login name; without one, each browser is its own anonymous user
        (a signed cookie), and nobody sees another's history, feedback or uploads.
        """
        from agent.ui.app import launch, parse_auth
        from agent.ui.identity import Logins

        try:
            pairs = [pair for pair in (parse_auth(a) for a in auth) if pair is not None]
            Logins.build(pairs, auth_file)  # every login checked before the page starts
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--auth / --auth-file") from exc
        typer.echo(f"Chat page on http://{host}:{port}" + (" (MCP at /gradio_api/mcp/)" if mcp else ""))
        launch(host=host, port=port, auth=pairs, auth_file=auth_file, mcp=mcp, share=share)

    @app.command("ui-user")
    def ui_user(
        file: Path = typer.Argument(..., help="The users file (created if missing; mode 0600)."),  # noqa: B008
        name: str = typer.Argument(..., help="The login name."),
        password: str = typer.Option(
            ...,
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="The password (asked if not given).",
        ),
    ) -> None:
        """Add a login to a users file for `attentive ui --auth-file` (replacing an earlier one of that name).

        Only a salted scrypt hash of the password is written.
        """
        from agent.ui.identity import add_user

        try:
            add_user(file, name, password)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        typer.echo(f"{name} can now log in (users file: {file.name}).")
