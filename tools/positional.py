"""positional_encoding_demo: why a transformer needs to be told where each word is.

The notes claim that without positional encoding "The cat in the tree" and
"The tree in the cat" look the same. This tool shows it with MiniLM's own
vectors: the bag of word embeddings of the two sentences is identical, and only
once positions are added and self-attention mixes the tokens do the sentences
come apart. It also draws the sinusoidal encoding and how similar MiniLM's
learned position vectors are to each other.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field, field_validator

from tools.arguments import positional_args
from tools.base import Artifact, ToolContext, ToolInputError, ToolResult
from tools.demo_models import load_model, one_torch_thread
from tools.figures import pyplot, save_figure
from tools.notes_refs import cite_notes
from tools.registry import ToolDeclaration

DEFAULT_SENTENCES = ("The cat in the tree", "The tree in the cat")
CONTROL = "Stock markets fell sharply on Monday"
MAX_POSITIONS = 2048
MAX_DIM = 1024
MAX_TOKENS = 128
_SECTION = "Transformers > Positional Encoding"


class PositionalEncodingDemoArgs(BaseModel):
    """Arguments of positional_encoding_demo, described for the model that picks tools."""

    positions: int = Field(
        default=32, ge=1, le=MAX_POSITIONS, description="How many positions (rows) to draw, 1..2048."
    )
    dim: int = Field(
        default=64,
        ge=2,
        le=MAX_DIM,
        description="Width of the sinusoidal encoding to draw, an even number 2..1024.",
    )
    sentences: list[str] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="Two sentences with the same words in a different order, e.g. "
        "['The cat in the tree', 'The tree in the cat'] (the default).",
    )

    @field_validator("dim")
    @classmethod
    def _even(cls, dim: int) -> int:
        if dim % 2:
            raise ValueError("must be an even number (sine and cosine come in pairs)")
        return dim

    @field_validator("sentences")
    @classmethod
    def _same_words_other_order(cls, sentences: list[str] | None) -> list[str] | None:
        if sentences is None:
            return None
        first, second = (s.strip() for s in sentences)
        if not first or not second:
            raise ValueError(f"both sentences must be non-empty, e.g. {list(DEFAULT_SENTENCES)}")
        words_a, words_b = _words(first), _words(second)
        if Counter(words_a) != Counter(words_b):
            only_a, only_b = Counter(words_a) - Counter(words_b), Counter(words_b) - Counter(words_a)
            raise ValueError(
                "the two sentences must use exactly the same words in a different order; "
                f"only in the first: {sorted(only_a.elements())}, only in the second: {sorted(only_b.elements())}"
            )
        if words_a == words_b:
            raise ValueError("the two sentences are in the same order; reorder the words of one of them")
        return [first, second]


def _words(sentence: str) -> list[str]:
    """The words and punctuation marks MiniLM's uncased tokenizer sees: lower case, accents dropped."""
    plain = "".join(
        c for c in unicodedata.normalize("NFD", sentence.lower()) if unicodedata.category(c) != "Mn"
    )
    return re.findall(r"[^\W_]+|\S", plain)


def sinusoidal_encoding(positions: int, dim: int) -> Any:
    """The fixed encoding of 'Attention is all you need': sin on even, cos on odd dimensions.

    Each pair of dimensions is a clock ticking at its own speed (fast on the left,
    slow on the right), so every position gets a distinct pattern of values in [-1, 1].
    """
    import numpy as np

    pos = np.arange(positions, dtype=np.float64)[:, None]  # (positions, 1)
    rate = 1.0 / 10000.0 ** (np.arange(0, dim, 2, dtype=np.float64) / dim)  # (dim/2,)
    pe = np.zeros((positions, dim))
    pe[:, 0::2] = np.sin(pos * rate)
    pe[:, 1::2] = np.cos(pos * rate)
    return pe


