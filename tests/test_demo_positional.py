"""positional_encoding_demo proves that order is invisible without positions and visible with them."""

from __future__ import annotations

import numpy as np
import pytest
from png_checks import assert_readable_png

from tools.base import ToolContext, ToolInputError
from tools.notes_refs import notes_text
from tools.positional import PositionalEncodingDemoArgs, positional_encoding_demo, sinusoidal_encoding


@pytest.fixture
def ctx(tmp_path):
    return ToolContext(home=tmp_path)


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    home = tmp_path_factory.mktemp("positional-home")
    return home, positional_encoding_demo(ToolContext(home=home))


def test_bag_of_embeddings_cannot_tell_reordered_sentences_apart(default):
    _, result = default
    sim = result.data["similarity"]
    assert result.data["sentences"] == ["The cat in the tree", "The tree in the cat"]
    assert sorted(result.data["tokens"][0]) == sorted(result.data["tokens"][1])
    assert sim["bag_of_words"] == pytest.approx(1.0, abs=1e-9)
    # averaging word+position vectors forgets order too: both use positions 0..n-1
    assert sim["mean_of_words_plus_learned_positions"] == pytest.approx(1.0, abs=1e-9)
    assert sim["minilm_no_positions"] == pytest.approx(1.0, abs=1e-6)
    # ...and that 1.0 is about order, not a model that cannot tell anything apart
    assert result.data["control_similarity_no_positions"] < 0.6


def test_adding_positions_makes_the_sentences_differ(default):
    _, result = default
    sim = result.data["similarity"]
    assert sim["minilm_learned_positions"] < 0.99
    assert sim["minilm_sinusoidal_positions"] < 0.999
    assert "1.0000" in result.text and f"{sim['minilm_learned_positions']:.4f}" in result.text


def test_other_reordered_sentences_behave_the_same(ctx):
    result = positional_encoding_demo(ctx, sentences=["dog bites man", "man bites dog"])
    sim = result.data["similarity"]
    assert sim["bag_of_words"] == pytest.approx(1.0, abs=1e-9)
    assert sim["minilm_learned_positions"] < 0.99 < sim["minilm_no_positions"]


def test_sinusoidal_encoding_gives_each_position_its_own_pattern():
    pe = sinusoidal_encoding(50, 16)
    assert pe.shape == (50, 16)
    assert np.allclose(pe[0], [0, 1] * 8)  # position 0: sin 0 = 0, cos 0 = 1
    assert pe.min() >= -1 and pe.max() <= 1
    distances = np.linalg.norm(pe[:, None] - pe[None], axis=-1) + np.eye(50)
    assert distances.min() > 1e-3


def test_learned_positions_are_most_similar_to_their_neighbours(default):
    _, result = default
    assert result.data["learned_positions_shown"] == 32
    assert result.data["learned_similarity_neighbours"] > result.data["learned_similarity_far"]


def test_figures_and_citations(default):
    home, result = default
    assert len(result.artifacts) == 2
    for artifact in result.artifacts:
        assert_readable_png(artifact.path, home)
    text = notes_text()
    for citation in result.citations:
        assert citation.section == "Deep Learning > Transformers > Positional Encoding"
        assert text[citation.start : citation.end] == citation.quote


def test_largest_sizes_still_give_small_pngs(ctx, tmp_path):
    result = positional_encoding_demo(ctx, positions=2048, dim=1024)
    assert result.data["learned_positions_shown"] == 512  # MiniLM only learned 512 positions
    assert "only 512 learned positions" in result.text
    for artifact in result.artifacts:
        assert_readable_png(artifact.path, tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"positions": 0}, r"positions must be a whole number in 1\.\.2048, got 0"),
        ({"positions": 2049}, r"1\.\.2048"),
        ({"dim": 63}, r"dim must be an even number in 2\.\.1024"),
        ({"dim": 0}, r"dim must be a whole number in 2\.\.1024"),
        ({"dim": 2048}, r"2\.\.1024"),
        ({"sentences": ["The cat in the tree"]}, "exactly two sentences"),
        ({"sentences": ["The cat in the tree", ""]}, "non-empty"),
        ({"sentences": ["The cat in the tree", "The dog in the tree"]}, r"only in the first: \['cat'\]"),
        ({"sentences": ["The cat in the tree", "the cat in the tree"]}, "same order"),
    ],
)
def test_bad_input_is_refused_with_the_valid_values(ctx, kwargs, message):
    with pytest.raises(ToolInputError, match=message):
        positional_encoding_demo(ctx, **kwargs)


def test_args_model_describes_every_parameter():
    schema = PositionalEncodingDemoArgs.model_json_schema()
    assert set(schema["properties"]) == {"positions", "dim", "sentences"}
    assert all(prop.get("description") for prop in schema["properties"].values())
