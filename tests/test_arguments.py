"""Argument extraction (tools/arguments.py) on the phrasings real users write.

Each case pins the exact value an extractor must read: quoted sentences with apostrophes in every
quote style, possessives, two-sentence comparisons, model ids, numbers with units, prompts. The
routing set and the chat page's examples must extract what they show, and no message, however
hostile, may make an extractor raise or hang.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import DATA
from tools.arguments import (
    DEFAULT_ATTENTION_SENTENCE,
    FOCUS_EXAMPLE_SENTENCE,
    KNOWN_SHORT_IDS,
    arguments_match,
    attention_args,
    generate_audio_args,
    generate_image_args,
    generate_text_args,
    hub_args,
    mask_quoted,
    model_ids,
    number_after,
    online_args,
    positional_args,
    quote_spans,
    quoted,
    training_args,
)
from tools.registry import discover

Extractor = Callable[[str], dict[str, Any]]
ROOT = Path(__file__).resolve().parent.parent
ROUTING = yaml.safe_load((DATA / "routing.yaml").read_text(encoding="utf-8"))
EXTRACTORS: dict[str, Extractor] = {d.name: d.extract for d in discover()}
ANIMAL = "The animal didn't cross the street because it was too tired"


def assert_exact(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """Every expected key holds exactly the expected value (no case or punctuation leniency)."""
    for key, value in expected.items():
        assert key in actual, (key, actual)
        assert actual[key] == value, (key, actual[key], value)


# ---------------------------------------------------------------------------------------------
# Quoted passages
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Say 'hello world' and \"bye\"", ["hello world", "bye"]),
        (f"Which word does 'it' attend to in '{ANIMAL}'?", ["it", ANIMAL]),
        (f'In "{ANIMAL}", which word does "it" attend to?', [ANIMAL, "it"]),
        ("Show attention for 'She didn't know it was raining'", ["She didn't know it was raining"]),
        ("Show attention on ‘It isn’t what it’s worth’", ["It isn’t what it’s worth"]),
        ("Show attention on “She didn’t say that”", ["She didn’t say that"]),
        ("Montre l'attention pour «Le chat n'est pas là»", ["Le chat n'est pas là"]),
        ("Montre « Le chat dort »", ["Le chat dort"]),
        ("Zeig „Der Hund schläft“ bitte", ["Der Hund schläft"]),
        ("「猫が座った」を見せて", ["猫が座った"]),
        ("Показать attention для 'Кот сидел на ковре'", ["Кот сидел на ковре"]),
        # plural possessives: s' before a word is an apostrophe when only a closing mark follows
        ("Show attention in 'the students' notes were lost'", ["the students' notes were lost"]),
        ("Show 'James' car is red' please", ["James' car is red"]),
        ("Compare 'the dogs' and 'the cats'", ["the dogs", "the cats"]),
        ("Is 'cats' or 'dogs' plural?", ["cats", "dogs"]),
        ("Show ‘the teachers’ books were old’", ["the teachers’ books were old"]),
        # apostrophes between letters or digits never open or close
        ("I don't think it's 'rock'n'roll' at all", ["rock'n'roll"]),
        ("the 90's 'best' hits", ["best"]),
        ("Quote: “I’m here” and ‘you’re there’", ["I’m here", "you’re there"]),
        ("the word 'its' vs 'it's'", ["its", "it's"]),
        # marks of another kind are content; mixed straight/curly pairs still close
        ("Show 'He said \"hi\" to me'", ['He said "hi" to me']),
        ("Show ‘hello' world", ["hello"]),
        # unbalanced or empty quotes give nothing instead of swallowing the message
        ("He said 'hi", []),
        ("It's a \"test", []),
        ("don't won't can't", []),
        ("Say '' and 'x'", ["x"]),
        ("'Tis the season to say 'hi'", ["hi"]),
    ],
)
def test_quoted_passages(text: str, expected: list[str]) -> None:
    assert quoted(text) == expected


def test_mask_quoted_replaces_whole_passages_apostrophes_included() -> None:
    assert mask_quoted("Say 'didn't I' out loud", " Q ") == "Say  Q  out loud"


def test_quote_spans_point_at_the_marks() -> None:
    text = "in “it’s fine” ok"
    [(start, end, content)] = quote_spans(text)
    assert (text[start:end], content) == ("“it’s fine”", "it’s fine")


# ---------------------------------------------------------------------------------------------
# attention_demo
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Which word does 'it' attend to in '{ANIMAL}'?", {"focus": "it", "sentence": ANIMAL}),
        (f'In "{ANIMAL}", which word does "it" attend to?', {"focus": "it", "sentence": ANIMAL}),
        (
            "What does “it” refer to in “The trophy doesn’t fit in the case because it’s too big”?",
            {"focus": "it", "sentence": "The trophy doesn’t fit in the case because it’s too big"},
        ),
        ("what is 'she' attending to in 'Mary said she isn't coming'", {"focus": "she"}),
        ("Which token does 'he' look at in 'John told Bill he was late'?", {"focus": "he"}),
        (
            "focus on 'bank' in 'I sat by the river bank'",
            {"focus": "bank", "sentence": "I sat by the river bank"},
        ),
        (
            "Show attention for 'She didn't know it was raining'",
            {"sentence": "She didn't know it was raining"},
        ),
        ("Show attention on ‘It isn’t what it’s worth’", {"sentence": "It isn’t what it’s worth"}),
        ("Show attention in 'the students' notes were lost'", {"sentence": "the students' notes were lost"}),
        ("Show me attention in 'The cat sat on the mat'", {"sentence": "The cat sat on the mat"}),
        ("Show attention for: The quick brown fox jumps", {"sentence": "The quick brown fox jumps"}),
        (
            "How does 'bank' relate to 'river' in 'I sat on the river bank'?",
            {"focus": "bank", "sentence": "I sat on the river bank"},
        ),
        ('show attention for "Dogs don\'t like cats"', {"sentence": "Dogs don't like cats"}),
        ("Montre l'attention pour «Le chat n'a pas faim»", {"sentence": "Le chat n'a pas faim"}),
        ("Показать attention для 'Кот сидел на ковре'", {"sentence": "Кот сидел на ковре"}),
        (
            "Please visualize attention heads for this sentence: it's raining again",
            {"sentence": "it's raining again"},
        ),
        ("demo attention on the sentence the dog chased the ball", {"sentence": "the dog chased the ball"}),
        ("What does the model attend to in She gave him the book?", {"sentence": "She gave him the book"}),
        (
            "Draw the attention heatmap of layer 2 head 3 for 'I love deep learning'",
            {"layer": 2, "head": 3, "sentence": "I love deep learning"},
        ),
        ("attention for «Le chat dort» at layer=1, head=0", {"layer": 1, "head": 0}),
        ("Show all heads of layer 5 for 'Birds fly south in winter'", {"layer": 5, "grid": True}),
        ("Show attention with smollm2 on 'The dog chased the ball'", {"model": "smollm2"}),
    ],
)
def test_attention_arguments(text: str, expected: dict[str, Any]) -> None:
    assert_exact(attention_args(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("run the attention demo", {"sentence": DEFAULT_ATTENTION_SENTENCE}),
        # "all 12 heads" counts heads, it does not pick head 12
        ("Show all 12 heads of layer 5 for 'Birds fly'", {"sentence": "Birds fly", "layer": 5, "grid": True}),
        # words inside the quoted sentence are not settings
        (
            "Show attention for 'GPT is a decoder with 2 heads per layer 3'",
            {"sentence": "GPT is a decoder with 2 heads per layer 3"},
        ),
        # an unquoted focus that is not a word of the sentence is dropped ("does BERT attend")
        ("What does BERT attend to in 'The cat sat'?", {"sentence": "The cat sat"}),
        # a focus asked for without a sentence gets the notes' example that contains it
        ("What does 'it' refer to?", {"focus": "it", "sentence": FOCUS_EXAMPLE_SENTENCE}),
    ],
)
def test_attention_arguments_exactly(text: str, expected: dict[str, Any]) -> None:
    assert attention_args(text) == expected


# ---------------------------------------------------------------------------------------------
# positional_encoding_demo
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Show positional encoding for 'The cat in the tree' vs 'The tree in the cat'",
            ["The cat in the tree", "The tree in the cat"],
        ),
        (
            "Compare 'The dog didn't bite the man' and 'The man didn't bite the dog'",
            ["The dog didn't bite the man", "The man didn't bite the dog"],
        ),
        ("Compare “The cat’s toy” versus “The toy’s cat”", ["The cat’s toy", "The toy’s cat"]),
        (
            'Compare "Alice didn\'t call Bob" with "Bob didn\'t call Alice"',
            ["Alice didn't call Bob", "Bob didn't call Alice"],
        ),
        (
            "Position embeddings of ‘dogs chase cats’ compared to ‘cats chase dogs’",
            ["dogs chase cats", "cats chase dogs"],
        ),
        (
            "«Le chien mord l'homme» vs. «L'homme mord le chien»",
            ["Le chien mord l'homme", "L'homme mord le chien"],
        ),
        (
            "Compare 'the students' notes' and 'the notes' students'",
            ["the students' notes", "the notes' students"],
        ),
        # the pair joined by "and" wins over an earlier quoted word
        ("In 'positional' terms, compare 'a b c' and 'c b a'", ["a b c", "c b a"]),
    ],
)
def test_two_sentences_for_the_positional_demo(text: str, expected: list[str]) -> None:
    assert positional_args(text)["sentences"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Plot the sinusoidal positional encoding for 64 positions", {"positions": 64}),
        ("Visualize positional encodings with 128 dimensions", {"dim": 128}),
        ("Show a 128-dimensional positional encoding", {"dim": 128}),
        ("Show positional encoding with 128 dims", {"dim": 128}),
        ("positional encoding with dimension 128 and 50 positions", {"dim": 128, "positions": 50}),
        ("positions=100, d_model=256", {"positions": 100, "dim": 256}),
        ("positional encoding for a sequence length of 20", {"positions": 20}),
        ("Show me positional encoding", {}),
        (
            "Compare 'The 2 dogs' and 'The dogs 2' with 64 positions",
            {"positions": 64, "sentences": ["The 2 dogs", "The dogs 2"]},
        ),
    ],
)
def test_positional_numbers(text: str, expected: dict[str, Any]) -> None:
    assert positional_args(text) == expected


# ---------------------------------------------------------------------------------------------
# training_demo
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Train a small neural network on XOR", {"dataset": "xor"}),
        ("Run the training demo on the moons dataset for 500 epochs", {"dataset": "moons", "epochs": 500}),
        ("Train an MLP on circles with learning rate 0.05", {"dataset": "circles", "lr": 0.05}),
        ("Show me a network learning xor with 16 hidden units", {"dataset": "xor", "hidden": [16]}),
        ("Train a network on moons with seed 3", {"dataset": "moons", "seed": 3}),
        ("Train on xor for 1,000 epochs", {"dataset": "xor", "epochs": 1000}),
        ("Train with epochs=500", {"epochs": 500}),
        ("Train with epochs: 500", {"epochs": 500}),
        ("Train with a learning rate of 0.05", {"lr": 0.05}),
        ("Train with lr 1e-2", {"lr": 0.01}),
        ("Train with lr=0.01", {"lr": 0.01}),
        ("Train with learning_rate: .5", {"lr": 0.5}),
        ("Train a net with two hidden layers of 8", {"hidden": [8, 8]}),
        ("Train a net with 3 hidden layers with 32 neurons each", {"hidden": [32, 32, 32]}),
        ("Train a net with a hidden layer of 64", {"hidden": [64]}),
        ("Train a net with hidden=[16, 8]", {"hidden": [16, 8]}),
        ("Train a net with two hidden layers", {"hidden": [8, 8]}),
        ("Train a net with hidden size 32", {"hidden": [32]}),
        ("Train on the spiral dataset", {"dataset": "spiral"}),
        ("Show backpropagation in action on a toy dataset", {}),
        (
            "train a classifier on the xor problem for 1000 epochs with seed 3",
            {"dataset": "xor", "epochs": 1000, "seed": 3},
        ),
        ("Visualise a network learning the two moons dataset", {"dataset": "moons"}),
        (
            "Train on moons for 1,000 epochs with a learning rate of 0.05, seed 3 and two hidden layers of 8",
            {"dataset": "moons", "epochs": 1000, "lr": 0.05, "seed": 3, "hidden": [8, 8]},
        ),
    ],
)
def test_training_arguments(text: str, expected: dict[str, Any]) -> None:
    assert training_args(text) == expected


# ---------------------------------------------------------------------------------------------
# online_learning_demo
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Run the online learning demo with 4000 steps", {"steps": 4000}),
        ("Run the online learning demo with 4,000 steps", {"steps": 4000}),
        ("Simulate drift at step 500", {"drift_at": 500}),
        ("Simulate user preferences that drift and retrain every 250 events", {"retrain_every": 250}),
        ("simulate drift and retrain the batch model every 250 events", {"retrain_every": 250}),
        ("simulate a stream of user events with a change at step 500", {"drift_at": 500}),
        (
            "Run 3000 events with drift at event 1000 and retrain every 200",
            {"steps": 3000, "drift_at": 1000, "retrain_every": 200},
        ),
        (
            "steps=5000, drift_at=2500, retrain_every=100",
            {"steps": 5000, "drift_at": 2500, "retrain_every": 100},
        ),
        ("the taste changes after 700 steps", {"drift_at": 700}),
        ("Show online vs batch learning with seed 7", {"seed": 7}),
        ("Compare online and batch learning when the user's taste drifts", {}),
    ],
)
def test_online_arguments(text: str, expected: dict[str, Any]) -> None:
    assert online_args(text) == expected


# ---------------------------------------------------------------------------------------------
# Model ids and hub_lookup
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("compare EleutherAI/gpt-neo-125m with gpt2", ["EleutherAI/gpt-neo-125m", "gpt2"]),
        ("Look up EleutherAI/gpt-neo-1.3B?", ["EleutherAI/gpt-neo-1.3B"]),
        ("How big is the download of meta-llama/Llama-2-7b-hf?", ["meta-llama/Llama-2-7b-hf"]),
        ("Look at suno/bark. It is good", ["suno/bark"]),
        ("How many likes does llama-2-7b have?", ["llama-2-7b"]),
        ("What about gpt-neo-125m?", ["gpt-neo-125m"]),
        ("Is whisper-large-v3 any good.", ["whisper-large-v3"]),
        ("Compare GPT Neo and Llama 2", ["gpt-neo", "llama-2"]),
        ("check `my-org/my_model` and `tiny-thing`", ["my-org/my_model", "tiny-thing"]),
        ("Look up 'distilgpt2' and \"opt-350m\"", ["distilgpt2", "opt-350m"]),
        ("see https://huggingface.co/suno/bark for details", ["suno/bark"]),
        ("gpt2, GPT2 and gpt2 again", ["gpt2"]),
        # not ids: compound words, slash pairs of plain words, dates, paths
        ("bert-like models are common", []),
        ("input/output and and/or, w/o, n/a, km/h", []),
        ("on 12/05/2024 at a/b/c", []),
        ("graph the sin/cos position vectors", []),
        ("Write a poem about 'love'", []),
    ],
)
def test_model_ids(text: str, expected: list[str]) -> None:
    assert model_ids(text) == expected


def test_known_short_ids_are_kept() -> None:
    for name in ("gpt2", "gpt-neo", "llama-2-7b", "bert-base-uncased", "stable-diffusion-v1-5", "bark"):
        assert name in KNOWN_SHORT_IDS
        assert model_ids(f"look up {name} please") == [name]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Look up gpt2 on the Hugging Face Hub", {"model_id": "gpt2"}),
        ("How many downloads does bert-base-uncased have?", {"model_id": "bert-base-uncased"}),
        ("Compare gpt2 and gpt-neo on the Hub", {"compare": ["gpt2", "gpt-neo"]}),
        ("Compare bark, gpt2 and llama-2-7b on Hugging Face", {"compare": ["bark", "gpt2", "llama-2-7b"]}),
        ("which is more popular on the hub, bark or gpt2?", {"compare": ["bark", "gpt2"]}),
        ("check huggingface for EleutherAI/gpt-neo-125m", {"model_id": "EleutherAI/gpt-neo-125m"}),
        ("fetch hub stats for t5-small", {"model_id": "t5-small"}),
        ("Search the Hub for text-to-speech models", {"query": "text-to-speech"}),
        ("Search the Hub for sentiment models", {"query": "sentiment"}),
        ("list some image generation models on hugging face", {"query": "image generation"}),
        ("Find models for image generation", {"query": "image generation"}),
        ("Search the Hub for whisper models", {"query": "whisper"}),
    ],
)
def test_hub_arguments(text: str, expected: dict[str, Any]) -> None:
    assert hub_args(text) == expected


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words", "expected"),
    [
        ("for 1,000 epochs", ("epoch",), 1000),
        ("500 epochs", ("epoch",), 500),
        ("epochs=500", ("epoch",), 500),
        ("epochs = 500", ("epoch",), 500),
        ("epochs: 500", ("epoch",), 500),
        ("a learning rate of 0.05", ("learning rate", "lr"), 0.05),
        ("learning_rate=0.3", ("learning rate",), 0.3),
        ("lr 1e-2", ("learning rate", "lr"), 0.01),
        ("temperature 0.9", ("temperature",), 0.9),
        ("at temperature .7", ("temperature",), 0.7),
        ("200 tokens", ("token",), 200),
        ("max 80 tokens", ("token",), 80),
        ("128-dimensional", ("dimensional",), 128),
        ("4,000 steps", ("step",), 4000),
        ("layer 2 head 3", ("head",), 3),
        ("the 3rd layer", ("layer",), None),
        ("epochs 1e999", ("epoch",), None),
        ("xepochs 5", ("epoch",), None),
        ("temperature -0.5", ("temperature",), None),
        ("layers 1-5", ("layer",), 1),
        ("no number here", ("epoch",), None),
    ],
)
def test_number_after(text: str, words: tuple[str, ...], expected: float | None) -> None:
    assert number_after(text, *words) == expected


# ---------------------------------------------------------------------------------------------
# generate_text, generate_image, generate_audio
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write a poem about painting", {"prompt": "Write a poem about painting"}),
        ("Generate text: Once upon a time", {"prompt": "Once upon a time"}),
        ("Continue this story: 'The robot opened the door'", {"prompt": "The robot opened the door"}),
        ("Continue this story: The robot opened the door", {"prompt": "The robot opened the door"}),
        ("Prompt: “It was a dark and stormy night”", {"prompt": "It was a dark and stormy night"}),
        ("Write a poem titled 'Autumn'", {"prompt": "Write a poem titled 'Autumn'"}),
        (
            "Write a haiku about transformers with 60 tokens",
            {"prompt": "Write a haiku about transformers", "max_new_tokens": 60},
        ),
        (
            "Generate a paragraph about the sea with temperature 0.9",
            {"prompt": "Generate a paragraph about the sea", "temperature": 0.9},
        ),
        (
            "Generate a paragraph about the sea at temperature .7 and max 80 tokens",
            {"prompt": "Generate a paragraph about the sea", "temperature": 0.7, "max_new_tokens": 80},
        ),
        (
            "Use gpt2 to write a sentence about cats",
            {"prompt": "Write a sentence about cats", "model": "gpt2"},
        ),
        (
            "Write a limerick with EleutherAI/gpt-neo-125m",
            {"prompt": "Write a limerick", "model": "EleutherAI/gpt-neo-125m"},
        ),
        ("Write a story about a mistral wind", {"prompt": "Write a story about a mistral wind"}),
        (
            "Generate a short text about transformers with a small model",
            {"prompt": "Generate a short text about transformers with a small model"},
        ),
    ],
)
def test_generate_text_arguments(text: str, expected: dict[str, Any]) -> None:
    assert generate_text_args(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Draw a picture of a cat astronaut", {"prompt": "a cat astronaut"}),
        ("Generate an image of a sunset over mountains", {"prompt": "a sunset over mountains"}),
        ("Generate an image of a cat sitting on a mat", {"prompt": "a cat sitting on a mat"}),
        ("Create a picture of a robot painting with 10 steps", {"prompt": "a robot painting", "steps": 10}),
        ("Paint an illustration of a forest", {"prompt": "a forest"}),
        ("sketch a lighthouse at night", {"prompt": "a lighthouse at night"}),
        ("can you draw me a dragon?", {"prompt": "a dragon"}),
        ("produce an image of a bowl of fruit with seed 7", {"prompt": "a bowl of fruit", "seed": 7}),
        ("Make an image with stable diffusion of a red car", {"prompt": "a red car"}),
        ("Image: a red fox in the snow", {"prompt": "a red fox in the snow"}),
        ("generate a picture of a fox in the snow pls", {"prompt": "a fox in the snow"}),
        ("Draw 'a tree with bark'", {"prompt": "a tree with bark"}),
        ("Draw a tree with bark", {"prompt": "a tree with bark"}),
        ("Draw a clock showing 10:30", {"prompt": "a clock showing 10:30"}),
        (
            "render a picture of a futuristic city with 30 denoising steps",
            {"prompt": "a futuristic city", "steps": 30},
        ),
    ],
)
def test_generate_image_arguments(text: str, expected: dict[str, Any]) -> None:
    assert generate_image_args(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Say 'hello world' out loud", "hello world"),
        ("Say 'attention is all you need' out loud", "attention is all you need"),
        ("Say “I’m ready” aloud", "I’m ready"),
        ("Read this aloud: deep learning is fun", "deep learning is fun"),
        ("Read this aloud: 'deep learning is fun'", "deep learning is fun"),
        ("Generate speech for this text: welcome to the class", "welcome to the class"),
        ("Make a voice clip saying good morning", "good morning"),
        ("Turn 'see you tomorrow' into audio", "see you tomorrow"),
        ("convert good luck on your exam to speech", "good luck on your exam"),
        ("Say hello world out loud", "hello world"),
        ("Can you say good night?", "good night"),
        ("record yourself saying happy birthday", "happy birthday"),
        ("text to speech: the lesson starts at nine", "the lesson starts at nine"),
        ("Please read out loud: online learning adapts", "online learning adapts"),
    ],
)
def test_generate_audio_arguments(text: str, expected: str) -> None:
    assert generate_audio_args(text) == {"text": expected}


# ---------------------------------------------------------------------------------------------
# The routing set and the chat page's examples
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("item", [i for i in ROUTING if i.get("args")], ids=lambda i: i["message"][:60])
def test_the_routing_set_arguments_are_extracted(item: dict[str, Any]) -> None:
    extracted = EXTRACTORS[item["tool"]](item["message"])
    assert arguments_match(item["args"], extracted), extracted


# agent/ui/app.py EXAMPLES, with the tool each shows and the arguments it must give.
def test_every_page_example_gives_exactly_the_arguments_it_shows() -> None:
    """The chat page shows each tool's showcase example: it must extract exactly what its declaration says."""
    from agent.ui.page import showcase_examples

    declarations = discover()
    assert showcase_examples(declarations) == [d.showcase for d in declarations]
    shown = [d.examples[0] for d in declarations if d.examples[0].args]
    assert len(shown) >= 6  # the demos, the Hub, pictures and speech show what they read
    for declaration in declarations:
        example = declaration.examples[0]
        if example.args:
            assert_exact(declaration.extract(example.text), example.args)


