"""Drift benchmark: online style learning vs no adaptation vs batch retraining.

A simulated user wants brief answers for the first half of the stream and
detailed ones after; each turn the policy serves a style, the reward is 1 when
it matches what the user wants now, and the user reacts as people do: a thumb
most turns, now and then a comment ("too long", "more detail"), and a few
mis-clicks. Three policies see the same events:

- online: our ``StyleLearner``, updated after every event;
- none: always the default style (detailed);
- batch: the same logistic model, but refit from scratch with scikit-learn on
  every event so far, once every 50 turns.

Regret is the number of turns whose style missed the user's preference.
Run: ``python -m bench.bench_drift [OUT_DIR]``.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.feedback.learners import StyleLearner, comment_cues
from knowledge.answer import AnswerStyle

TURNS = 240
DRIFT_AT = 120
BATCH_EVERY = 50
FEEDBACK_RATE = 0.8  # share of turns on which the user clicks at all
COMMENT_RATE = 0.35  # share of disliked turns that also get a comment
NOISE = 0.05  # mis-clicks: the thumb says the opposite of what the user felt
STABLE_WINDOW = 10  # adapted = right style for this many turns in a row

SHORTER = ["too long", "shorter please", "can you be brief?", "tl;dr"]
LONGER = ["too short", "more detail please", "please elaborate", "not enough detail"]


@dataclass
class Turn:
    served: str
    wanted: str
    score: int | None
    comment: str | None


def _user_reaction(rng: random.Random, served: str, wanted: str) -> tuple[int | None, str | None]:
    if rng.random() > FEEDBACK_RATE:
        return None, None
    liked = served == wanted
    score = 1 if liked else -1
    if rng.random() < NOISE:
        score = -score
    comment = None
    if not liked and rng.random() < COMMENT_RATE:
        comment = rng.choice(SHORTER if served == "detailed" else LONGER)
    return score, comment


def _label(served: str, score: int, comment: str | None) -> tuple[bool, float]:
    """The same 'wants detailed' label and weight both learners train on."""
    cue = comment_cues(comment).length
    if cue:
        return cue > 0, 4.0
    return (served == "detailed") == (score > 0), 1.0


class OnlinePolicy:
    def __init__(self) -> None:
        self.learner = StyleLearner("detailed")
        self.state = self.learner.new_state()

    def serve(self, turn: int) -> AnswerStyle:
        return self.learner.style(self.state)

    def learn(self, turn: int, served: AnswerStyle, score: int, comment: str | None) -> None:
        text = " ".join(["A sentence."] * served.max_sentences)
        self.learner.update(self.state, served, score, comment, text)


class NoAdaptation:
    def serve(self, turn: int) -> AnswerStyle:
        return AnswerStyle.named("detailed")

    def learn(self, turn: int, served: AnswerStyle, score: int, comment: str | None) -> None:
        pass


class BatchPolicy:
    """Refit from scratch every ``BATCH_EVERY`` turns on all events so far."""

    def __init__(self) -> None:
        self.rows: list[tuple[bool, float]] = []
        self.detail = "detailed"

    def serve(self, turn: int) -> AnswerStyle:
        if turn > 0 and turn % BATCH_EVERY == 0 and self.rows:
            self._refit()
        return AnswerStyle.named(self.detail)  # type: ignore[arg-type]

    def learn(self, turn: int, served: AnswerStyle, score: int, comment: str | None) -> None:
        self.rows.append(_label(served.detail, score, comment))

    def _refit(self) -> None:
        from sklearn.linear_model import LogisticRegression

        y = np.array([label for label, _ in self.rows], dtype=int)
        weights = np.array([w for _, w in self.rows])
        if len(set(y.tolist())) == 1:
            self.detail = "detailed" if y[0] else "brief"
            return
        model = LogisticRegression().fit(np.zeros((len(y), 1)), y, sample_weight=weights)
        self.detail = "detailed" if model.predict_proba(np.zeros((1, 1)))[0, 1] > 0.5 else "brief"


def simulate(policy: Any, seed: int, turns: int = TURNS, drift_at: int = DRIFT_AT) -> list[Turn]:
    rng = random.Random(seed)
    history = []
    for t in range(turns):
        wanted = "brief" if t < drift_at else "detailed"
        served = policy.serve(t)
        score, comment = _user_reaction(rng, served.detail, wanted)
        if score is not None:
            policy.learn(t, served, score, comment)
        history.append(Turn(served.detail, wanted, score, comment))
    return history


def adaptation(history: list[Turn], drift_at: int = DRIFT_AT) -> tuple[int | None, int | None]:
    """Turns, and feedback events, from the drift until the policy serves the new style steadily."""
    for t in range(drift_at, len(history)):
        window = history[t : t + STABLE_WINDOW]
        if all(h.served == h.wanted for h in window):
            events = sum(1 for h in history[drift_at:t] if h.score is not None)
            return t - drift_at, events
    return None, None


def run(out_dir: Path, seeds: int = 20, quick: bool = False) -> dict[str, Any]:
    """Replay the stream for every policy and seed; save the regret plot; return the numbers."""
    seeds = min(seeds, 5) if quick else seeds
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    policies = {"online": OnlinePolicy, "none": NoAdaptation, "batch": BatchPolicy}
    curves: dict[str, np.ndarray] = {}
    results: dict[str, Any] = {
        "turns": TURNS,
        "drift_at": DRIFT_AT,
        "batch_every": BATCH_EVERY,
        "seeds": seeds,
    }
    for name, factory in policies.items():
        regrets, turns_to_adapt, events_to_adapt = [], [], []
        for seed in range(seeds):
            history = simulate(factory(), seed)
            per_turn = np.array([h.served != h.wanted for h in history], dtype=float)
            regrets.append(np.cumsum(per_turn))
            turns, events = adaptation(history)
            turns_to_adapt.append(turns)
            events_to_adapt.append(events)
        curves[name] = np.mean(regrets, axis=0)
        adapted = [t for t in turns_to_adapt if t is not None]
        results[name] = {
            "cumulative_regret": round(float(curves[name][-1]), 2),
            "regret_after_drift": round(float(curves[name][-1] - curves[name][DRIFT_AT - 1]), 2),
            "turns_to_adapt_median": float(np.median(adapted)) if adapted else None,
            "feedback_events_to_adapt_max": max((e for e in events_to_adapt if e is not None), default=None),
            "adapted_runs": f"{len(adapted)}/{seeds}",
        }
    results["online_over_batch_regret"] = round(
        results["online"]["cumulative_regret"] / max(results["batch"]["cumulative_regret"], 1e-9), 3
    )
    results["rows"] = _rows(results)
    results["plot"] = str(_plot(curves, out_dir / "drift_regret.png"))
    return results


def _rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for BENCHMARKS.md (bench.run renders these with their targets)."""
    seeds, online = results["seeds"], results["online"]
    ratio = results["online_over_batch_regret"]
    events = online["feedback_events_to_adapt_max"]
    rows = [
        {
            "name": f"cumulative regret, {name} ({TURNS} turns, mean of {seeds} users)",
            "value": results[name]["cumulative_regret"],
            "unit": "turns",
            "note": f"turns to adapt after the drift: median {results[name]['turns_to_adapt_median']}, adapted in {results[name]['adapted_runs']} runs",
        }
        for name in ("online", "batch", "none")
    ]
    rows.append(
        {"name": "online regret / batch regret", "value": ratio, "target": "<= 0.333", "met": ratio <= 1 / 3}
    )
    rows.append(
        {
            "name": "feedback events for the online learner to follow the drift (worst user)",
            "value": events,
            "unit": "events",
            "target": "<= 2",
            "met": events is not None and events <= 2,
        }
    )
    return rows


def _plot(curves: dict[str, np.ndarray], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    labels = {
        "online": "online (per event)",
        "none": "no adaptation",
        "batch": f"batch refit every {BATCH_EVERY}",
    }
    for name, curve in curves.items():
        ax.plot(np.arange(1, len(curve) + 1), curve, label=labels[name])
    ax.axvline(DRIFT_AT, color="grey", linestyle="--", linewidth=1)
    ax.text(DRIFT_AT + 2, ax.get_ylim()[1] * 0.9, "preference drifts:\nbrief -> detailed", fontsize=8)
    ax.set_xlabel("turn")
    ax.set_ylabel("cumulative regret (turns with the wrong style)")
    ax.set_title("Answer-style drift: online learning vs batch retraining")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1] if len(sys.argv) > 1 else "bench/out")), indent=2))
