"""generate_image: the notes' image model (Stable Diffusion), run for real through diffusers."""

from __future__ import annotations

import inspect
import math
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from tools import image_cost
from tools.arguments import generate_image_args
from tools.base import Artifact, ToolContext, ToolInputError, ToolResult, ToolUnavailable
from tools.fields import user_text
from tools.media import DESCRIBE, EXTRA_HINT, is_loaded, load_once, locate
from tools.registry import ToolDeclaration

DEFAULT_IMAGE_MODEL = "stable-diffusion-v1-5/stable-diffusion-v1-5"
PIPELINE_MARKER = "model_index.json"  # a diffusers pipeline folder has one
MAX_STEPS = 100
MAX_IMAGE_PROMPT_CHARS = 1000


ImagePrompt = user_text(MAX_IMAGE_PROMPT_CHARS, "What the picture should show, in English.", hint=DESCRIBE)


class GenerateImageArgs(BaseModel):
    """Arguments of generate_image: what to draw and with which pipeline; the picture's size is the
    pipeline's own (512x512 for Stable Diffusion 1.5), and steps and seed are the knobs a user turns."""

    prompt: ImagePrompt
    model: str = Field(
        default=DEFAULT_IMAGE_MODEL,
        description="A text-to-image diffusers model: Hub id in the local cache or a local pipeline folder.",
    )
    steps: int = Field(
        default=25, ge=1, le=MAX_STEPS, description="Denoising steps (1..100); more is slower and finer."
    )
    seed: int | None = Field(default=None, ge=0, description="Fix for a reproducible picture (0 or more).")


def _diffusion_pipeline(folder: str) -> Any:
    """The pipeline in ``folder``, loaded once per process (``media.load_once``)."""
    return load_once("diffusion", folder, lambda: _load_pipeline(folder))


def _load_pipeline(folder: str) -> Any:
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


def _say_how_long(
    ctx: ToolContext, label: str, steps: int, estimate: image_cost.RunEstimate, expected: float
) -> None:
    """Tell the user how long the run will take before it starts; refuse one that cannot finish in time."""
    loading = " including loading it" if estimate.load_s else ""
    ctx.tell(
        f"⏳ {steps} steps at {estimate.width}x{estimate.height} with {label} take about "
        f"{image_cost.duration(expected)} on this CPU{loading} ({estimate.basis})."
    )
    limit = ctx.time_limit_s
    if limit is None or expected <= limit:
        return
    fit = estimate.steps_within(limit)
    fewer = f"ask for {fit} steps or fewer (below about 20 the picture gets rough), or " if fit else ""
    raise ToolInputError(
        f"{steps} steps with {label} would take about {image_cost.duration(expected)} on this CPU "
        f"({estimate.basis}), more than the {limit:g} s a tool may run: {fewer}set "
        f"ATTENTIVE_TOOL_TIMEOUT_S={math.ceil(expected * 1.2)} and restart"
    )


def generate_image(
    ctx: ToolContext, prompt: str, model: str = DEFAULT_IMAGE_MODEL, steps: int = 25, seed: int | None = None
) -> ToolResult:
    """Generate an image from a text prompt with a diffusion model (Stable Diffusion v1.5 by default)."""
    text = prompt.strip()
    source = locate(model, PIPELINE_MARKER)
    import torch

    threads = torch.get_num_threads()
    estimate = image_cost.estimate_run(
        Path(source.path), threads, ctx.model_cache, is_loaded("diffusion", source.path)
    )
    expected = estimate.seconds(steps)
    _say_how_long(ctx, source.label, steps, estimate, expected)
    pipe = _diffusion_pipeline(source.path)

    generator = torch.Generator("cpu").manual_seed(seed) if seed is not None else None
    marks: list[float] = []
    options: dict[str, Any] = {}
    if "callback_on_step_end" in inspect.signature(pipe.__call__).parameters:
        options["callback_on_step_end"] = lambda _pipe, _step, _t, kwargs: (
            marks.append(time.perf_counter()) or kwargs
        )
    started = time.perf_counter()
    with torch.inference_mode():
        image = pipe(text, num_inference_steps=steps, generator=generator, **options).images[0]
    seconds = time.perf_counter() - started
    if len(marks) >= 2:  # the step time from the loop itself; the rest is the encoder and the decoder
        step_s = (marks[-1] - marks[0]) / (len(marks) - 1)
        image_cost.record_run(
            Path(source.path),
            image.width,
            image.height,
            threads,
            step_s,
            seconds - steps * step_s,
            ctx.model_cache,
        )
    path = ctx.artifact_path("image", ".png")
    image.save(path, format="PNG")
    caption = f"{text[:80]} — {source.label}, {steps} steps" + (f", seed {seed}" if seed is not None else "")
    data = {"model": source.label, "steps": steps, "seed": seed, "width": image.width, "height": image.height}
    data |= {"seconds": seconds, "expected_seconds": expected, "path": str(path)}  # how long it took, where
    reply = (
        f"Made a {image.width}x{image.height} image with {source.label} in {steps} steps ({seconds:.1f} s; "
        f"expected about {image_cost.duration(expected)})."
    )
    return ToolResult(text=reply, artifacts=[Artifact(kind="image", path=path, caption=caption)], data=data)


TOOL = ToolDeclaration.of(
    generate_image, GenerateImageArgs, generate_image_args, "Make a picture of it", mcp=False
)
