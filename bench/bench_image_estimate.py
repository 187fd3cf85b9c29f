"""Issue 20, item 4: the figures behind generate_image's "about N min on this CPU" (tools/image_cost.py).

Stable Diffusion v1.5's weights (5.5 GB) cannot be downloaded here, but its cost on a CPU does not
depend on the weights' values: a randomly initialised UNet, VAE and CLIP text encoder of its exact
architecture do the same arithmetic. Measured on 2 torch threads (``REFERENCE_THREADS``), float32:

- one guided denoising step (the UNet on a batch of 2, as classifier-free guidance runs it) at
  512x512 and at 256x256, which fixes how a step grows with the pixels;
- the fixed part: the text encoder on 2 x 77 tokens and the VAE decode of a 512x512 image.

Then the formula's shape (``fixed + steps * step``) is checked on the tiny test pipeline, end to
end through generate_image: totals for 4..64 steps against a straight line, and the step time
the tool measures from its own step callback against that line's slope.
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.figures import median_seconds

THREADS = 2


def _unet_steps(repeats: int) -> dict[str, float]:
    import torch
    from diffusers import UNet2DConditionModel

    unet = UNet2DConditionModel(sample_size=64, cross_attention_dim=768).eval()  # SD v1.5's UNet
    text = torch.randn(2, 77, 768)
    figures = {"unet_params": float(sum(p.numel() for p in unet.parameters()))}
    for side in (256, 512):
        latents = torch.randn(2, 4, side // 8, side // 8)
        figures[f"step_{side}"] = median_seconds(
            lambda latents=latents: unet(latents, torch.tensor([500]), encoder_hidden_states=text), repeats
        )
    return figures


def _decode(repeats: int) -> dict[str, float]:
    import torch
    from diffusers import AutoencoderKL

    vae = AutoencoderKL(
        block_out_channels=[128, 256, 512, 512],
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        layers_per_block=2,
        latent_channels=4,
        sample_size=512,
    ).eval()  # SD v1.5's VAE
    latents = torch.randn(1, 4, 64, 64)
    return {
        "vae_params": float(sum(p.numel() for p in vae.parameters())),
        "decode_512": median_seconds(lambda: vae.decode(latents), repeats),
    }


def _encode(repeats: int) -> dict[str, float]:
    import torch
    from transformers import CLIPTextConfig, CLIPTextModel

    config = CLIPTextConfig(
        hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12
    )
    encoder = CLIPTextModel(config).eval()  # ViT-L/14's text tower: SD v1.5's text encoder
    tokens = torch.randint(0, 49_000, (2, 77))
    return {"encode": median_seconds(lambda: encoder(tokens), repeats)}


def _reference(repeats: int) -> dict[str, float]:
    """Each part built, timed and dropped in turn, so the three never sit in memory together."""
    import torch

    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    figures: dict[str, float] = {}
    with torch.inference_mode():
        for part in (_unet_steps, _decode, _encode):
            figures.update(part(repeats))
    return figures


def _tiny_shape(steps: tuple[int, ...]) -> dict[str, float]:
    """Totals of the tiny pipeline through generate_image against a line; the callback's step time.

    On one torch thread: on the shared 2-core machine two threads oversubscribe the cores and the
    tiny pipeline's step times swing tenfold (R^2 0.28 measured), which tests the machine, not the formula.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _fit(steps, *_tiny_runs(steps))
    finally:
        torch.set_num_threads(threads)


def _tiny_runs(steps: tuple[int, ...]) -> tuple[list[float], list[float]]:
    from bench.recorded_hub import build_tiny_stable_diffusion
    from tools import image_cost
    from tools.base import ToolContext
    from tools.image import generate_image

    with tempfile.TemporaryDirectory() as tmp:
        folder = build_tiny_stable_diffusion(Path(tmp) / "tiny-sd")
        ctx = ToolContext(home=Path(tmp) / "home", model_cache=Path(tmp) / "cache")
        generate_image(ctx, "warm up", model=str(folder), steps=2, seed=0)
        totals, callback = [], []
        for n in steps:
            runs = [generate_image(ctx, "a red square", model=str(folder), steps=n, seed=0) for _ in range(3)]
            totals.append(statistics.median(r.data["seconds"] for r in runs))
            timings = json.loads((ctx.model_cache / image_cost.TIMINGS_FILE).read_text())
            callback.append(next(iter(timings.values()))["step_s"])
    return totals, callback


def _fit(steps: tuple[int, ...], totals: list[float], callback: list[float]) -> dict[str, float]:
    mean_x, mean_y = statistics.fmean(steps), statistics.fmean(totals)
    sxx = sum((x - mean_x) ** 2 for x in steps)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(steps, totals, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    ss_res = sum((y - intercept - slope * x) ** 2 for x, y in zip(steps, totals, strict=True))
    ss_tot = sum((y - mean_y) ** 2 for y in totals)
    return {
        "slope": slope,
        "intercept": intercept,
        "r2": 1 - ss_res / ss_tot if ss_tot else 1.0,
        "callback_step": statistics.median(callback),
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    ref = _reference(repeats=1 if quick else 2)
    exponent = math.log(ref["step_512"] / ref["step_256"]) / math.log(4)
    fixed = ref["encode"] + ref["decode_512"]
    sd_run = fixed + 25 * ref["step_512"]
    shape = _tiny_shape((4, 16, 32, 64))
    note = f"{THREADS} torch threads, float32, random weights of SD v1.5's architecture"
    return [
        {
            "name": "sd15_step_512_s",
            "value": round(ref["step_512"], 2),
            "unit": "s",
            "note": f"UNet ({ref['unet_params'] / 1e6:.0f}M), batch 2 (guidance), {note}",
        },
        {"name": "sd15_step_256_s", "value": round(ref["step_256"], 2), "unit": "s", "note": note},
        {
            "name": "step_pixel_exponent",
            "value": round(exponent, 2),
            "note": "step time ~ pixels**x, from 256 vs 512",
        },
        {
            "name": "sd15_fixed_512_s",
            "value": round(fixed, 2),
            "unit": "s",
            "note": f"text encoder {ref['encode']:.2f} s + VAE decode ({ref['vae_params'] / 1e6:.0f}M) {ref['decode_512']:.2f} s",
        },
        {
            "name": "sd15_25_steps_512_s",
            "value": round(sd_run, 1),
            "unit": "s",
            "note": "what generate_image's default run is estimated to take here (load not included)",
        },
        {
            "name": "tiny_total_vs_steps_r2",
            "value": round(shape["r2"], 4),
            "target": ">= 0.95",
            "met": shape["r2"] >= 0.95,
            "note": "tiny pipeline through generate_image on 1 thread, 4/16/32/64 steps, median of 3: total = fixed + steps * step",
        },
        {
            "name": "tiny_callback_step_vs_slope",
            "value": round(shape["callback_step"] / shape["slope"], 2),
            "unit": "ratio",
            "note": f"the tool's own per-step figure {shape['callback_step'] * 1000:.1f} ms against the fitted slope {shape['slope'] * 1000:.1f} ms",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
