"""generate_image and generate_audio: the notes' image and audio models, run for real.

Stable Diffusion goes through diffusers, Bark (or any text-to-speech model)
through a transformers pipeline. Their weights are gigabytes, so they load from
a local folder or the local Hugging Face cache only; when they are missing the
tool says which model, how big, and the exact command that fetches it. diffusers
and scipy are an optional extra: ``pip install attentive-agent[media]``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from tools import hub_env
from tools.base import Artifact, ToolContext, ToolInputError, ToolResult, ToolUnavailable
from tools.hub_ids import resolve_model_id

DEFAULT_IMAGE_MODEL = "stable-diffusion-v1-5/stable-diffusion-v1-5"
DEFAULT_AUDIO_MODEL = "suno/bark-small"
MAX_STEPS = 100
MAX_IMAGE_PROMPT_CHARS = 1000
MAX_AUDIO_TEXT_CHARS = 500
EXTRA_HINT = "pip install attentive-agent[media]"


class GenerateImageArgs(BaseModel):
    """Arguments of generate_image."""

    prompt: str = Field(
        min_length=1,
        max_length=MAX_IMAGE_PROMPT_CHARS,
        description="What the picture should show, in English.",
    )
    model: str = Field(
        default=DEFAULT_IMAGE_MODEL,
        description="A text-to-image diffusers model: Hub id in the local cache or a local pipeline folder.",
    )
    steps: int = Field(
        default=25, ge=1, le=MAX_STEPS, description="Denoising steps (1..100); more is slower and finer."
    )
    seed: int | None = Field(default=None, ge=0, description="Fix for a reproducible picture.")


class GenerateAudioArgs(BaseModel):
    """Arguments of generate_audio."""

    text: str = Field(
        min_length=1, max_length=MAX_AUDIO_TEXT_CHARS, description="The words to speak (a sentence or two)."
    )
    model: str = Field(
        default=DEFAULT_AUDIO_MODEL,
        description="A text-to-speech model (Bark, VITS/MMS, ...): Hub id in the local cache or a local folder.",
    )


@dataclass(frozen=True)
class _Source:
    path: str
    label: str


def _locate(model: str, marker: str) -> _Source:
    """A loadable folder for ``model``; ToolUnavailable naming size and fetch command if there is none."""
    text = str(model).strip()
    path = Path(text).expanduser()
    if text and path.is_dir():
        return _Source(str(path.resolve()), path.name)
    model_id = resolve_model_id(text).id  # refuses URLs, missing paths, a/b/c, ".."
    folder = hub_env.cached_snapshot(model_id, marker)
    if folder is None:
        raise ToolUnavailable(hub_env.download_hint(model_id))
    return _Source(str(folder), model_id)


def _check_text(value: str, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ToolInputError(f"{name} is empty; describe what to generate")
    if len(value) > limit:
        raise ToolInputError(f"{name} has {len(value)} characters, the most is {limit}")
    return value.strip()


# --------------------------------------------------------------------------- image


@lru_cache(maxsize=1)
def _diffusion_pipeline(folder: str) -> Any:
    try:
        from diffusers import DiffusionPipeline
    except ImportError as exc:
        raise ToolUnavailable(
            f"generate_image needs diffusers, which is not installed: {EXTRA_HINT}"
        ) from exc
    try:
        pipe = DiffusionPipeline.from_pretrained(folder, local_files_only=True)  # float32 on CPU
    except (OSError, ValueError) as exc:
        raise ToolUnavailable(
            f"cannot load a diffusion pipeline from {folder}: {str(exc).splitlines()[0]}"
        ) from exc
    pipe.set_progress_bar_config(disable=True)
    return pipe


def generate_image(
    ctx: ToolContext, prompt: str, model: str = DEFAULT_IMAGE_MODEL, steps: int = 25, seed: int | None = None
) -> ToolResult:
    """Draw ``prompt`` with a diffusion model and save it as a PNG artifact."""
    text = _check_text(prompt, "prompt", MAX_IMAGE_PROMPT_CHARS)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ToolInputError(f"steps must be 1..{MAX_STEPS}, got {steps!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ToolInputError(f"seed must be a non-negative integer or empty, got {seed!r}")
    source = _locate(model, "model_index.json")
    pipe = _diffusion_pipeline(source.path)
    import torch

    generator = torch.Generator("cpu").manual_seed(seed) if seed is not None else None
    started = time.perf_counter()
    with torch.inference_mode():
        image = pipe(text, num_inference_steps=steps, generator=generator).images[0]
    seconds = time.perf_counter() - started
    path = ctx.artifact_path("image", ".png")
    image.save(path, format="PNG")
    caption = f"{text[:80]} — {source.label}, {steps} steps" + (f", seed {seed}" if seed is not None else "")
    data = {
        "model": source.label,
        "steps": steps,
        "seed": seed,
        "width": image.width,
        "height": image.height,
        "seconds": seconds,
        "path": str(path),
    }
    reply = (
        f"Made a {image.width}x{image.height} image with {source.label} in {steps} steps ({seconds:.1f} s)."
    )
    return ToolResult(text=reply, artifacts=[Artifact(kind="image", path=path, caption=caption)], data=data)


# --------------------------------------------------------------------------- audio


@lru_cache(maxsize=1)
def _tts_pipeline(folder: str) -> Any:
    from transformers import pipeline

    try:
        return pipeline("text-to-speech", model=folder)  # a local folder: nothing is fetched
    except (OSError, ValueError) as exc:
        raise ToolUnavailable(
            f"cannot load a text-to-speech model from {folder}: {str(exc).splitlines()[0]}"
        ) from exc


def _write_wav(path: Path, audio: Any, rate: int) -> int:
    """16-bit PCM WAV (plays everywhere); returns the number of samples written."""
    try:
        from scipy.io import wavfile
    except ImportError as exc:
        raise ToolUnavailable(f"generate_audio needs scipy to write WAV files: {EXTRA_HINT}") from exc
    import numpy as np

    samples = np.asarray(audio, dtype=np.float32).reshape(-1)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    wavfile.write(path, int(rate), pcm)
    return int(pcm.shape[0])


def generate_audio(ctx: ToolContext, text: str, model: str = DEFAULT_AUDIO_MODEL) -> ToolResult:
    """Speak ``text`` with a text-to-speech model and save it as a WAV artifact."""
    words = _check_text(text, "text", MAX_AUDIO_TEXT_CHARS)
    source = _locate(model, "config.json")
    speaker = _tts_pipeline(source.path)
    started = time.perf_counter()
    out = speaker(words)
    seconds = time.perf_counter() - started
    rate = int(out["sampling_rate"])
    path = ctx.artifact_path("speech", ".wav")
    samples = _write_wav(path, out["audio"], rate)
    duration = samples / rate
    data = {
        "model": source.label,
        "sampling_rate": rate,
        "samples": samples,
        "duration_s": duration,
        "seconds": seconds,
        "path": str(path),
    }
    caption = f"“{words[:80]}” — {source.label}, {duration:.1f} s at {rate} Hz"
    reply = f"Spoke {len(words)} characters with {source.label}: {duration:.1f} s of audio at {rate} Hz."
    return ToolResult(text=reply, artifacts=[Artifact(kind="audio", path=path, caption=caption)], data=data)
