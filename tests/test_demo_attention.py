"""attention_demo shows the real attention weights of MiniLM (and SmolLM2) and reports them honestly."""

from __future__ import annotations

import pytest
from png_checks import assert_readable_png

from tools.attention import MAX_TOKENS, TOOL, AttentionDemoArgs, attention_demo
from tools.base import ToolContext, ToolInputError
from tools.notes_refs import notes_text

SENTENCE = "The animal didn't cross the street because it was too tired."


@pytest.fixture
def ctx(tmp_path):
    return ToolContext(home=tmp_path)


@pytest.fixture(scope="module")
def focus_result(tmp_path_factory):
    home = tmp_path_factory.mktemp("attention-home")
    return home, attention_demo(ToolContext(home=home), SENTENCE, focus="it", grid=True)


def test_attention_rows_are_probability_distributions(focus_result):
    _, result = focus_result
    tokens, matrix = result.data["tokens"], result.data["attention"]
    assert len(matrix) == len(tokens) and all(len(row) == len(tokens) for row in matrix)
    for row in matrix:
        assert sum(row) == pytest.approx(1.0, abs=1e-3)
        assert min(row) >= 0.0
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert result.data["special"][0] and not result.data["special"][1]


def test_focus_on_it_reports_the_tokens_it_attends_to(focus_result):
    _, result = focus_result
    focus = result.data["focus"]
    assert focus["word"] == "it"
    weights = [entry["weight"] for entry in focus["top"]]
    assert weights == sorted(weights, reverse=True) and 0 < sum(weights) <= 1.0 + 1e-6
    assert all(result.data["tokens"][e["index"]] == e["token"] for e in focus["top"])
    # the tool picked a single head and says which one and why
    layer, head = result.data["layer"], result.data["head"]
    assert head is not None
    assert f"layer {layer}, head {head}" in result.text and "because" in result.text
    # the chosen head looks at a real word, not at [CLS] or itself
    assert focus["top"][0]["kind"] == "word"
    assert focus["top_words"][0]["token"] in result.text


def test_head_average_puts_it_on_cls_and_the_tool_says_so(ctx):
    result = attention_demo(ctx, SENTENCE, layer=5, focus="it")
    focus = result.data["focus"]
    assert result.data["head"] is None and "average of 12 heads" in result.data["view"]
    assert focus["top"][0]["token"] == "[CLS]" and focus["top"][0]["kind"] == "special"
    assert focus["top_words"][0]["token"] == "animal"
    assert not focus["singled_out"]
    assert "does not single out" in result.text


def test_layer_5_head_11_links_it_to_animal(ctx):
    result = attention_demo(ctx, SENTENCE, layer=5, head=11, focus="it")
    focus = result.data["focus"]
    assert focus["top"][0]["token"] == "animal" and focus["top"][0]["weight"] > 0.5
    assert focus["singled_out"] and "clearly singles out 'animal'" in result.text
    # and it compares with the head average a naive picture would show
    assert result.data["focus_last_layer_average"]["top"][0]["token"] == "[CLS]"


def test_figures_are_small_readable_pngs_under_the_data_home(focus_result):
    home, result = focus_result
    assert len(result.artifacts) == 2  # heatmap + grid of all heads
    for artifact in result.artifacts:
        assert artifact.kind == "image" and artifact.caption
        assert_readable_png(artifact.path, home)


def test_longest_allowed_sentence_still_draws_a_small_png(ctx, tmp_path):
    sentence = " ".join(["word"] * (MAX_TOKENS - 2))
    result = attention_demo(ctx, sentence)
    assert len(result.data["tokens"]) == MAX_TOKENS
    assert_readable_png(result.artifacts[0].path, tmp_path)


def test_cites_the_self_attention_section_of_the_notes(focus_result):
    _, result = focus_result
    text = notes_text()
    assert result.citations
    for citation in result.citations:
        assert citation.section == "Deep Learning > Transformers > Self-Attention"
        assert citation.source == "study-notes.md"
        assert text[citation.start : citation.end] == citation.quote


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        # refused by AttentionDemoArgs, before the tool runs
        ({"sentence": ""}, "sentence: is empty; give me a sentence to look at"),
        ({"sentence": "   "}, "sentence: is empty; give me a sentence to look at"),
        ({"sentence": SENTENCE, "layer": -1}, r"layer: must be at least 0 \(got -1\)"),
        ({"sentence": SENTENCE, "head": -1}, r"head: must be at least 0 \(got -1\)"),
        ({"sentence": SENTENCE, "model": "gpt-5"}, r"model: must be 'minilm' or 'smollm2' \(got 'gpt-5'\)"),
        # refused by the tool: the bounds depend on the model, the tokens on its tokenizer
        ({"sentence": "word " * 200}, f"at most {MAX_TOKENS} tokens"),
        ({"sentence": SENTENCE, "layer": 6}, r"layer must be 0\.\.5 for minilm, got 6"),
        ({"sentence": SENTENCE, "head": 12}, r"head must be 0\.\.11 for minilm, got 12"),
        ({"sentence": SENTENCE, "model": "smollm2", "layer": 30}, r"layer must be 0\.\.29 for smollm2"),
        (
            {"sentence": SENTENCE, "focus": "giraffe"},
            "does not occur in the sentence; its words are: The, animal",
        ),
    ],
)
def test_bad_input_is_refused_with_the_valid_values(ctx, kwargs, message):
    with pytest.raises(ToolInputError, match=message):
        TOOL.call(ctx, kwargs)


def test_model_names_are_read_in_any_case():
    args = TOOL.validate({"sentence": f"  {SENTENCE} ", "model": " SmolLM2"})
    assert args.model == "smollm2" and args.sentence == SENTENCE


def test_args_model_describes_every_parameter_for_the_router():
    schema = AttentionDemoArgs.model_json_schema()
    assert set(schema["properties"]) == {"sentence", "layer", "head", "model", "focus", "grid"}
    assert all(prop.get("description") for prop in schema["properties"].values())
    assert schema["required"] == ["sentence"]


@pytest.mark.slow
def test_smollm2_attention_is_causal(ctx):
    result = attention_demo(
        ctx, "The cat sat on the mat because it was warm.", model="smollm2", layer=10, focus="it"
    )
    matrix = result.data["attention"]
    assert result.data["causal"] and result.data["n_layers"] == 30 and result.data["n_heads"] == 9
    for i, row in enumerate(matrix):
        assert sum(row) == pytest.approx(1.0, abs=1e-3)
        assert all(weight == 0.0 for weight in row[i + 1 :]), "a causal model must not look ahead"
    it = result.data["focus"]["indices"][0]
    assert all(entry["index"] <= it for entry in result.data["focus"]["top"])
    assert "causal" in result.text