# ---------------------------------------------------------------------------------------------
# arguments_match
# ---------------------------------------------------------------------------------------------


def test_arguments_match_ignores_case_and_end_punctuation_only() -> None:
    assert arguments_match({"sentence": "The cat sat."}, {"sentence": "the cat sat", "layer": 2})
    assert arguments_match({"compare": ["GPT2", "bark"]}, {"compare": ["gpt2", "Bark"]})
    assert arguments_match({"hidden": [8, 8]}, {"hidden": [8, 8]})
    assert not arguments_match({"hidden": [8, 8]}, {"hidden": [8]})
    assert not arguments_match({"layer": 2}, {})
    assert not arguments_match({"sentence": "the cat"}, {"sentence": "the dog"})
    assert not arguments_match({"compare": ["a", "b"]}, {"compare": ["b", "a"]})


# ---------------------------------------------------------------------------------------------
# Hostile input: never raise, never hang
# ---------------------------------------------------------------------------------------------

ALL_EXTRACTORS: list[Extractor] = [*EXTRACTORS.values(), lambda t: {"ids": model_ids(t), "quotes": quoted(t)}]
LONG = 20_000
HOSTILE = [
    "",
    " ",
    "?!.,;:'\"",
    "😀🔥🤖" * 3,
    "'",
    '"',
    "“unclosed",
    "«",
    "Show 'it",
    "’’’‘‘‘“”„«»",
    "Показать attention для 'Кот сидел на ковре'",
    "注意力 'the cat 猫' layer ٣ head ۲",
    "layer 99999999999999999999999999999 head 1e999 epochs 9" + "9" * 400,
    "1000000000 hidden layers of 1e308",
    "a" * LONG,
    " " * LONG,
    "'" * LONG,
    "a'" * (LONG // 2),
    "'a " * (LONG // 3),
    "s' s" * (LONG // 4),
    "1,0" * (LONG // 3),
    "1.1." * (LONG // 4),
    ":" * LONG,
    "`" * LONG,
    "a/" * (LONG // 2),
    "gpt2-" * (LONG // 5),
    "in The " * (LONG // 7),
    "retrain " * (LONG // 8),
    "two layers of " * (LONG // 14),
    "max 80 tokens with " * (LONG // 19),
    "compare 'x' and " * (LONG // 16),
    "😀" * LONG,
]


def _json_safe(value: Any) -> None:
    json.dumps(value, allow_nan=False)


@pytest.mark.parametrize("extract", ALL_EXTRACTORS)
@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: f"{t[:12]!r}x{len(t)}")
def test_hostile_messages_never_raise(extract: Extractor, text: str) -> None:
    result = extract(text)
    assert isinstance(result, dict)
    _json_safe(result)


def test_a_long_message_still_extracts_its_arguments() -> None:
    filler = " and some more words about attention in transformers" * 400
    text = "Show attention for 'The cat sat on the mat' at layer 2" + filler
    assert len(text) > LONG
    assert_exact(attention_args(text), {"sentence": "The cat sat on the mat", "layer": 2})
    assert training_args("Train on xor for 500 epochs" + filler) == {"dataset": "xor", "epochs": 500}
    assert model_ids(filler + " compare gpt2 and suno/bark") == ["gpt2", "suno/bark"]


PIECES = st.sampled_from(
    [
        "'",
        '"',
        "‘",
        "’",
        "“",
        "”",
        "„",
        "«",
        "»",
        "`",
        " ",
        "s' ",
        "didn't",
        "it’s",
        "The cat sat",
        "layer",
        "head",
        "2",
        "1,000",
        ".7",
        "1e-2",
        "1e999",
        "epochs",
        "lr",
        "=",
        ":",
        "/",
        "gpt2",
        "suno/bark",
        "huggingface.co/",
        "drift at",
        "retrain every",
        "hidden",
        "two",
        "layers of",
        "with",
        "and",
        "vs",
        "😀",
        "Кот",
        "猫",
        "\n",
        "?",
        "-",
        "in The",
        "Say",
        "Draw a picture of",
        "Generate text:",
        "search",
        "tokens",
        "temperature",
    ]
)
MESSAGES = st.one_of(st.text(max_size=200), st.lists(PIECES, max_size=40).map("".join))


@pytest.mark.parametrize("extract", ALL_EXTRACTORS)
@settings(deadline=None, max_examples=150)
@given(text=MESSAGES)
def test_extractors_never_raise(extract: Extractor, text: str) -> None:
    result = extract(text)
    assert isinstance(result, dict)
    _json_safe(result)


@settings(deadline=None, max_examples=200)
@given(text=MESSAGES)
def test_quoted_passages_are_trimmed_pieces_of_the_message(text: str) -> None:
    flat = " ".join(text.split())
    for passage in quoted(text):
        assert passage and passage == passage.strip()
        assert passage in flat


def test_tools_arguments_imports_nothing_from_agent() -> None:
    tree = ast.parse((ROOT / "tools" / "arguments.py").read_text(encoding="utf-8"))
    modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in modules if m == "agent" or m.startswith(("agent.", "tools."))]
