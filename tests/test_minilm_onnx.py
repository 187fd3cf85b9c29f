"""The ONNX runtime for MiniLM: same vectors as sentence-transformers, exported once, safely."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from knowledge import embeddings, minilm_onnx
from knowledge.embedded_models import minilm_path
from knowledge.minilm_onnx import ExportFailed, OnnxMiniLM, ensure_exported, export_folder, verify_export
from knowledge.model_cache import default_model_cache

NOTES = (Path(__file__).resolve().parents[1] / "knowledge" / "data").glob("*.md")


@pytest.fixture(scope="module")
def reference():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def exported() -> Path:
    """The machine's export (``make install`` runs ``attentive prepare``, so this is usually free)."""
    return ensure_exported(default_model_cache())


def _texts() -> list[str]:
    notes = "\n".join(path.read_text() for path in NOTES)
    return [
        "What is self-attention?",
        "",
        "Ünïcödé — 注意力 ✨",
        notes[:6000],  # far past 256 tokens: truncated the same way
        "What is self-attention?",  # a repeat keeps its place
        *[notes[i : i + 500] for i in range(0, 8000, 500)],
    ]


def test_onnx_vectors_equal_sentence_transformers_in_the_callers_order(reference, exported: Path) -> None:
    texts = _texts()
    got = OnnxMiniLM(exported).encode(texts, batch_size=4)
    want = reference.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert got.shape == (len(texts), 384) and got.dtype == np.float32
    assert np.abs(got - want).max() < 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(got[0], got[4])


def test_embed_gives_the_same_rows_under_either_runtime(exported: Path) -> None:
    texts = ["Why does the Transformer scale dot products?", "Online learning follows drift."]
    onnx_rows = embeddings._encoder("onnx", default_model_cache(), 2).encode(texts)
    torch_rows = embeddings._encoder("torch", default_model_cache(), 2).encode(texts)
    assert isinstance(
        embeddings._encoder("torch", default_model_cache(), 2), embeddings.SentenceTransformerMiniLM
    )
    assert np.abs(onnx_rows - torch_rows).max() < 1e-5


def test_an_unknown_runtime_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown embedding runtime"):
        embeddings.Embedder("tensorflow")  # type: ignore[arg-type]


@pytest.mark.slow
def test_a_fresh_cache_exports_once_atomically_and_reuses_it(tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    (cache / ".build-leftover").mkdir(parents=True)  # a crash mid-export elsewhere
    (cache / ".build-leftover" / "model.onnx").write_bytes(b"half a file")

    folder = ensure_exported(cache)

    assert folder == export_folder(cache) and (folder / "model.onnx").is_file()
    made = json.loads((folder / "export.json").read_text())
    assert made["max_error"] < minilm_onnx.MAX_EXPORT_ERROR
    assert not [p for p in cache.glob(".build-*") if p.name != ".build-leftover"]  # staging renamed away

    def no_second_export(staging: Path) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(minilm_onnx, "_export_into", no_second_export)
    assert ensure_exported(cache) == folder
    # The fresh export encodes like the machine's own.
    text = ["Attention weights sum to one."]
    assert (
        np.abs(
            OnnxMiniLM(folder).encode(text) - OnnxMiniLM(ensure_exported(default_model_cache())).encode(text)
        ).max()
        < 1e-6
    )


def test_an_export_that_does_not_reproduce_pytorch_is_refused(exported: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(minilm_path())).eval()
    assert verify_export(exported, model) < minilm_onnx.MAX_EXPORT_ERROR
    with torch.no_grad():
        model.embeddings.word_embeddings.weight.mul_(1.01)  # what a stale or broken export would look like
    with pytest.raises(ExportFailed, match="differs from PyTorch"):
        verify_export(exported, model)


def test_a_failed_export_leaves_nothing_and_falls_back_to_sentence_transformers(
    tmp_path: Path, monkeypatch, caplog
) -> None:
    def broken_export(staging: Path) -> None:
        (staging / "model.onnx").write_bytes(b"partial")
        raise ExportFailed("torch.onnx could not export all-MiniLM-L6-v2: unsupported operator")

    monkeypatch.setattr(minilm_onnx, "_export_into", broken_export)
    with caplog.at_level(logging.WARNING, logger="knowledge.embeddings"):
        encoder = embeddings._encoder.__wrapped__("onnx", tmp_path, 2)
    assert isinstance(encoder, embeddings.SentenceTransformerMiniLM)
    assert "unsupported operator" in caplog.text
    assert not export_folder(tmp_path).exists()
    assert not list(tmp_path.glob(".build-*"))
    vector = encoder.encode(["attention"])
    assert vector.shape == (1, 384)


def test_prepare_command_names_both_prepared_folders(exported: Path) -> None:
    from typer.testing import CliRunner

    from agent.cli.main import app
    from tools.demo_models import smollm2_folder

    result = CliRunner().invoke(app, ["prepare", "--model-cache", str(default_model_cache())])
    assert result.exit_code == 0, result.output
    assert f"MiniLM (ONNX): {exported}" in result.output
    assert f"SmolLM2 (transformers): {smollm2_folder(default_model_cache())}" in result.output
