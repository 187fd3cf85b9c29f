"""Matplotlib set-up shared by the demo tools: headless, imported late, small PNGs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.base import ToolContext


def pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend (no display on servers); imported on first use."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(ctx: ToolContext, fig: Any, stem: str) -> Path:
    """Write ``fig`` as a PNG under the data home and free its memory."""
    plt = pyplot()
    path = ctx.artifact_path(stem, ".png")
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
