"""generate_image says how long a run will take before it starts, and refuses one that cannot finish.

The tiny pipeline built here stands in for Stable Diffusion: the first estimate comes from the
reference figures scaled to its size, every later one from its own measured step time.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from agent.events import ToolNotice
from agent.toolset import _turn_context
from agent.turn import TurnRecord
from bench.recorded_hub import build_tiny_stable_diffusion
from tools import image_cost
from tools.base import ToolContext, ToolInputError
from tools.image import TOOL, generate_image


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_stable_diffusion(tmp_path_factory.mktemp("tiny-sd"))


def _ctx(tmp_path: Path, told: list[tuple[str, int]], limit: float | None = None) -> ToolContext:
    home = tmp_path / "home"

    def notify(text: str) -> None:  # what was said, and how many pictures existed when it was said
        told.append((text, len(list((home / "artifacts").glob("*.png")))))

    return ToolContext(home=home, model_cache=tmp_path / "cache", notify=notify, time_limit_s=limit)


def test_the_estimate_comes_before_the_run_then_from_the_model_s_own_timing(
    tiny_sd: Path, tmp_path: Path
) -> None:
    told: list[tuple[str, int]] = []
    first = generate_image(_ctx(tmp_path, told), "a red square", model=str(tiny_sd), steps=3, seed=1)
    ((line, pictures_then),) = told
    assert pictures_then == 0 and line.startswith("⏳ 3 steps at 64x64 with ")
    assert "estimated from Stable Diffusion v1.5" in line
    assert "expected about" in first.text and first.data["expected_seconds"] > 0

    timings = json.loads((tmp_path / "cache" / image_cost.TIMINGS_FILE).read_text())
    ((key, entry),) = timings.items()
    assert key.startswith(f"{tiny_sd.resolve()}@64x64/")
    assert 0 < entry["step_s"] * 3 <= first.data["seconds"]

    second = generate_image(_ctx(tmp_path, told), "a red square", model=str(tiny_sd), steps=3, seed=1)
    assert "from its last run on this machine" in told[1][0] and told[1][1] == 1
    assert second.data["expected_seconds"] == pytest.approx(entry["fixed_s"] + 3 * entry["step_s"])


def test_a_run_longer_than_the_tool_limit_is_refused_with_the_steps_that_fit(
    tiny_sd: Path, tmp_path: Path
) -> None:
    told: list[tuple[str, int]] = []
    generate_image(_ctx(tmp_path, told), "a red square", model=str(tiny_sd), steps=2)  # loaded, timed
    entry_key = next(iter(json.loads((tmp_path / "cache" / image_cost.TIMINGS_FILE).read_text())))
    # As if this model had measured 10 s a step and 5 s around the steps on this machine.
    (tmp_path / "cache" / image_cost.TIMINGS_FILE).write_text(
        json.dumps({entry_key: {"step_s": 10.0, "fixed_s": 5.0}})
    )
    with pytest.raises(ToolInputError) as refused:
        generate_image(_ctx(tmp_path, told, limit=120), "a red square", model=str(tiny_sd), steps=30)
    message = str(refused.value)
    assert "30 steps" in message and "about 5 min" in message and "more than the 120 s" in message
    assert "ask for 11 steps or fewer" in message and "ATTENTIVE_TOOL_TIMEOUT_S=366" in message
    assert told[-1][0].startswith("⏳ 30 steps") and told[-1][1] == 1  # said, and nothing drawn since


def test_a_tool_s_notice_reaches_the_page_as_a_progress_line(tmp_path: Path) -> None:
    written: list[object] = []
    runtime = SimpleNamespace(
        context=ToolContext(home=tmp_path), stream_writer=written.append, tool_call_id="call-1"
    )
    _turn_context(TOOL, runtime).tell("⏳ about 3 min")
    assert written == [ToolNotice("call-1", "generate_image", "⏳ about 3 min")]
    (event,) = TurnRecord().take("custom", written[0])
    assert event.kind == "progress" and event.text == "⏳ about 3 min"


def test_reference_estimate_for_stable_diffusion_on_two_threads(tmp_path: Path) -> None:
    """The prior for SD v1.5's own layout: 512x512, weights of the reference size, 2 threads."""
    folder = tmp_path / "sd"
    for part, params in (
        ("unet", image_cost.REFERENCE_UNET_PARAMS),
        ("vae", image_cost.REFERENCE_VAE_PARAMS),
    ):
        (folder / part).mkdir(parents=True)
        (folder / part / "config.json").write_text(
            json.dumps({"sample_size": 64, "block_out_channels": [128, 256, 512, 512]})
        )
        with (folder / part / "diffusion_pytorch_model.safetensors").open("wb") as sparse:
            sparse.truncate(4 * params)  # a sparse file of float32 size: nothing is written
    estimate = image_cost.estimate_run(folder, threads=2, model_cache=None, loaded=True)
    assert (estimate.width, estimate.height) == (512, 512) and not estimate.measured
    assert estimate.seconds(25) == pytest.approx(
        image_cost.REFERENCE_FIXED_S + 25 * image_cost.REFERENCE_STEP_S
    )
    four = image_cost.estimate_run(folder, threads=4, model_cache=None, loaded=True)
    assert four.step_s == pytest.approx(estimate.step_s / 2)