def positional_encoding_demo(
    ctx: ToolContext, positions: int = 32, dim: int = 64, sentences: list[str] | None = None
) -> ToolResult:
    """Draw sinusoidal positional encodings and show that word order is invisible without them."""
    import torch

    first, second = sentences or DEFAULT_SENTENCES

    loaded = load_model("minilm")
    tok, model = loaded.tokenizer, loaded.model
    ids_a, ids_b = _token_ids(tok, first), _token_ids(tok, second)
    # The argument model compares words; only the tokenizer knows its tokens ("5€ a" vs "5 €a").
    if Counter(ids_a) != Counter(ids_b) or ids_a == ids_b:
        raise ToolInputError(
            f"MiniLM's tokenizer does not read {first!r} and {second!r} as the same tokens in a different "
            "order; use plain words and keep symbols apart from them"
        )

    emb = model.embeddings
    words = emb.word_embeddings.weight.detach()  # (vocab, 384)
    learned = emb.position_embeddings.weight.detach().double().numpy()  # (512, 384)
    n = len(ids_a)
    w_a, w_b = words[ids_a].double().numpy(), words[ids_b].double().numpy()  # the same rows, shuffled
    p_learned = learned[:n]
    sims = {
        "bag_of_words": _cos(w_a.mean(0), w_b.mean(0)),
        "mean_of_words_plus_learned_positions": _cos((w_a + p_learned).mean(0), (w_b + p_learned).mean(0)),
    }
    # The real thing: MiniLM's six self-attention layers, mean-pooled, fed three ways.
    with torch.inference_mode(), one_torch_thread():
        for key, positions_kind in (
            ("minilm_no_positions", "none"),
            ("minilm_learned_positions", "learned"),
            ("minilm_sinusoidal_positions", "sinusoidal"),
        ):
            pooled = [_encode_mean(tok, model, s, positions_kind) for s in (first, second)]
            sims[key] = _cos(*pooled)
        # control: without positions MiniLM still separates different words, so 1.0 above is about order
        control = _cos(_encode_mean(tok, model, first, "none"), _encode_mean(tok, model, CONTROL, "none"))

    shown = min(positions, learned.shape[0])
    learned_sim = _cos_matrix(learned[:shown])
    sin_full = sinusoidal_encoding(positions, dim)
    near, far = _near_far(learned_sim)

    artifacts = [
        _draw_sinusoidal(ctx, sin_full),
        _draw_similarity(ctx, learned_sim, _cos_matrix(sin_full), dim),
    ]
    data: dict[str, Any] = {
        "positions": positions,
        "dim": dim,
        "sentences": [first, second],
        "tokens": [tok.convert_ids_to_tokens(ids_a), tok.convert_ids_to_tokens(ids_b)],
        "similarity": {k: round(v, 6) for k, v in sims.items()},
        "control_sentence": CONTROL,
        "control_similarity_no_positions": round(control, 6),
        "sinusoidal_row0": [round(float(v), 6) for v in sin_full[0, : min(dim, 8)]],
        "sinusoidal_min": float(sin_full.min()),
        "sinusoidal_max": float(sin_full.max()),
        "learned_positions_shown": shown,
        "learned_similarity_neighbours": near,
        "learned_similarity_far": far,
    }
    text = _explain(first, second, sims, control, shown, positions, near, far)
    citations = [
        cite_notes(_SECTION, "Without it, there would be no difference"),
        cite_notes(_SECTION, "These position values are added to the word embeddings"),
    ]
    return ToolResult(text=text, artifacts=artifacts, citations=citations, data=data)


# --- checks -------------------------------------------------------------------------------------


def _token_ids(tok: Any, sentence: str) -> list[int]:
    ids = tok(sentence, add_special_tokens=False)["input_ids"]
    if len(ids) > MAX_TOKENS:
        raise ToolInputError(
            f"each sentence may have at most {MAX_TOKENS} tokens; {sentence[:40]!r}... has {len(ids)}"
        )
    return list(ids)


# --- the numbers --------------------------------------------------------------------------------


def _cos(a: Any, b: Any) -> float:
    import numpy as np

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _cos_matrix(vectors: Any) -> Any:
    import numpy as np

    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit @ unit.T


def _encode_mean(tok: Any, model: Any, sentence: str, positions_kind: str) -> Any:
    """MiniLM's mean-pooled output with no, its own learned, or sinusoidal position vectors.

    The model always adds the vector of each token's position id; giving every
    token id 0 and subtracting that vector again leaves the words alone, so we
    choose what is added. Without positions MiniLM still tells words apart, it
    just cannot see their order. MiniLM was never trained with sinusoidal
    vectors (scaled here to the size of its own), so that variant shows that
    order becomes visible, not that the model reads it well.
    """
    import torch

    batch = tok(sentence, return_tensors="pt")
    ids = batch.pop("input_ids")
    n = ids.shape[1]
    emb = model.embeddings
    table = emb.position_embeddings.weight  # (512, 384)
    vectors = emb.word_embeddings(ids) - table[0]  # cancel the position-0 vector the model adds below
    if positions_kind == "learned":
        vectors = vectors + table[:n]  # exactly what MiniLM normally does
    elif positions_kind == "sinusoidal":
        pe = torch.tensor(sinusoidal_encoding(n, vectors.shape[-1]), dtype=vectors.dtype)
        vectors = vectors + pe * (table[1:n].norm(dim=-1).mean() / pe.norm(dim=-1).mean())
    hidden = model(inputs_embeds=vectors, position_ids=torch.zeros_like(ids), **batch).last_hidden_state[0]
    return hidden.double().mean(dim=0).numpy()  # mean pooling over tokens, as sentence-transformers does


