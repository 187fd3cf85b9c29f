"""``attentive ui``: serve the chat page (loopback only, no public link unless asked)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ``ui`` command to the main CLI."""

    @app.command("ui")
    def ui(
        host: str = typer.Option(
            "127.0.0.1", help="Address to listen on; 0.0.0.0 exposes the page to your network."
        ),
        port: int = typer.Option(7860, min=1, max=65535, help="Port to listen on."),
        auth: str | None = typer.Option(None, help="Require a login, given as USER:PASS."),
        mcp: bool = typer.Option(False, "--mcp", help="Also serve the tools over MCP at /gradio_api/mcp/."),
        share: bool = typer.Option(False, "--share", help="Open a public gradio.live link (off by default)."),
    ) -> None:
        """Open the chat page: streaming answers, tool steps, figures, feedback, uploads."""
        from agent.ui.app import launch, parse_auth

        try:
            pair = parse_auth(auth)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--auth") from exc
        typer.echo(f"Chat page on http://{host}:{port}" + (" (MCP at /gradio_api/mcp/)" if mcp else ""))
        launch(host=host, port=port, auth=pair, mcp=mcp, share=share)
