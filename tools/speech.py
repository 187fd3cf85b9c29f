"""generate_audio: text to speech with a local model (Bark by default), through a transformers pipeline."""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

from tools.arguments import generate_audio_args
from tools.base import Artifact, ToolContext, ToolResult, ToolUnavailable
from tools.media import EXTRA_HINT, locate, not_blank
from tools.registry import Example, ToolDeclaration, keyword_runner

DEFAULT_AUDIO_MODEL = "suno/bark-small"
MAX_AUDIO_TEXT_CHARS = 500


class GenerateAudioArgs(BaseModel):
    """Arguments of generate_audio."""

    text: str = Field(
        min_length=1, max_length=MAX_AUDIO_TEXT_CHARS, description="The words to speak (a sentence or two)."
    )
    model: str = Field(
        default=DEFAULT_AUDIO_MODEL,
        description="A text-to-speech model (Bark, VITS/MMS, ...): Hub id in the local cache or a local folder.",
    )

    _text_not_blank = field_validator("text")(not_blank)


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
    words = text.strip()
    source = locate(model, "config.json")
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


TOOL = ToolDeclaration(
    name="generate_audio",
    description="Turn text into speech with a text-to-speech model (Bark small by default).",
    args=GenerateAudioArgs,
    run=keyword_runner(generate_audio),
    extract=generate_audio_args,
    offer="Say it out loud",
    examples=(
        Example("Say 'attention is all you need' out loud", {"text": "attention is all you need"}),
        Example("Say 'hello world' out loud", {"text": "hello world"}),
        Example("Generate speech for this text: welcome to the class"),
        Example("Turn this sentence into audio with bark"),
        Example("Read this aloud: deep learning is fun", {"text": "deep learning is fun"}),
        Example("Make a voice clip saying good morning"),
        Example("speak the words 'see you tomorrow'"),
        Example("text to speech: the lesson starts at nine"),
        Example("Can you pronounce 'transformer' for me?"),
        Example("record yourself saying happy birthday"),
        Example("I want to hear 'neural networks are cool' spoken"),
        Example("convert 'good luck on your exam' to speech"),
        Example("make an audio file of the sentence 'time to study'"),
        Example("read out loud: online learning adapts"),
        Example("narrate this: once upon a time there was a model"),
        Example("read this out: training takes time"),
        Example("say out loud: good night everyone"),
        Example("please read aloud the sentence neural nets are fun"),
        Example("speak this text for me: see you at the lecture"),
    ),
)
