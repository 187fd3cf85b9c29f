"""online_learning_demo: an online learner and a batch model face a user whose taste changes.

The notes claim batch learning is costly and slow to respond to change, while
online learning keeps up with a dynamic world. This tool simulates a stream of
"does this user like this item?" events whose answer rule flips part-way
through, and scores both learners test-then-train on every event: the river
model learns after each event, the scikit-learn model is retrained from
scratch on everything seen so far every ``retrain_every`` events.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from tools.arguments import online_args
from tools.base import Artifact, ToolContext, ToolResult
from tools.figures import pyplot, save_figure
from tools.notes_refs import cite_notes
from tools.registry import ToolDeclaration

FEATURES = ("price", "warm_colours", "sporty", "novelty")
TASTE_BEFORE = (-1.5, 2.0, 0.5, 0.0)  # likes cheap, warm-coloured items
TASTE_AFTER = (1.5, -2.0, 0.5, 1.5)  # now prefers pricier, cool-coloured, novel items
MIN_STEPS, MAX_STEPS = 10, 20000
MAX_RETRAINS = 100  # each retrain refits on everything so far: keep the worst case to seconds
MAX_SEED = 2**32 - 1  # a 32-bit seed, as in training_demo
WINDOW = 100
_SECTION = "Adaptive AI > Online Learning vs Batch Learning"


class OnlineLearningDemoArgs(BaseModel):
    """Arguments of online_learning_demo, described for the model that picks tools."""

    steps: int = Field(
        default=2000, ge=MIN_STEPS, le=MAX_STEPS, description="Number of simulated user events, 10..20000."
    )
    drift_at: int = Field(
        default=1000,
        ge=1,
        validate_default=True,  # the default must also fall inside a shorter stream
        description="Event at which the user's taste changes, 1..steps-1 (inside the stream).",
    )
    retrain_every: int = Field(
        default=500,
        ge=1,
        validate_default=True,
        description="The batch model is retrained from scratch every this many events, 1..steps, "
        "and at least steps/100 (at most 100 retrains).",
    )
    seed: int = Field(
        default=0,
        ge=0,
        le=MAX_SEED,
        description="Random seed of the simulated stream, 0..4294967295; same seed, same result.",
    )

    # steps is declared first, so it is in info.data here whenever it was valid.
    @field_validator("drift_at")
    @classmethod
    def _inside_the_stream(cls, drift_at: int, info: ValidationInfo) -> int:
        steps = info.data.get("steps")
        if steps is not None and drift_at >= steps:
            raise ValueError(f"must be less than steps ({steps}) so the drift happens inside the stream")
        return drift_at

    @field_validator("retrain_every")
    @classmethod
    def _few_enough_retrains(cls, retrain_every: int, info: ValidationInfo) -> int:
        steps = info.data.get("steps")
        if steps is None:
            return retrain_every
        if retrain_every > steps:
            raise ValueError(f"must be at most steps ({steps})")
        if steps // retrain_every > MAX_RETRAINS:
            raise ValueError(
                f"would retrain the batch model {steps // retrain_every} times; at most {MAX_RETRAINS} "
                f"retrains are allowed, so use retrain_every >= {-(-steps // MAX_RETRAINS)}"
            )
        return retrain_every


def online_learning_demo(
    ctx: ToolContext, steps: int = 2000, drift_at: int = 1000, retrain_every: int = 500, seed: int = 0
) -> ToolResult:
    """Simulate drifting user preferences and compare an online learner with batch retraining."""
    import numpy as np

    x, y = simulate_stream(steps, drift_at, seed)
    online_hits, online_seconds = _run_online(x, y)
    batch_hits, batch_seconds, retrains = _run_batch(x, y, retrain_every)

    window = min(WINDOW, max(1, steps // 10))
    rolling_online = _rolling(online_hits, window)
    rolling_batch = _rolling(batch_hits, window)
    before = float(rolling_online[drift_at - 1])  # how well the online learner did on the old taste
    target = max(0.5, before - 0.05)
    next_retrain = next((t for t in retrains if t > drift_at), None)
    online_back = _first_at_least(rolling_online, target, drift_at + window)
    batch_back = _first_at_least(rolling_batch, target, drift_at + window)

    artifact = _draw(ctx, rolling_online, rolling_batch, window, drift_at, retrains)
    data: dict[str, Any] = {
        "steps": steps,
        "drift_at": drift_at,
        "retrain_every": retrain_every,
        "seed": seed,
        "window": window,
        "rolling_online": [round(float(v), 4) for v in rolling_online],
        "rolling_batch": [round(float(v), 4) for v in rolling_batch],
        "retrain_steps": retrains,
        "next_retrain_after_drift": next_retrain,
        "recovery_target": round(target, 4),
        "online_recovered_at": online_back,
        "batch_recovered_at": batch_back,
        "accuracy_online": float(np.mean(online_hits)),
        "accuracy_batch": float(np.mean(batch_hits)),
        "train_seconds": {"online": online_seconds, "batch": batch_seconds},
        "online_updates": steps,
        "batch_retrains": len(retrains),
    }
    text = _explain(data, before)
    citations = [
        cite_notes(_SECTION, "It must be retrained from scratch whenever new data arrives"),
        cite_notes(_SECTION, "It can continuously update itself without needing full retraining"),
    ]
    return ToolResult(text=text, artifacts=[artifact], citations=citations, data=data)


def simulate_stream(steps: int, drift_at: int, seed: int) -> tuple[Any, Any]:
    """Items described by 4 features; the user likes an item when taste . features + noise > 0."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(steps, len(FEATURES)))
    taste = np.where(np.arange(steps)[:, None] < drift_at, TASTE_BEFORE, TASTE_AFTER)
    score = (x * taste).sum(axis=1) + rng.logistic(scale=0.3, size=steps)  # people are a bit noisy
    return x, (score > 0).astype(int)


