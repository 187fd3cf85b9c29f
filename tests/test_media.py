"""generate_image and generate_audio on tiny pipelines built here, and their offline refusals."""

from __future__ import annotations

import struct
import sys
import wave
from pathlib import Path

import pytest

from bench.recorded_hub import build_tiny_stable_diffusion, build_tiny_vits, put_in_cache
from tools import image, media, speech
from tools.base import ToolContext, ToolInputError, ToolUnavailable
from tools.image import GenerateImageArgs, generate_image
from tools.speech import GenerateAudioArgs, generate_audio


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_stable_diffusion(tmp_path_factory.mktemp("tiny-sd"))


@pytest.fixture(scope="module")
def tiny_tts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_vits(tmp_path_factory.mktemp("tiny-vits"))


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(home=tmp_path / "home")


def _pixels(path: Path) -> list[tuple[int, int, int]]:
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "PNG"
        return list(image.convert("RGB").getdata())


def test_image_is_a_real_png_and_the_seed_fixes_it(tiny_sd: Path, ctx: ToolContext) -> None:
    first = generate_image(ctx, "a red square", model=str(tiny_sd), steps=2, seed=1)
    again = generate_image(ctx, "a red square", model=str(tiny_sd), steps=2, seed=1)
    other = generate_image(ctx, "a red square", model=str(tiny_sd), steps=2, seed=2)
    (artifact,) = first.artifacts
    assert artifact.kind == "image" and artifact.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (first.data["width"], first.data["height"]) == (64, 64)
    pixels = _pixels(artifact.path)
    assert len(pixels) == 64 * 64 and len(set(pixels)) > 1  # a picture, not a flat fill
    assert _pixels(again.artifacts[0].path) == pixels
    assert _pixels(other.artifacts[0].path) != pixels


def test_default_image_model_loads_from_the_cache_like_a_real_id(
    tiny_sd: Path, cache: Path, ctx: ToolContext
) -> None:
    put_in_cache(cache, "stable-diffusion-v1-5/stable-diffusion-v1-5", tiny_sd)
    result = generate_image(ctx, "a tree", steps=1, seed=0)
    assert result.data["model"] == "stable-diffusion-v1-5/stable-diffusion-v1-5"
    assert result.artifacts[0].path.stat().st_size > 0


def test_missing_image_weights_name_model_size_and_command(cache: Path, ctx: ToolContext) -> None:
    with pytest.raises(ToolUnavailable) as info:
        generate_image(ctx, "a cat")
    message = str(info.value)
    assert "stable-diffusion-v1-5/stable-diffusion-v1-5" in message and "5.5 GB" in message
    assert "`hf download stable-diffusion-v1-5/stable-diffusion-v1-5`" in message
    assert "Traceback" not in message


def test_missing_diffusers_points_at_the_media_extra(
    tiny_sd: Path, ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "diffusers", None)  # import diffusers -> ImportError
    monkeypatch.setattr(media, "_loaded", {})  # a fresh process as far as the cache knows
    with pytest.raises(ToolUnavailable, match=r"pip install attentive-agent\[media\]"):
        generate_image(ctx, "a cat", model=str(tiny_sd), steps=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 0}, r"steps: must be at least 1 \(got 0\)"),
        ({"steps": 101}, r"steps: must be at most 100 \(got 101\)"),
        ({"prompt": "x" * 1001}, r"prompt: must have at most 1000 characters \(got 1001 characters\)"),
        ({"prompt": " "}, "prompt: is empty"),
        ({"model": "https://example.com/sd"}, "URLs"),
        ({"model": "a/b/c"}, "at most one"),
        ({"seed": -3}, r"seed: must be at least 0 \(got -3\)"),
    ],
)
def test_image_caps_are_refused(kwargs: dict, message: str, ctx: ToolContext) -> None:
    args = {"prompt": "a cat", **kwargs}
    with pytest.raises(ToolInputError, match=message):
        image.TOOL.call(ctx, args)


def test_audio_is_a_real_wav_with_the_reported_samples(tiny_tts: Path, ctx: ToolContext) -> None:
    import torch

    torch.manual_seed(0)
    result = generate_audio(ctx, "hello there, attention is all you need.", model=str(tiny_tts))
    (artifact,) = result.artifacts
    raw = artifact.path.read_bytes()
    assert artifact.kind == "audio" and raw[:4] == b"RIFF" and raw[8:12] == b"WAVE"
    assert struct.unpack("<I", raw[4:8])[0] == len(raw) - 8
    with wave.open(str(artifact.path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16000)
        frames = wav.getnframes()
        data = wav.readframes(frames)
    assert frames == result.data["samples"] > 0
    assert result.data["duration_s"] == pytest.approx(frames / 16000)
    samples = struct.unpack(f"<{frames}h", data)
    assert max(abs(s) for s in samples) > 0  # sound, not silence


def test_audio_from_a_cached_id_and_missing_weights(tiny_tts: Path, cache: Path, ctx: ToolContext) -> None:
    with pytest.raises(ToolUnavailable) as info:
        generate_audio(ctx, "hello", model="suno/bark-small")
    assert "suno/bark-small" in str(info.value) and "1.7 GB" in str(info.value)
    assert "`hf download suno/bark-small`" in str(info.value)
    put_in_cache(cache, "suno/bark-small", tiny_tts)
    result = generate_audio(ctx, "hello", model="suno/bark-small")
    assert result.data["model"] == "suno/bark-small" and result.data["samples"] > 0


def test_transformers_models_keep_the_500_character_cap(tiny_tts: Path, ctx: ToolContext) -> None:
    with pytest.raises(ToolInputError) as info:
        generate_audio(ctx, "a" * 501, model=str(tiny_tts))
    assert "at most 500 characters" in str(info.value) and "got 501" in str(info.value)
    assert "Piper voice (model 'piper') takes up to 2,000" in str(info.value)
    assert generate_audio(ctx, "a " * 250, model=str(tiny_tts)).data["samples"] > 0


def test_audio_caps_and_args_models(ctx: ToolContext) -> None:
    with pytest.raises(
        ToolInputError, match=r"text: must have at most 2000 characters \(got 2001 characters\)"
    ):
        speech.TOOL.call(ctx, {"text": "a" * 2001})
    with pytest.raises(ToolInputError, match="text: is empty"):
        speech.TOOL.call(ctx, {"text": "  "})
    with pytest.raises(ToolInputError, match="'..'"):
        speech.TOOL.call(ctx, {"text": "hi", "model": "../voices"})
    assert speech.TOOL.validate({"text": "  hi "}).text == "hi"
    assert GenerateImageArgs(prompt="a cat").steps == 25
    with pytest.raises(ValueError):
        GenerateImageArgs(prompt="a cat", steps=500)
    assert GenerateAudioArgs(text="hi").model == "piper"  # the offline voice (tests/test_speech.py)
