"""online_learning_demo: the online learner recovers from a taste drift before the batch model is retrained."""

from __future__ import annotations

import pytest
from png_checks import assert_readable_png

from tools.base import ToolContext, ToolInputError
from tools.notes_refs import notes_text
from tools.online_learning import TOOL, OnlineLearningDemoArgs, online_learning_demo


@pytest.fixture
def ctx(tmp_path):
    return ToolContext(home=tmp_path)


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    home = tmp_path_factory.mktemp("online-home")
    return home, online_learning_demo(ToolContext(home=home))


def test_both_learners_know_the_old_taste_before_the_drift(default):
    _, result = default
    online, batch = result.data["rolling_online"], result.data["rolling_batch"]
    assert len(online) == len(batch) == 2000
    assert result.data["retrain_steps"] == [500, 1000, 1500]
    assert online[999] >= 0.8 and batch[999] >= 0.8


def test_online_learner_recovers_before_the_batch_models_next_retrain(default):
    _, result = default
    data = result.data
    online, batch = data["rolling_online"], data["rolling_batch"]
    drift, nxt = data["drift_at"], data["next_retrain_after_drift"]
    assert nxt == 1500
    # just after the drift both are wrong most of the time
    assert online[drift + 20] < online[drift - 1] - 0.1
    # one event before the batch model is retrained, the online learner is back and the batch one is not
    assert online[nxt - 1] >= data["recovery_target"] >= 0.8
    assert batch[nxt - 1] < 0.5
    assert data["online_recovered_at"] is not None and drift < data["online_recovered_at"] < nxt
    assert data["batch_recovered_at"] is None or data["batch_recovered_at"] > nxt


def test_training_time_of_each_is_measured_and_reported(default):
    _, result = default
    secs = result.data["train_seconds"]
    assert secs["online"] > 0 and secs["batch"] > 0
    assert result.data["online_updates"] == 2000 and result.data["batch_retrains"] == 3
    assert "Training time" in result.text and "3 full retrains" in result.text


def test_same_seed_same_stream(ctx):
    first = online_learning_demo(ctx, steps=300, drift_at=150, retrain_every=100, seed=7)
    again = online_learning_demo(ctx, steps=300, drift_at=150, retrain_every=100, seed=7)
    assert first.data["rolling_online"] == again.data["rolling_online"]
    assert first.data["rolling_batch"] == again.data["rolling_batch"]


def test_figure_and_citations(default):
    home, result = default
    assert len(result.artifacts) == 1
    assert_readable_png(result.artifacts[0].path, home)
    text = notes_text()
    for citation in result.citations:
        assert citation.section.endswith("Adaptive AI > Online Learning vs Batch Learning")
        assert text[citation.start : citation.end] == citation.quote


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 9}, r"steps: must be at least 10 \(got 9\)"),
        ({"steps": 20001}, r"steps: must be at most 20000 \(got 20001\)"),
        ({"drift_at": 0}, r"drift_at: must be at least 1 \(got 0\)"),
        ({"drift_at": 2000}, r"drift_at: must be less than steps \(2000\).*\(got 2000\)"),
        ({"steps": 500}, r"drift_at: must be less than steps \(500\).*\(got 1000\)"),  # the default drift_at
        ({"retrain_every": 0}, r"retrain_every: must be at least 1 \(got 0\)"),
        ({"retrain_every": 2001}, r"retrain_every: must be at most steps \(2000\) \(got 2001\)"),
        (
            {"steps": 20000, "drift_at": 10, "retrain_every": 1},
            r"retrain_every: .*at most 100 retrains.*retrain_every >= 200",
        ),
        ({"seed": -1}, r"seed: must be at least 0 \(got -1\)"),
    ],
)
def test_bad_input_is_refused_with_the_valid_values(ctx, kwargs, message):
    with pytest.raises(ToolInputError, match=message):
        TOOL.call(ctx, kwargs)


def test_a_short_stream_with_its_own_drift_and_retrains_is_accepted():
    args = TOOL.validate({"steps": 10, "drift_at": 9, "retrain_every": 10})
    assert (args.steps, args.drift_at, args.retrain_every) == (10, 9, 10)


def test_args_model_describes_every_parameter():
    schema = OnlineLearningDemoArgs.model_json_schema()
    assert set(schema["properties"]) == {"steps", "drift_at", "retrain_every", "seed"}
    assert all(prop.get("description") for prop in schema["properties"].values())
