"""How long a diffusion run takes on this CPU, said before it starts.

The cost of a run is ``fixed + steps * step``: each denoising step is one UNet pass over the
latent (two, batched, with classifier-free guidance); ``fixed`` is the text encoder and the VAE
decode. A step's time grows with the pixels (``pixels ** PIXEL_EXPONENT``) and, across models,
with the UNet's size.

The reference figures are Stable Diffusion v1.5's, measured on this machine class (2 CPU threads,
float32, torch 2.13) with a randomly initialised UNet and VAE of its exact architecture: the compute
does not depend on the weights' values, and the real weights (5.5 GB) cannot be downloaded here.
``python -m bench.run --only image_estimate`` measures them again. A model that has run here once
is estimated from its own measured step time instead (kept in the model cache).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

# Stable Diffusion v1.5 on 2 CPU threads, `python -m bench.run --only image_estimate` (November 2026):
# the median of three runs on the shared machine (load average 2 to 6 on its 2 cores), which differed
# by up to 40%, so these are upper figures; the first run of a model here replaces them with its own.
# See docs/hub-and-generation.md.
REFERENCE_UNET_PARAMS = 859_520_964  # UNet2DConditionModel(cross_attention_dim=768): SD v1.5's UNet
REFERENCE_VAE_PARAMS = 83_653_863
REFERENCE_PIXELS = 512 * 512
REFERENCE_THREADS = 2
REFERENCE_STEP_S = 44.1  # one guided step (the UNet on a batch of 2) at 512x512: 43.4, 55.1, 44.1 s
REFERENCE_FIXED_S = 43.0  # CLIP text encoder (1 to 2 s) and the VAE decode (57, 41, 37 s) at 512x512
PIXEL_EXPONENT = 0.87  # a step at 256x256: 18.4, 12.1, 13.1 s; a quarter of the pixels, 3.4x faster
LOAD_BYTES_PER_S = 200e6  # reading float32 safetensors from disk: an assumption, not measured here
TIMINGS_FILE = "image-timings.json"
WEIGHT_GLOBS = ("*.safetensors", "*.bin")

_lock = threading.Lock()
_remembered: dict[str, dict[str, float]] = {}  # when there is no model cache to keep them in


@dataclass(frozen=True)
class RunEstimate:
    """The expected cost of one run of a pipeline at its default size, and what the figures rest on."""

    step_s: float
    fixed_s: float
    width: int
    height: int
    measured: bool
    load_s: float = 0.0  # added when the pipeline is not loaded yet

    def seconds(self, steps: int) -> float:
        return self.load_s + self.fixed_s + steps * self.step_s

    def steps_within(self, limit_s: float) -> int:
        """The most steps that fit in ``limit_s`` (0 when even one does not)."""
        return max(int((limit_s - self.load_s - self.fixed_s) // self.step_s), 0) if self.step_s > 0 else 0

    @property
    def basis(self) -> str:
        if self.measured:
            return "from its last run on this machine"
        return "estimated from Stable Diffusion v1.5 measured on 2 CPU threads, scaled to this model"


def _config(folder: Path, part: str) -> dict:
    try:
        return json.loads((folder / part / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def default_size(folder: Path) -> tuple[int, int]:
    """The size a pipeline draws when not told: the UNet's latent size times the VAE's downscaling."""
    unet, vae = _config(folder, "unet"), _config(folder, "vae")
    scale = 2 ** (len(vae.get("block_out_channels", [0, 0, 0, 0])) - 1)
    side = int(unet.get("sample_size", 64)) * scale
    return side, side


def _weight_bytes(folder: Path) -> int:
    """Bytes of the weights a pipeline part loads: its safetensors, else its .bin files."""
    for glob in WEIGHT_GLOBS:
        found = sum(p.stat().st_size for p in folder.glob(glob))
        if found:
            return found
    return 0


def _timings_path(model_cache: Path | None) -> Path | None:
    return model_cache / TIMINGS_FILE if model_cache is not None else None


def _load_timings(model_cache: Path | None) -> dict[str, dict[str, float]]:
    path = _timings_path(model_cache)
    if path is None:
        return dict(_remembered)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _key(folder: Path, width: int, height: int, threads: int) -> str:
    """Timings are kept per pipeline folder (a cache snapshot is one model version), size and threads."""
    return f"{folder.resolve()}@{width}x{height}/{threads}t"


def estimate_run(folder: Path, threads: int, model_cache: Path | None, loaded: bool) -> RunEstimate:
    """What one run of the pipeline in ``folder`` costs here, before it starts."""
    width, height = default_size(folder)
    load_s = 0.0 if loaded else _weight_bytes_total(folder) / LOAD_BYTES_PER_S
    known = _load_timings(model_cache).get(_key(folder, width, height, threads))
    if known:
        return RunEstimate(known["step_s"], known["fixed_s"], width, height, measured=True, load_s=load_s)
    pixels = ((width * height) / REFERENCE_PIXELS) ** PIXEL_EXPONENT
    cores = REFERENCE_THREADS / max(threads, 1)
    unet = _weight_bytes(folder / "unet") / (4 * REFERENCE_UNET_PARAMS) or 1.0
    vae = _weight_bytes(folder / "vae") / (4 * REFERENCE_VAE_PARAMS) or 1.0
    return RunEstimate(
        step_s=REFERENCE_STEP_S * unet * pixels * cores,
        fixed_s=REFERENCE_FIXED_S * vae * pixels * cores,
        width=width,
        height=height,
        measured=False,
        load_s=load_s,
    )


def _weight_bytes_total(folder: Path) -> int:
    return sum(_weight_bytes(part) for part in folder.iterdir() if part.is_dir()) if folder.is_dir() else 0


def record_run(
    folder: Path,
    width: int,
    height: int,
    threads: int,
    step_s: float,
    fixed_s: float,
    model_cache: Path | None,
) -> None:
    """Keep a run's measured step and fixed times, so the next estimate for this model is its own."""
    entry = {"step_s": round(step_s, 4), "fixed_s": round(max(fixed_s, 0.0), 4)}
    key = _key(folder, width, height, threads)
    with _lock:
        path = _timings_path(model_cache)
        if path is None:
            _remembered[key] = entry
            return
        timings = _load_timings(model_cache)
        timings[key] = entry
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(timings, indent=1), encoding="utf-8")
        os.replace(tmp, path)


def duration(seconds: float) -> str:
    """ "40 s", "3 min", "1 h 5 min": the precision a wait is planned with."""
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"
