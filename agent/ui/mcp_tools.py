"""The agent's tools as typed, documented functions, for Gradio's API and MCP server.

Gradio turns each function's signature into the tool's input schema and its
docstring (the ``Args:`` block) into the descriptions an MCP client shows its
model, so both are written for that reader.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.ui.adapter import PageAgent

MCP_TOOL_NAMES = (
    "search_notes",
    "attention_demo",
    "positional_encoding_demo",
    "training_demo",
    "online_learning_demo",
    "hub_lookup",
)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def format_result(result: Any) -> str:
    """A tool result as one text: the explanation, its sources and the files it made."""
    if isinstance(result, str):
        return result
    parts = [str(_get(result, "text", "") or "")]
    citations = _get(result, "citations", []) or []
    if citations:
        parts.append("Sources:")
        parts += [
            f'- {_get(c, "section", "")}: "{" ".join(str(_get(c, "quote", "")).split())}"' for c in citations
        ]
    for artifact in _get(result, "artifacts", []) or []:
        parts.append(
            f"[{_get(artifact, 'kind', 'file')}] {_get(artifact, 'caption', '')}: {_get(artifact, 'path', '')}"
        )
    return "\n".join(p for p in parts if p)


def run(page: PageAgent, name: str, args: dict[str, Any]) -> str:
    """Run a tool for an MCP client; a bad argument comes back as a readable error, not a trace."""
    args = {key: value for key, value in args.items() if value is not None}
    try:
        return format_result(page.run_tool(name, args, user="mcp"))
    except Exception as exc:  # ToolInputError, ToolException, a tool bug: all reach the client as text
        return f"Error: {exc}"


def build_tools(page: PageAgent) -> list[Callable[..., str]]:
    """One plain function per tool, named as the tool, for ``gr.api``."""

    def search_notes(query: str) -> str:
        """Answer a question about deep learning and generative AI from the study notes, with quoted sources.

        Args:
            query: The question, e.g. "What is positional encoding?".
        Returns:
            The answer and the notes' sections it quotes.
        """
        return run(page, "search_notes", {"query": query})

    def attention_demo(
        sentence: str,
        layer: int | None = None,
        head: int | None = None,
        model: str = "minilm",
        focus: str | None = None,
    ) -> str:
        """Show how the words of a sentence attend to each other inside a real transformer (draws a heatmap).

        Args:
            sentence: The sentence to analyse (at most 128 tokens), e.g. "The cat sat on the mat".
            layer: Layer counted from 0 (minilm 0..5, smollm2 0..29); empty for the last layer.
            head: Head counted from 0 (minilm 0..11, smollm2 0..8); empty for the average of all heads.
            model: "minilm" (bidirectional, fast) or "smollm2" (causal, slow first load).
            focus: A word of the sentence whose attention to report, e.g. "it".
        Returns:
            What the attention shows and the path of the heatmap image.
        """
        args = {"sentence": sentence, "layer": layer, "head": head, "model": model, "focus": focus}
        return run(page, "attention_demo", args)

    def positional_encoding_demo(
        positions: int = 32, dim: int = 64, sentences: list[str] | None = None
    ) -> str:
        """Show why transformers need positional encoding: reordered sentences look identical without it.

        Args:
            positions: Number of positions to draw, 1..2048.
            dim: Width of the sinusoidal encoding, an even number 2..1024.
            sentences: Two sentences with the same words in another order, e.g. ["The cat in the tree", "The tree in the cat"].
        Returns:
            The similarities with and without positions and the paths of the figures.
        """
        return run(
            page, "positional_encoding_demo", {"positions": positions, "dim": dim, "sentences": sentences}
        )

    def training_demo(
        dataset: str = "xor",
        hidden: list[int] | None = None,
        epochs: int = 300,
        lr: float = 0.1,
        seed: int = 0,
    ) -> str:
        """Train a small neural network from random weights on a toy dataset and explain the training.

        Args:
            dataset: "xor", "moons" or "circles".
            hidden: Neurons per hidden layer, e.g. [8] or [16, 16] (1..4 layers of 1..256).
            epochs: Training passes over the data, 1..5000.
            lr: Learning rate, in (0, 10].
            seed: Random seed; the same seed gives the same result.
        Returns:
            Loss, accuracy, weight counts and the paths of the loss curve and decision boundary.
        """
        args = {"dataset": dataset, "hidden": hidden, "epochs": epochs, "lr": lr, "seed": seed}
        return run(page, "training_demo", args)

    def online_learning_demo(
        steps: int = 2000, drift_at: int = 1000, retrain_every: int = 500, seed: int = 0
    ) -> str:
        """Race an online learner against a periodically retrained batch model on a stream whose taste drifts.

        Args:
            steps: Number of simulated events, 10..20000.
            drift_at: Event at which the taste changes, between 0 and steps.
            retrain_every: The batch model is retrained every this many events.
            seed: Random seed of the simulated stream.
        Returns:
            Accuracy around the drift, training time of each learner and the path of the plot.
        """
        args = {"steps": steps, "drift_at": drift_at, "retrain_every": retrain_every, "seed": seed}
        return run(page, "online_learning_demo", args)

    def hub_lookup(
        model_id: str | None = None, query: str | None = None, compare: list[str] | None = None
    ) -> str:
        """Describe a Hugging Face model, search the Hub, or compare models; give exactly one argument.

        Args:
            model_id: One model id or short name, e.g. "gpt2" or "suno/bark".
            query: Free-text search, e.g. "text to speech".
            compare: Two to six model ids to compare side by side.
        Returns:
            The model facts (task, size, licence, downloads) and where they come from.
        """
        return run(page, "hub_lookup", {"model_id": model_id, "query": query, "compare": compare})

    return [
        search_notes,
        attention_demo,
        positional_encoding_demo,
        training_demo,
        online_learning_demo,
        hub_lookup,
    ]