def _run_online(x: Any, y: Any) -> tuple[list[bool], float]:
    """Test-then-train: predict each event first, then learn from its true answer."""
    from river import linear_model, optim

    # A constant, fairly large step size keeps the learner nimble: old evidence fades.
    model = linear_model.LogisticRegression(optimizer=optim.SGD(0.1))
    hits: list[bool] = []
    spent = 0.0
    for row, label in zip(x.tolist(), y.tolist(), strict=True):
        features = dict(zip(FEATURES, row, strict=True))
        hits.append(bool(model.predict_one(features)) == bool(label))
        tick = time.perf_counter()
        model.learn_one(features, bool(label))
        spent += time.perf_counter() - tick
    return hits, spent


def _run_batch(x: Any, y: Any, every: int) -> tuple[list[bool], float, list[int]]:
    """Retrain from scratch on all events so far at every multiple of ``every``."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    steps = len(y)
    hits = np.zeros(steps, dtype=bool)
    retrains: list[int] = []
    spent = 0.0
    model: Any = None
    start = 0
    for stop in [*range(every, steps, every), steps]:
        if start > 0:  # retrain at `start` on events 0..start-1
            if len(set(y[:start].tolist())) == 2:
                tick = time.perf_counter()
                model = LogisticRegression().fit(x[:start], y[:start])
                spent += time.perf_counter() - tick
            retrains.append(start)
        if model is not None:
            hits[start:stop] = model.predict(x[start:stop]) == y[start:stop]
        else:  # no model yet: guess the most common answer seen so far (a fair baseline)
            for i in range(start, stop):
                guess = int(y[:i].mean() > 0.5) if i else 0
                hits[i] = guess == y[i]
        start = stop
    return hits.tolist(), spent, retrains


def _rolling(hits: list[bool], window: int) -> Any:
    """Accuracy over the last ``window`` events (fewer at the very start)."""
    import numpy as np

    cum = np.cumsum(np.asarray(hits, dtype=np.float64))
    idx = np.arange(len(hits))
    lo = np.maximum(idx - window, -1)
    prev = np.where(lo >= 0, cum[np.maximum(lo, 0)], 0.0)
    return (cum - prev) / (idx - lo)


def _first_at_least(values: Any, target: float, start: int) -> int | None:
    """First event from ``start`` on whose rolling window is back at ``target``."""
    for i in range(min(start, len(values)), len(values)):
        if values[i] >= target:
            return i
    return None


def _explain(d: dict[str, Any], before: float) -> str:
    drift, window, nxt = d["drift_at"], d["window"], d["next_retrain_after_drift"]
    on, ba = d["rolling_online"], d["rolling_batch"]
    probe = min(drift + min(d["retrain_every"], 4 * window) - 1, d["steps"] - 1)
    if nxt is not None:
        probe = min(probe, nxt - 1)
    lines = [
        f"A simulated user rates {d['steps']} items; at event {drift} their taste changes (price and colour "
        f"preferences flip). Accuracy is measured test-then-train over the last {window} events.",
        f"Before the change the online learner was right {before:.0%} of the time.",
    ]
    if d["online_recovered_at"] is not None:
        lines.append(
            f"Online (river logistic regression, updated after every event): back to {d['recovery_target']:.0%} "
            f"by event {d['online_recovered_at']}, {d['online_recovered_at'] - drift} events after the change."
        )
    else:
        lines.append("Online: did not get back to its old accuracy before the stream ended.")
    retrain_note = f"its next retrain is at event {nxt}" if nxt is not None else "it is not retrained again"
    lines.append(
        f"Batch (scikit-learn, retrained from scratch on all data every {d['retrain_every']} events): still "
        f"{ba[probe]:.0%} at event {probe}, where the online learner is at {on[probe]:.0%}; {retrain_note}, and "
        "even then it learns from a history that is mostly the old taste"
        + (
            f" (back to target at event {d['batch_recovered_at']})."
            if d["batch_recovered_at"] is not None
            else "."
        )
    )
    secs = d["train_seconds"]
    lines.append(
        f"Training time: online {secs['online'] * 1000:.0f} ms for {d['online_updates']} small updates; batch "
        f"{secs['batch'] * 1000:.0f} ms for {d['batch_retrains']} full retrains. Each retrain costs more than the "
        "last because it re-reads every event so far, while an online update costs the same forever."
    )
    lines.append(
        "This matches the notes: batch learning must be retrained from scratch whenever new data arrives and is "
        "less responsive to change, while online learning updates continuously and suits a dynamic environment. "
        "The flip side: a nimble online learner also forgets old patterns quickly and follows noise more."
    )
    return "\n".join(lines)


def _draw(
    ctx: ToolContext, online: Any, batch: Any, window: int, drift_at: int, retrains: list[int]
) -> Artifact:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 4.8), dpi=90)
    events = range(1, len(online) + 1)
    ax.plot(events, online, color="tab:green", label="online learner (updates every event)")
    ax.plot(events, batch, color="tab:purple", label="batch model (retrained from scratch)")
    ax.axvline(drift_at, color="red", linestyle="--", linewidth=1.5, label=f"taste drifts (event {drift_at})")
    if len(retrains) <= 40:
        for i, step in enumerate(retrains):
            ax.axvline(
                step, color="grey", linestyle=":", linewidth=1, label="batch retrain" if i == 0 else None
            )
    elif retrains:  # too many lines to read: tick marks along the bottom instead
        ax.plot(retrains, [0.02] * len(retrains), "|", color="grey", markersize=10, label="batch retrain")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("event (one item shown to the user)")
    ax.set_ylabel(f"accuracy over the last {window} events")
    ax.set_title("Online vs batch learning when user preferences drift")
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = save_figure(ctx, fig, "online-vs-batch")
    return Artifact("image", path, "Rolling accuracy of online vs batch learner; drift marked in red")


TOOL = ToolDeclaration.of(
    online_learning_demo, OnlineLearningDemoArgs, online_args, "Compare online and batch learning"
)
