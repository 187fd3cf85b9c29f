"""attention_demo: the real self-attention weights of a real transformer, drawn.

A learner reads in the notes that attention lets a token like "it" find what it
refers to. This tool runs a sentence through MiniLM (or SmolLM2), takes the
attention matrices the model actually computed, and draws one of them as a
heatmap. It is deliberately honest: attention is spread over many heads, the
head average often parks weight on special tokens, so the tool says which head
it shows and why, and says so when no word is singled out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from tools.arguments import attention_args
from tools.base import Artifact, ToolContext, ToolInputError, ToolResult
from tools.demo_models import MODELS, SHAPES, load_model, one_torch_thread
from tools.fields import not_blank
from tools.figures import pyplot, save_figure
from tools.notes_refs import cite_notes
from tools.registry import ToolDeclaration

MAX_TOKENS = 128  # MiniLM was trained on short inputs; bigger heatmaps stop being readable anyway
EXAMPLE = "The animal didn't cross the street because it was too tired."
_SECTION = "Transformers > Self-Attention"
PRONOUNS = frozenset(
    {"it", "its", "he", "him", "his", "she", "her", "they", "them", "their", "this", "that", "which", "who"}
)


class AttentionDemoArgs(BaseModel):
    """Arguments of attention_demo, described for the model that picks tools."""

    # layer and head have upper bounds that depend on the model: attention_demo checks those.

    sentence: Annotated[str, not_blank(f"give me a sentence to look at, for example: {EXAMPLE!r}")] = Field(
        description=f"The sentence whose self-attention to show (at most 128 tokens), e.g. {EXAMPLE!r}.",
    )
    layer: int | None = Field(
        default=None,
        ge=0,
        description="Transformer layer to show, counted from 0 (minilm: 0..5, smollm2: 0..29). "
        "Leave empty to let the tool pick (the last layer, or the sharpest head for `focus`).",
    )
    head: int | None = Field(
        default=None,
        ge=0,
        description="Attention head within the layer, from 0 (minilm: 0..11, smollm2: 0..8). "
        "Leave empty for the average of all heads of the layer.",
    )
    model: Literal["minilm", "smollm2"] = Field(
        default="minilm",
        description="'minilm' (bidirectional encoder, fast) or 'smollm2' (causal decoder, slow first load).",
    )
    focus: str | None = Field(
        default=None,
        description="A word of the sentence whose attention to report, e.g. 'it' to see what 'it' attends to.",
    )
    grid: bool = Field(default=False, description="Also draw every head of the layer side by side.")

    @field_validator("model", mode="before")
    @classmethod
    def _model_name(cls, value: Any) -> Any:
        """'MiniLM' and ' smollm2' name the same models as 'minilm' and 'smollm2'."""
        return value.strip().lower() if isinstance(value, str) else value


@dataclass(frozen=True)
class _Encoded:
    tokens: list[str]  # display labels
    special: list[bool]  # [CLS], [SEP], <|im_start|>...
    offsets: list[tuple[int, int]]  # character span of each token in the sentence
    attentions: Any  # tensor (layers, heads, tokens, tokens); each row sums to 1


def attention_demo(
    ctx: ToolContext,
    sentence: str,
    layer: int | None = None,
    head: int | None = None,
    model: str = "minilm",
    focus: str | None = None,
    grid: bool = False,
) -> ToolResult:
    """Run a real transformer on a sentence and draw its self-attention weights (a heatmap per layer/head);
    with focus, report which words a word such as 'it' attends to."""
    import torch

    n_layers, n_heads = SHAPES[model]
    # AttentionDemoArgs keeps layer and head >= 0; their upper bounds are the chosen model's.
    if layer is not None and layer >= n_layers:
        raise ToolInputError(f"layer must be 0..{n_layers - 1} for {model}, got {layer}")
    if head is not None and head >= n_heads:
        raise ToolInputError(f"head must be 0..{n_heads - 1} for {model}, got {head}")
    focus_span = _find_word(sentence, focus) if focus else None

    loaded = load_model(model, ctx.model_cache)
    enc = _encode(loaded, sentence)
    attn = enc.attentions  # (L, H, T, T)
    focus_idx = _tokens_in_span(enc.offsets, focus_span) if focus_span else []
    if focus_span and not focus_idx:
        raise ToolInputError(f"the tokenizer merged {focus!r} into a neighbour; try another word")

    # Which picture to draw, and why (said out loud in the text).
    ranking: list[dict[str, Any]] = []
    if focus_idx:
        pronoun = (focus or "").strip().lower() in PRONOUNS
        ranking = _head_ranking(attn, focus_idx, enc, loaded.causal, pronoun)
    if layer is None and head is None and ranking:
        layer, head = ranking[0]["layer"], ranking[0]["head"]
        target = (
            "an earlier word (a pronoun points back to something already said)" if pronoun else "another word"
        )
        others = "; ".join(
            f"layer {r['layer']} head {r['head']} -> {r['token']!r} ({r['weight']:.2f})" for r in ranking[1:4]
        )
        why = (
            f"I show layer {layer}, head {head} because, of all {n_layers * n_heads} heads, it links {focus!r} most "
            f"strongly to {target}; links to direct neighbours are left out, since those heads mostly track "
            f"position. This is a selection, and other heads see it differently: {others}."
        )
    else:
        why = ""
        if layer is None:
            layer = n_layers - 1
    matrix = attn[layer, head] if head is not None else attn[layer].mean(dim=0)
    view = f"layer {layer}, head {head}" if head is not None else f"layer {layer}, average of {n_heads} heads"
    if not why:
        why = f"I show {view}" + (" (the last layer)." if layer == n_layers - 1 else ".")

    row_sums = matrix.sum(dim=-1)
    if not torch.allclose(row_sums, torch.ones_like(row_sums), atol=1e-4):  # pragma: no cover - model bug
        raise RuntimeError(f"attention rows do not sum to 1: {row_sums.tolist()}")

    lines = [f"Self-attention of {MODELS[model].split(' (')[0]} on {len(enc.tokens)} tokens. {why}"]
    data: dict[str, Any] = {
        "model": model,
        "tokens": enc.tokens,
        "special": enc.special,
        "layer": layer,
        "head": head,
        "view": view,
        "n_layers": n_layers,
        "n_heads": n_heads,
        "causal": loaded.causal,
        "attention": [[round(float(w), 5) for w in row] for row in matrix],
        "row_sums": [float(s) for s in row_sums],
        "focus": None,
        "head_ranking": ranking[:10],
    }
    citations = [cite_notes(_SECTION, "It tells the model which tokens are more relevant to each other")]

    if focus_idx:
        report = _focus_report(matrix, focus_idx, enc, loaded.causal)
        data["focus"] = report
        lines.append(_describe_focus(focus or "", report))
        if head is not None:  # compare with the head average that a naive demo would show
            avg = _focus_report(attn[n_layers - 1].mean(dim=0), focus_idx, enc, loaded.causal)
            data["focus_last_layer_average"] = avg
            lines.append(
                f"For comparison, averaged over the {n_heads} heads of the last layer, {focus!r} gives "
                f"{_fmt_top(avg['top'][:2])}."
            )
        citations.append(cite_notes(_SECTION, "The model needs to find relationships between vectors"))

    lines.append(_explain(loaded.causal))
    artifacts = [_draw_heatmap(ctx, enc, matrix, view, model, focus_idx)]
    if grid:
        artifacts.append(_draw_grid(ctx, enc, attn[layer], layer, model))
    return ToolResult(text="\n\n".join(lines), artifacts=artifacts, citations=citations, data=data)


# --- running the model -------------------------------------------------------------------------


def _encode(loaded: Any, sentence: str) -> _Encoded:
    import torch

    tok = loaded.tokenizer
    batch = tok(sentence, return_tensors="pt", return_offsets_mapping=True, return_special_tokens_mask=True)
    n = int(batch["input_ids"].shape[1])
    if n > MAX_TOKENS:
        raise ToolInputError(
            f"the sentence is {n} tokens long; attention_demo handles at most {MAX_TOKENS} tokens "
            "(roughly 90 words). Please shorten it."
        )
    offsets = [tuple(map(int, pair)) for pair in batch.pop("offset_mapping")[0].tolist()]
    special = [bool(s) for s in batch.pop("special_tokens_mask")[0].tolist()]
    with torch.inference_mode(), one_torch_thread():
        out = loaded.model(**batch, output_attentions=True)
    # out.attentions: one (batch, heads, tokens, tokens) tensor per layer
    attentions = torch.stack([a[0] for a in out.attentions]).float()
    ids = batch["input_ids"][0].tolist()
    labels = [_label(t) for t in tok.convert_ids_to_tokens(ids)]
    return _Encoded(labels, special, offsets, attentions)  # type: ignore[arg-type]


def _label(token: str) -> str:
    """Readable tick label: byte-level BPE marks a leading space with 'Ġ' and a newline with 'Ċ'."""
    return token.replace("Ġ", "").replace("Ċ", "\\n") or "␣"


def _find_word(sentence: str, word: str) -> tuple[int, int]:
    match = re.search(rf"(?<!\w){re.escape(word.strip())}(?!\w)", sentence, flags=re.IGNORECASE)
    if not word.strip() or match is None:
        words = re.findall(r"\w+(?:'\w+)?", sentence)
        raise ToolInputError(
            f"focus word {word!r} does not occur in the sentence; its words are: {', '.join(words)}"
        )
    return match.span()


def _tokens_in_span(offsets: list[tuple[int, int]], span: tuple[int, int]) -> list[int]:
    return [i for i, (s, e) in enumerate(offsets) if e > s and s < span[1] and e > span[0]]


def _is_word(enc: _Encoded, i: int) -> bool:
    return not enc.special[i] and any(c.isalnum() for c in enc.tokens[i])


def _candidates(enc: _Encoded, focus_idx: list[int], causal: bool) -> list[int]:
    """Tokens that count as 'another word': not special, not punctuation, not the focus itself.

    In a causal model the first token is an attention sink (every head may dump weight
    there), so it does not count either.
    """
    return [
        i
        for i in range(len(enc.tokens))
        if _is_word(enc, i) and i not in focus_idx and not (causal and i == 0)
    ]


def _head_ranking(
    attn: Any, focus_idx: list[int], enc: _Encoded, causal: bool, pronoun: bool
) -> list[dict[str, Any]]:
    """Every head's strongest link from the focus word to another word, strongest first.

    Direct neighbours are left out (heads that look one token left or right track
    position, not meaning), and for a pronoun only earlier words count: a pronoun
    points back to something already said.
    """
    first, last = min(focus_idx), max(focus_idx)
    cands = [i for i in _candidates(enc, focus_idx, causal) if i < first - 1 or i > last + 1]
    if pronoun and any(i < first for i in cands):
        cands = [i for i in cands if i < first]
    if not cands:
        return []
    rows = attn[:, :, focus_idx, :].mean(dim=2)[:, :, cands]  # (layers, heads, candidates)
    best, where = rows.max(dim=-1)
    ranking = [
        {
            "layer": layer,
            "head": head,
            "token": enc.tokens[cands[int(where[layer, head])]],
            "weight": round(float(best[layer, head]), 4),
        }
        for layer in range(attn.shape[0])
        for head in range(attn.shape[1])
    ]
    return sorted(ranking, key=lambda r: -r["weight"])


def _focus_report(matrix: Any, focus_idx: list[int], enc: _Encoded, causal: bool) -> dict[str, Any]:
    row = matrix[focus_idx].mean(dim=0)  # a word split into pieces: average its rows
    order = sorted(range(len(row)), key=lambda i: -float(row[i]))
    cands = set(_candidates(enc, focus_idx, causal))

    def entry(i: int) -> dict[str, Any]:
        kind = (
            "special" if enc.special[i] else "self" if i in focus_idx else "word" if i in cands else "other"
        )
        if causal and i == 0 and not enc.special[i]:
            kind = "first token (attention sink)"
        return {"token": enc.tokens[i], "index": i, "weight": round(float(row[i]), 4), "kind": kind}

    words = [entry(i) for i in order if i in cands]
    return {
        "word": " ".join(enc.tokens[i] for i in focus_idx),
        "indices": focus_idx,
        "top": [entry(i) for i in order[:5]],
        "top_words": words[:5],
        "singled_out": bool(
            words and order[0] in cands and (len(words) < 2 or words[0]["weight"] >= 1.5 * words[1]["weight"])
        ),
    }


def _fmt_top(entries: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"{e['token']!r} {e['weight']:.2f}" + ("" if e["kind"] == "word" else f" ({e['kind']})")
        for e in entries
    )


def _describe_focus(focus: str, report: dict[str, Any]) -> str:
    top, words = report["top"], report["top_words"]
    text = f"{focus!r} attends most to: {_fmt_top(top[:3])}."
    if not words:
        return text + " There is no other word in the sentence for it to attend to."
    first = words[0]
    if report["singled_out"]:
        runner = f", well ahead of {words[1]['token']!r} ({words[1]['weight']:.2f})" if len(words) > 1 else ""
        return (
            text
            + f" In this view the model clearly singles out {first['token']!r} ({first['weight']:.2f}){runner}."
        )
    if top[0]["index"] != first["index"]:
        return text + (
            f" Honestly, this view does not single out a word: the largest share goes to {top[0]['token']!r} "
            f"({top[0]['kind']}), a place heads often park attention when nothing in particular is relevant; "
            f"the strongest real word is {first['token']!r} ({first['weight']:.2f})."
        )
    return text + (
        f" Honestly, {first['token']!r} ({first['weight']:.2f}) only narrowly leads {words[1]['token']!r} "
        f"({words[1]['weight']:.2f}): this view does not clearly single out one word."
    )


def _explain(causal: bool) -> str:
    scope = (
        "SmolLM2 is causal: a token sees only itself and the tokens before it, so everything above the "
        "diagonal is exactly zero."
        if causal
        else "MiniLM is bidirectional: every token sees the whole sentence, before and after it."
    )
    return (
        "How to read the picture: each row is one token asking 'which tokens matter to me?'; its cells are "
        "attention weights between 0 and 1 that sum to 1 across the row, and the token's new vector is that "
        "weighted mix of the others' vectors. All rows are computed at the same time, which is what the notes "
        f"mean by attention happening simultaneously. {scope} Attention weights hint at what the model mixes "
        "together; they are not proof of what it 'thinks'."
    )


# --- drawing -----------------------------------------------------------------------------------


def _draw_heatmap(
    ctx: ToolContext, enc: _Encoded, matrix: Any, view: str, name: str, focus_idx: list[int]
) -> Artifact:
    plt = pyplot()
    from matplotlib.patches import Rectangle

    n = len(enc.tokens)
    side = min(14.0, max(5.5, 0.32 * n + 2.5))
    font = 9 if n <= 30 else 7 if n <= 60 else 4
    fig, ax = plt.subplots(figsize=(side + 1.2, side), dpi=90)
    image = ax.imshow(matrix.numpy(), cmap="viridis", vmin=0.0, vmax=float(matrix.max()))
    ax.set_xticks(range(n), enc.tokens, rotation=90, fontsize=font)
    ax.set_yticks(range(n), enc.tokens, fontsize=font)
    ax.set_xlabel("attended-to token (key)")
    ax.set_ylabel("attending token (query)")
    ax.set_title(f"{name} self-attention, {view}\n(each row sums to 1)")
    for i in focus_idx:
        ax.add_patch(Rectangle((-0.5, i - 0.5), n, 1, fill=False, edgecolor="red", linewidth=1.5))
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="attention weight")
    fig.tight_layout()
    path = save_figure(ctx, fig, "attention")
    caption = f"Attention heatmap of {name}, {view}" + (" (focus row outlined in red)" if focus_idx else "")
    return Artifact(kind="image", path=path, caption=caption)


def _draw_grid(ctx: ToolContext, enc: _Encoded, layer_attn: Any, layer: int, name: str) -> Artifact:
    plt = pyplot()

    heads, n = int(layer_attn.shape[0]), len(enc.tokens)
    cols = 4 if heads % 4 == 0 else 3
    rows = -(-heads // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols + 1, 3.2 * rows + 0.6), dpi=80, squeeze=False)
    labelled = n <= 16
    for h, ax in enumerate(axes.flat):
        if h >= heads:
            ax.axis("off")
            continue
        image = ax.imshow(layer_attn[h].numpy(), cmap="viridis", vmin=0.0, vmax=1.0)
        ax.set_title(f"head {h}", fontsize=9)
        if labelled:
            ax.set_xticks(range(n), enc.tokens, rotation=90, fontsize=5)
            ax.set_yticks(range(n), enc.tokens, fontsize=5)
        else:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(
        f"{name}: all {heads} heads of layer {layer} (rows = attending token, columns = attended-to token)"
    )
    fig.colorbar(image, ax=axes, fraction=0.02, pad=0.02, label="attention weight")
    path = save_figure(ctx, fig, f"attention-grid-layer{layer}")
    return Artifact(kind="image", path=path, caption=f"All {heads} attention heads of {name} layer {layer}")


TOOL = ToolDeclaration.of(attention_demo, AttentionDemoArgs, attention_args, "Run the attention demo")
