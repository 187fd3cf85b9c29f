"""``attentive prepare``: build the per-machine model files once, ahead of the first chat.

The bundled models ship as PyTorch weights (MiniLM) and a GGUF file (SmolLM2).
The fast-start embedding runtime needs MiniLM exported to ONNX, and the
attention demo loads SmolLM2 fastest from a converted copy. Doing both here
(``make install`` runs it) keeps that one-off minute out of the first conversation.
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
        """Export MiniLM to ONNX and convert SmolLM2 for transformers, once per machine."""
        from agent.settings import load_settings
        from knowledge.minilm_onnx import ensure_exported
        from tools.demo_models import smollm2_folder

        settings = load_settings(model_cache=model_cache)
        failed = False
        for what, build in (("MiniLM (ONNX)", ensure_exported), ("SmolLM2 (transformers)", smollm2_folder)):
            try:
                typer.echo(f"{what}: {build(settings.model_cache)}")
            except (ImportError, OSError, RuntimeError) as exc:  # ExportFailed is a RuntimeError
                typer.echo(f"error: {what}: {exc}", err=True)
                failed = True
        if failed:
            typer.echo(
                "the agent still works, only its start (or the SmolLM2 demo's first load) is slower", err=True
            )
            raise typer.Exit(1)
