"""Argument extraction for the router: quoted sentences, model ids, numbers, layer/head indices.

The embedded model cannot fill a JSON schema reliably, so arguments are read
off the message with patterns. Only arguments the user wrote are filled; the
tools' defaults cover the rest.
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT_ATTENTION_SENTENCE = "The cat sat on the mat"  # the notes' own example
QUOTED = re.compile(r"\"([^\"]{2,})\"|“([^”]{2,})”|'([^']{3,}?)'(?=[\s.,;:?!)]|$)|‘([^’]{3,})’")
NUMBER = r"(\d+(?:\.\d+)?)"
MODEL_ID = re.compile(r"\b([A-Za-z0-9][\w.-]*/[\w.-]*[A-Za-z0-9])\b")
KNOWN_SHORT_IDS = [
    "stable-diffusion-v1-5",
    "stable-diffusion",
    "llama-2-7b",
    "llama-2",
    "llama 2",
    "gpt-neo",
    "gpt neo",
    "gpt2",
    "gpt-2",
    "bark-small",
    "bark",
    "bert-base-uncased",
    "bert",
    "distilbert",
    "roberta",
    "t5-small",
    "t5",
    "whisper",
    "mistral",
    "smollm2",
    "phi-2",
    "gemma",
    "qwen",
    "bloom",
    "clip",
    "all-minilm-l6-v2",
    "minilm",
]


def quoted(text: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in QUOTED.finditer(text)]


def number_after(text: str, *words: str) -> float | None:
    for word in words:
        m = re.search(rf"\b{word}s?\b\s*(?:=|:|of|to)?\s*{NUMBER}", text, re.I)
        if m:
            return float(m.group(1))
        m = re.search(rf"{NUMBER}\s*{word}s?\b", text, re.I)
        if m:
            return float(m.group(1))
    return None


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def model_ids(text: str) -> list[str]:
    """Hub ids (org/name) and well-known short names, in the order written."""
    found: list[tuple[int, str]] = [(m.start(), m.group(1)) for m in MODEL_ID.finditer(text)]
    lowered = text.lower()
    taken = [(s, s + len(i)) for s, i in found]
    for name in KNOWN_SHORT_IDS:
        for m in re.finditer(rf"(?<![\w/-]){re.escape(name)}(?![\w/-])", lowered):
            if not any(a <= m.start() < b for a, b in taken):
                found.append((m.start(), name.replace(" ", "-")))
                taken.append((m.start(), m.end()))
    return [i for _, i in sorted(found)]


def attention_args(text: str) -> dict[str, Any]:
    args: dict[str, Any] = {}
    quotes = quoted(text)
    focus = re.search(
        r"(?:word|token|does)\s+[\"'“‘]?(\w+)[\"'”’]?\s+(?:attend|refer|look|point)", text, re.I
    ) or re.search(r"(?:focus(?: on)?|for the word)\s+[\"'“‘]?(\w+)", text, re.I)
    if focus:
        args["focus"] = focus.group(1)
        quotes = [q for q in quotes if q.lower() != focus.group(1).lower()]
    if quotes:
        args["sentence"] = max(quotes, key=len)
    else:
        m = re.search(r"(?:\bin|\bfor|\bon|:)\s+(?:the sentence\s+)?([A-Z][^?!]*[a-z][.!]?)\s*\??$", text)
        if m and len(m.group(1).split()) >= 3:
            args["sentence"] = m.group(1).strip()
    layer, head = _int(number_after(text, "layer")), _int(number_after(text, "head"))
    if layer is not None:
        args["layer"] = layer
    if head is not None:
        args["head"] = head
    if re.search(r"smol|causal|gpt|decoder", text, re.I):
        args["model"] = "smollm2"
    if re.search(r"all (?:the )?heads|grid|every head|each head", text, re.I):
        args["grid"] = True
    args.setdefault("sentence", DEFAULT_ATTENTION_SENTENCE)
    return args


def positional_args(text: str) -> dict[str, Any]:
    args: dict[str, Any] = {}
    positions = _int(number_after(text, "position"))
    dim = _int(number_after(text, "dimension", "dim", "dims"))
    if positions is not None:
        args["positions"] = positions
    if dim is not None:
        args["dim"] = dim
    quotes = quoted(text)
    if len(quotes) >= 2:
        args["sentences"] = quotes[:2]
    return args


def training_args(text: str) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for name in ("xor", "moons", "circles"):
        if re.search(rf"\b{name[:-1] if name.endswith('s') else name}s?\b", text, re.I):
            args["dataset"] = name
    named = re.search(r"\b(?:on|the|a)\s+(?:the\s+)?([a-z][\w-]*)\s+(?:data ?set|data|problem)\b", text, re.I)
    if "dataset" not in args and named and named.group(1).lower() not in ("toy", "small", "tiny", "training"):
        args["dataset"] = named.group(
            1
        ).lower()  # unknown names go through, so the tool can list the valid ones
    epochs = _int(number_after(text, "epoch"))
    if epochs is not None:
        args["epochs"] = epochs
    lr = number_after(text, "learning rate", "lr")
    if lr is not None:
        args["lr"] = lr
    seed = _int(number_after(text, "seed"))
    if seed is not None:
        args["seed"] = seed
    hidden = re.search(r"(\d+)\s*hidden|hidden (?:layer|units?|size)\s*(?:of\s*)?(\d+)", text, re.I)
    if hidden:
        width = int(hidden.group(1) or hidden.group(2))
        layers = re.search(r"(\d+|two|three|four)\s+hidden layers", text, re.I)
        count = {"two": 2, "three": 3, "four": 4}.get(layers.group(1).lower()) if layers else None
        if layers and count is None:
            count = int(layers.group(1))
        args["hidden"] = [width] * (count or 1)
    return args


def online_args(text: str) -> dict[str, Any]:
    args: dict[str, Any] = {}
    steps = _int(number_after(text, "step", "event"))
    drift = _int(number_after(text, "drift at", "drift_at", "drift after"))
    retrain = _int(number_after(text, "retrain every", "retrain_every", "every"))
    if steps is not None:
        args["steps"] = steps
    if drift is not None:
        args["drift_at"] = drift
    if retrain is not None:
        args["retrain_every"] = retrain
    return args


def hub_args(text: str) -> dict[str, Any]:
    ids = model_ids(text)
    if len(ids) >= 2 or (re.search(r"\bcompare|versus|\bvs\.?\b", text, re.I) and len(ids) >= 2):
        return {"compare": ids}
    if ids:
        return {"model_id": ids[0]}
    m = re.search(
        r"(?:search|find|look for|list)\s+(?:the hub\s+for\s+|for\s+)?(.+?)(?:\s+models?)?(?:\s+on the hub)?\s*[?.]?$",
        text,
        re.I,
    )
    return {"query": m.group(1).strip() if m else text.strip()}


def _prompt_after(text: str, *cues: str) -> str:
    quotes = quoted(text)
    if quotes:
        return max(quotes, key=len)
    for cue in cues:
        m = re.search(rf"{cue}\s*:?\s*(.+)$", text, re.I | re.S)
        if m and m.group(1).strip():
            return m.group(1).strip()
    return text.strip()


def generate_text_args(text: str) -> dict[str, Any]:
    args: dict[str, Any] = {
        "prompt": _prompt_after(text, "generate text", "continue this story", "continue", "prompt")
    }
    if not quoted(text) and not re.search(r"generate text|continue|prompt", text, re.I):
        args["prompt"] = text.strip()
    tokens = _int(number_after(text, "token", "max_new_tokens"))
    if tokens is not None:
        args["max_new_tokens"] = tokens
    temperature = number_after(text, "temperature")
    if temperature is not None:
        args["temperature"] = temperature
    ids = [i for i in model_ids(text) if i not in ("smollm2",)]
    if ids:
        args["model"] = ids[0]
    return args


def generate_image_args(text: str) -> dict[str, Any]:
    args: dict[str, Any] = {"prompt": _prompt_after(text, "picture of", "image of", "illustration of", "of")}
    steps = _int(number_after(text, "step"))
    if steps is not None:
        args["steps"] = steps
    seed = _int(number_after(text, "seed"))
    if seed is not None:
        args["seed"] = seed
    return args


def generate_audio_args(text: str) -> dict[str, Any]:
    return {"text": _prompt_after(text, "aloud", "text", "saying", "say", "speak")}


EXTRACTORS = {
    "attention_demo": attention_args,
    "positional_encoding_demo": positional_args,
    "training_demo": training_args,
    "online_learning_demo": online_args,
    "hub_lookup": hub_args,
    "generate_text": generate_text_args,
    "generate_image": generate_image_args,
    "generate_audio": generate_audio_args,
}


def arguments_match(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    """Whether extracted arguments hold every expected value (strings compared without case or end punctuation)."""
    for key, value in expected.items():
        got = actual.get(key)
        if isinstance(value, str) and isinstance(got, str):
            if value.lower() != got.lower().rstrip(".?!"):
                return False
        elif got != value:
            return False
    return True


def extract(tool: str, text: str) -> dict[str, Any]:
    if tool == "search_notes":
        return {"query": text.strip()}
    return EXTRACTORS[tool](text) if tool in EXTRACTORS else {}
