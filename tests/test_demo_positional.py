"""positional_encoding_demo proves that order is invisible without positions and visible with them."""

from __future__ import annotations

import numpy as np
import pytest
from png_checks import assert_readable_png

from tools.base import ToolContext, ToolInputError
from tools.notes_refs import notes_text
from tools.positional import TOOL, PositionalEncodingDemoArgs, positional_encoding_demo, sinusoidal_encoding


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
        ({"positions": 0}, r"positions: must be at least 1 \(got 0\)"),
        ({"positions": 2049}, r"positions: must be at most 2048 \(got 2049\)"),
        ({"positions": "many"}, r"positions: must be a whole number \(got 'many'\)"),
        ({"dim": 63}, r"dim: must be an even number .*\(got 63\)"),
        ({"dim": 0}, r"dim: must be at least 2 \(got 0\)"),
        ({"dim": 2048}, r"dim: must be at most 1024 \(got 2048\)"),
        ({"sentences": ["The cat in the tree"]}, r"sentences: must have at least 2 items \(got 1 item\)"),
        ({"sentences": ["a b", "b a", "a b"]}, r"sentences: must have at most 2 items \(got 3 items\)"),
        ({"sentences": "The cat in the tree"}, "sentences: must be a list"),
        ({"sentences": ["The cat in the tree", ""]}, "sentences: both sentences must be non-empty"),
        (
            {"sentences": ["The cat in the tree", "The dog in the tree"]},
            r"sentences: .*same words.*only in the first: \['cat'\], only in the second: \['dog'\]",
        ),
        ({"sentences": ["The cat in the tree", "the cat in the tree"]}, "sentences: .*same order"),
    ],
)
def test_arguments_are_checked_by_the_model_with_the_valid_values(kwargs, message):
    with pytest.raises(ToolInputError, match=message):
        TOOL.validate(kwargs)


def test_case_and_accents_do_not_make_different_words():
    args = TOOL.validate({"sentences": [" The café ", "cafe the"]})  # MiniLM is uncased and drops accents
    assert args.sentences == ["The café", "cafe the"]


@pytest.mark.parametrize(
    ("sentences", "message"),
    [
        (["word " * 150 + "end", "end " + "word " * 150], "at most 128 tokens"),
        # the same words, but MiniLM reads '5€' as 5 + ##€ and '€b' as € + ##b
        (["5€ a b", "a 5 €b"], "tokenizer does not read"),
    ],
)
def test_what_only_the_tokenizer_knows_is_refused_by_the_tool(ctx, sentences, message):
    TOOL.validate({"sentences": sentences})  # the words are fine
    with pytest.raises(ToolInputError, match=message):
        TOOL.call(ctx, {"sentences": sentences})


def test_args_model_describes_every_parameter():
    schema = PositionalEncodingDemoArgs.model_json_schema()
    assert set(schema["properties"]) == {"positions", "dim", "sentences"}
    assert all(prop.get("description") for prop in schema["properties"].values())
