"""Issue 20 bar: the offline voice speaks a 10-word sentence at a real-time factor <= 0.5 on this
machine (synthesis seconds / audio seconds), and the WAV is not silence (RMS above a floor).

Everything goes through ``generate_audio`` with its default model, so the figure includes writing
the WAV. The voice is loaded (and the ONNX session warmed by one sentence) before the clock starts:
loading happens once per process and is its own row. The WAV is read back with the standard
library's ``wave`` module to measure its loudness independently of the tool.
"""

from __future__ import annotations

import math
import statistics
import struct
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

SENTENCE = "The quick brown fox jumps over the lazy sleeping dog."  # 10 words
PARAGRAPH_CHARS = 2000  # the tool's text limit: how long the longest allowed request takes
RTF_TARGET = 0.5
RMS_FLOOR = 0.02  # of full scale; speech from the bundled voice measures about 0.13
REPEATS = 7


def _rms(path: Path) -> float:
    with wave.open(str(path)) as wav:
        frames = wav.getnframes()
        samples = struct.unpack(f"<{frames}h", wav.readframes(frames))
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples))) / 32768


def _paragraph() -> str:
    from knowledge.loader import bundled_notes_path

    lines = bundled_notes_path().read_text(encoding="utf-8").splitlines()
    prose = " ".join(line for line in lines if line and not line.startswith(("#", "|", "-", "`", ">")))
    return prose[:PARAGRAPH_CHARS]


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Rows: load time, median RTF of the 10-word sentence, its RMS, and the longest allowed text."""
    from tools.base import ToolContext
    from tools.speech import bundled_voice, generate_audio, piper_voice

    model = bundled_voice()
    if model is None:
        return [{"name": "voice_rtf_10_words", "value": None, "error": "the voice extra is not installed"}]
    tick = time.perf_counter()
    piper_voice(model)
    load_seconds = time.perf_counter() - tick
    with tempfile.TemporaryDirectory() as home:
        ctx = ToolContext(home=Path(home))
        generate_audio(ctx, "Warming up.")
        runs = [generate_audio(ctx, SENTENCE) for _ in range(3 if quick else REPEATS)]
        rtf = statistics.median(r.data["real_time_factor"] for r in runs)
        seconds = statistics.median(r.data["seconds"] for r in runs)
        audio = runs[0].data["duration_s"]
        rms = min(_rms(r.artifacts[0].path) for r in runs)
        rows: list[dict[str, Any]] = [
            {
                "name": "voice_load",
                "value": round(load_seconds, 3),
                "unit": "s",
                "note": f"{model.name} through piper-tts; once per process",
            },
            {
                "name": "voice_rtf_10_words",
                "value": round(rtf, 3),
                "unit": "x",
                "target": f"<= {RTF_TARGET}",
                "met": rtf <= RTF_TARGET,
                "note": f"median of {len(runs)}: {seconds:.2f} s for {audio:.1f} s of speech, WAV written",
            },
            {
                "name": "voice_rms_10_words",
                "value": round(rms, 3),
                "unit": "of full scale",
                "target": f"> {RMS_FLOOR}",
                "met": rms > RMS_FLOOR,
                "note": "quietest of the runs, read back with the wave module",
            },
        ]
        if not quick:
            text = _paragraph()
            long = generate_audio(ctx, text)
            rows.append(
                {
                    "name": "voice_longest_text",
                    "value": round(long.data["seconds"], 2),
                    "unit": "s",
                    "note": (
                        f"{len(text):,} characters of the notes (the limit): {long.data['duration_s']:.0f} s "
                        f"of speech, RTF {long.data['real_time_factor']:.3f}"
                    ),
                }
            )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
