"""Derived model files: built once per machine, atomically, and equal to what they replace."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.model_cache import build_once, default_model_cache


@pytest.fixture
def tmp_cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def test_a_folder_is_built_once_and_then_reused(tmp_path: Path) -> None:
    builds: list[Path] = []

    def build(staging: Path) -> None:
        builds.append(staging)
        (staging / "weights.bin").write_bytes(b"w")

    folder = tmp_path / "cache" / "thing"
    assert build_once(folder, "weights.bin", build, "building a thing") == folder
    assert build_once(folder, "weights.bin", build, "building a thing") == folder
    assert len(builds) == 1 and (folder / "weights.bin").read_bytes() == b"w"
    assert not list(folder.parent.glob(".build-*"))


def test_a_failed_or_incomplete_build_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "thing"

    def crash(staging: Path) -> None:
        (staging / "weights.bin").write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        build_once(folder, "weights.bin", crash, "building a thing")
    with pytest.raises(RuntimeError, match="wrote no weights.bin"):
        build_once(folder, "weights.bin", lambda staging: None, "building a thing")
    assert not folder.exists() and not list(folder.parent.glob(".build-*"))


def test_the_default_cache_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_model_cache() == tmp_path / "xdg" / "attentive"


def test_two_agents_in_one_process_keep_their_own_embedding_settings(tmp_path: Path) -> None:
    """No module-level configuration: the second Agent does not change the first one's runtime or cache."""
    import numpy as np

    from agent import Agent
    from agent.settings import load_settings
    from knowledge.embeddings import OnnxMiniLM, SentenceTransformerMiniLM

    onnx = Agent(settings=load_settings(home=tmp_path / "a"))
    torch = Agent(settings=load_settings(home=tmp_path / "b", embedding_runtime="torch", n_threads=1))
    assert isinstance(onnx.embedder.encoder, OnnxMiniLM)
    assert isinstance(torch.embedder.encoder, SentenceTransformerMiniLM)
    assert isinstance(onnx.embedder.encoder, OnnxMiniLM)  # still, after the second Agent started
    text = "Two agents, one process."
    assert np.allclose(onnx.embedder.encoder.encode([text]), torch.embedder.encoder.encode([text]), atol=1e-5)
    assert onnx.settings.n_threads == 2 and torch.settings.n_threads == 1


@pytest.mark.slow
def test_smollm2_converted_once_gives_the_gguf_models_logits(tmp_cache: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from knowledge.embedded_models import smollm2_gguf_path
    from tools.demo_models import smollm2_folder

    folder = smollm2_folder(tmp_cache)
    assert folder.parent == tmp_cache and (folder / "model.safetensors").is_file()
    assert smollm2_folder(tmp_cache) == folder  # the second call finds it

    gguf = smollm2_gguf_path()
    direct = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    ).eval()
    converted = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    ids = tokenizer("The cat sat on the mat because it was warm.", return_tensors="pt").input_ids
    assert (
        ids.tolist()
        == AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)(
            "The cat sat on the mat because it was warm.", return_tensors="pt"
        ).input_ids.tolist()
    )
    with torch.inference_mode():
        assert torch.equal(direct(ids).logits, converted(ids).logits)