def _near_far(sim: Any) -> tuple[float | None, float | None]:
    """Mean similarity of neighbouring positions vs positions at least 16 apart."""
    import numpy as np

    n = sim.shape[0]
    if n < 2:
        return None, None
    near = float(np.mean([sim[i, i + 1] for i in range(n - 1)]))
    pairs = [sim[i, j] for i in range(n) for j in range(i + 16, n)]
    return round(near, 4), (round(float(np.mean(pairs)), 4) if pairs else None)


def _explain(
    first: str,
    second: str,
    sims: dict[str, float],
    control: float,
    shown: int,
    positions: int,
    near: float | None,
    far: float | None,
) -> str:
    s = {k: f"{v:.4f}" for k, v in sims.items()}
    lines = [
        f"Comparing {first!r} with {second!r} (cosine similarity, 1.0 = indistinguishable):",
        f"- bag of MiniLM word embeddings (averaged): {s['bag_of_words']}. Same words, so the same average: "
        "order is invisible.",
        f"- words + learned positions, just averaged: {s['mean_of_words_plus_learned_positions']}. Still the "
        "same, because both sentences use positions 0..n-1 and an average forgets which word sat where.",
        f"- through MiniLM's self-attention layers, then averaged: {s['minilm_no_positions']} when every token "
        f"has no position vector added (no order information), {s['minilm_learned_positions']} with MiniLM's "
        f"learned positions, {s['minilm_sinusoidal_positions']} with sinusoidal positions added instead. "
        f"(Without positions MiniLM still tells different words apart: against {CONTROL!r} it scores "
        f"{control:.2f}.)",
        "So positions only help because they are added to the word embeddings before self-attention mixes "
        "the tokens: then the same word at two different positions becomes two different vectors.",
        "The first picture is the sinusoidal encoding: each row is a position, each column pair a sine/cosine "
        "wave of its own speed, so every position gets its own pattern.",
    ]
    if near is not None:
        far_text = f" and {far:.2f} for positions 16 or more apart" if far is not None else ""
        clipped = f" (MiniLM has only {shown} learned positions)" if shown < positions else ""
        lines.append(
            f"The second picture compares the first {shown} positions with each other{clipped}: MiniLM learned "
            f"its position vectors from data, yet neighbours came out similar (mean {near:.2f}){far_text}, "
            "much like the bands along the diagonal of the sinusoidal one."
        )
    return "\n".join(lines)


# --- drawing ------------------------------------------------------------------------------------


def _thin(matrix: Any, limit: int) -> tuple[Any, int]:
    """Every k-th row and column so big pictures stay small files; k is said in the title."""
    step = max(1, -(-max(matrix.shape) // limit))
    return matrix[::step, ::step], step


def _draw_sinusoidal(ctx: ToolContext, pe: Any) -> Artifact:
    plt = pyplot()
    positions, dim = pe.shape
    shown, step = _thin(pe, 256)
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=90)
    image = ax.imshow(
        shown,
        aspect="auto",
        cmap="RdBu_r",
        vmin=-1,
        vmax=1,
        interpolation="nearest",
        extent=(0, dim, positions, 0),
    )
    ax.set_xlabel("encoding dimension (even = sin, odd = cos; waves slow down to the right)")
    ax.set_ylabel("token position")
    every = f", every {step}th row/column drawn" if step > 1 else ""
    ax.set_title(f"Sinusoidal positional encoding: {positions} positions x {dim} dimensions{every}")
    fig.colorbar(image, ax=ax, label="value added to the word embedding")
    fig.tight_layout()
    path = save_figure(ctx, fig, "positional-sinusoidal")
    return Artifact(
        "image", path, f"Sinusoidal positional encoding ({positions} positions, {dim} dimensions)"
    )


def _draw_similarity(ctx: ToolContext, learned_sim: Any, sin_sim: Any, dim: int) -> Artifact:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.5), dpi=90)
    for ax, sim, title in (
        (axes[0], learned_sim, f"MiniLM learned position embeddings (first {learned_sim.shape[0]})"),
        (axes[1], sin_sim, f"Sinusoidal encoding ({sin_sim.shape[0]} positions, dim {dim})"),
    ):
        n = sim.shape[0]
        shown, step = _thin(sim, 128)
        image = ax.imshow(shown, cmap="magma", vmin=-1, vmax=1, interpolation="nearest", extent=(0, n, n, 0))
        ax.set_title(title + (f"\nevery {step}th position drawn" if step > 1 else ""), fontsize=10)
        ax.set_xlabel("position")
        ax.set_ylabel("position")
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="cosine similarity")
    fig.suptitle("How similar is each position's vector to every other position's?")
    fig.tight_layout()
    path = save_figure(ctx, fig, "positional-similarity")
    return Artifact(
        "image", path, "Cosine similarity between position vectors: learned (MiniLM) vs sinusoidal"
    )


TOOL = ToolDeclaration.of(
    positional_encoding_demo, PositionalEncodingDemoArgs, positional_args, "Draw position encodings"
)
