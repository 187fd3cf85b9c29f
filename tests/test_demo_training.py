"""training_demo trains a real MLP from random weights and its numbers mean what they say."""

from __future__ import annotations

import pytest
from png_checks import assert_readable_png

from tools.base import ToolContext, ToolInputError
from tools.notes_refs import notes_text
from tools.training import TOOL, TrainingDemoArgs, training_demo


@pytest.fixture
def ctx(tmp_path):
    return ToolContext(home=tmp_path)


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    home = tmp_path_factory.mktemp("training-home")
    return home, training_demo(ToolContext(home=home))


def test_xor_is_learned_perfectly_with_the_defaults(default):
    _, result = default
    data = result.data
    assert data["dataset"] == "xor" and data["epochs"] == 300 and len(data["losses"]) == 300
    assert data["initial_accuracy"] < 0.8  # random weights really start out guessing
    assert data["accuracy"] == 1.0
    assert "100%" in result.text


def test_loss_falls_during_training(default):
    _, result = default
    losses = result.data["losses"]
    assert losses[-1] < 0.2 * losses[0]
    assert sum(losses[-30:]) < sum(losses[:30])
    assert result.data["final_loss"] <= losses[-1] + 1e-3


def test_weights_and_biases_are_counted(default):
    _, result = default
    # 2 inputs -> 8 hidden -> 1 output: 2*8 + 8*1 weights, 8 + 1 biases
    assert result.data["weights"] == 24 and result.data["biases"] == 9
    assert "24 weights and 9 biases" in result.text


def test_same_seed_same_run_other_seed_other_run(ctx):
    first = training_demo(ctx, epochs=50, seed=3)
    again = training_demo(ctx, epochs=50, seed=3)
    other = training_demo(ctx, epochs=50, seed=4)
    assert first.data["losses"] == again.data["losses"]
    assert first.data["losses"] != other.data["losses"]


@pytest.mark.parametrize("dataset", ["moons", "circles"])
def test_other_datasets_are_learned_well(ctx, dataset):
    result = training_demo(ctx, dataset=dataset, hidden=[16, 16])
    assert result.data["accuracy"] >= 0.95
    assert result.data["weights"] == 2 * 16 + 16 * 16 + 16 and result.data["biases"] == 33


def test_figure_and_citations(default):
    home, result = default
    assert len(result.artifacts) == 1
    assert_readable_png(result.artifacts[0].path, home)
    text = notes_text()
    assert result.citations
    for citation in result.citations:
        assert (
            citation.section == "Deep Learning > Deep Learning Basics > How does training work conceptually?"
        )
        assert text[citation.start : citation.end] == citation.quote


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dataset": "spirals"}, r"dataset: must be 'xor', 'moons' or 'circles' \(got 'spirals'\)"),
        ({"epochs": 0}, r"epochs: must be at least 1 \(got 0\)"),
        ({"epochs": 5001}, r"epochs: must be at most 5000 \(got 5001\)"),
        ({"epochs": 2.5}, r"epochs: must be a whole number \(got 2\.5\)"),
        ({"lr": 0}, r"lr: must be more than 0 \(got 0\)"),
        ({"lr": 11}, r"lr: must be at most 10 \(got 11\)"),
        ({"lr": -0.1}, r"lr: must be more than 0 \(got -0\.1\)"),
        ({"hidden": []}, r"hidden: must have at least 1 item \(got 0 items\)"),
        ({"hidden": [0]}, r"hidden\[0\]: must be at least 1 \(got 0\)"),
        ({"hidden": [8, 257]}, r"hidden\[1\]: must be at most 256 \(got 257\)"),
        ({"hidden": [8] * 5}, r"hidden: must have at most 4 items \(got 5 items\)"),
        ({"seed": -1}, r"seed: must be at least 0 \(got -1\)"),
        ({"seed": 2**32}, r"seed: must be at most 4294967295"),
        ({"epochs": 0, "lr": 0}, r"epochs: must be at least 1 \(got 0\); lr: must be more than 0"),
    ],
)
def test_bad_input_is_refused_with_the_valid_values(ctx, kwargs, message):
    with pytest.raises(ToolInputError, match=message):
        TOOL.call(ctx, kwargs)


def test_dataset_names_and_a_single_layer_size_are_read_leniently():
    args = TOOL.validate({"dataset": " Moons", "hidden": 16})
    assert args.dataset == "moons" and args.hidden == [16]


def test_args_model_describes_every_parameter():
    schema = TrainingDemoArgs.model_json_schema()
    assert set(schema["properties"]) == {"dataset", "hidden", "epochs", "lr", "seed"}
    assert all(prop.get("description") for prop in schema["properties"].values())
