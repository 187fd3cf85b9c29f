"""``attentive prepare``: build the per-machine model files once, ahead of the first chat.

The bundled MiniLM ships as PyTorch weights; the fast-start runtime needs an
ONNX export of them. Doing it here (``make install`` runs it) keeps that
one-off half minute out of the user's first conversation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``prepare`` command to the main CLI."""

    @app.command("prepare")
    def prepare(
        model_cache: Annotated[
            Path | None,
            typer.Option(
                "--model-cache", help="Cache folder (default: ATTENTIVE_MODEL_CACHE or ~/.cache/attentive)."
            ),
        ] = None,
    ) -> None:
        """Export the bundled MiniLM to ONNX for this machine, so every start after is fast."""
        from agent.settings import load_settings
        from knowledge.minilm_onnx import ExportFailed, ensure_exported, is_exported

        settings = load_settings(model_cache=model_cache)
        already = is_exported(settings.model_cache)
        try:
            folder = ensure_exported(settings.model_cache)
        except ExportFailed as exc:
            typer.echo(
                f"error: {exc}; the agent will use sentence-transformers instead (slower start)", err=True
            )
            raise typer.Exit(1) from exc
        typer.echo(f"{'already prepared' if already else 'prepared'}: {folder}")
