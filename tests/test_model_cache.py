"""Derived model files: built once per machine, atomically, and equal to what they replace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge import model_cache
from knowledge.model_cache import build_once, use_model_cache


@pytest.fixture
def tmp_cache(tmp_path: Path) -> Iterator[Path]:
    before = model_cache._configured
    use_model_cache(tmp_path / "cache")
    try:
        yield tmp_path / "cache"
    finally:
        use_model_cache(before)


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


def test_the_cache_follows_the_setting_and_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    before = model_cache._configured
    try:
        use_model_cache(None)
        assert model_cache.model_cache() == tmp_path / "xdg" / "attentive"
        use_model_cache(tmp_path / "mine")
        assert model_cache.model_cache() == tmp_path / "mine"
    finally:
        use_model_cache(before)


@pytest.mark.slow
def test_smollm2_converted_once_gives_the_gguf_models_logits(tmp_cache: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from knowledge.embedded_models import smollm2_gguf_path
    from tools.demo_models import smollm2_folder

    folder = smollm2_folder()
    assert folder.parent == tmp_cache and (folder / "model.safetensors").is_file()
    assert smollm2_folder() == folder  # the second call finds it

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
