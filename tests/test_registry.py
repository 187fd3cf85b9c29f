"""The tool registry: a tool is one module, and everything else derives from its declaration."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.registry import discover

TOY_TOOL = '''
"""A toy tool for the registry test: it counts the letters of a word."""

from pydantic import BaseModel, Field

from tools.base import ToolContext, ToolResult
from tools.registry import ToolDeclaration


class CountLettersArgs(BaseModel):
    word: str = Field(min_length=1, max_length=40, description="The word whose letters to count.")


def count_letters(ctx: ToolContext, word: str) -> ToolResult:
    """Count the letters of a word.

    A toy: this second paragraph is for developers and is not part of the description.
    """
    return ToolResult(text=f"{word} has {len(word)} letters.", data={"count": len(word)})


def word_after(text: str) -> dict:
    return {"word": text.rstrip("?!. ").split()[-1]}


TOOL = ToolDeclaration.of(count_letters, CountLettersArgs, word_after, "Count the letters")
'''
# Its phrasings ship beside it, in its own package's data/examples/count_letters.toml.
TOY_PHRASINGS = """
examples = [
  { text = "How many letters are in the word banana?", args = { word = "banana" } },
  "count the letters of strawberry",
  "letter count for the word kiwi",
  "how many characters does the word apple have",
  "spell out and count the letters in mango",
  "count letters: pineapple",
  "tell me the number of letters in cherry",
  "how long is the word grape in letters",
]
"""


@pytest.fixture
def toy_package(tmp_path: Path) -> Iterator[str]:
    """A package of its own holding one new tool module, importable for the test's duration."""
    package = tmp_path / "toy_tools"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "count_letters.py").write_text(textwrap.dedent(TOY_TOOL))
    (package / "data" / "examples").mkdir(parents=True)
    (package / "data" / "examples" / "count_letters.toml").write_text(TOY_PHRASINGS)
    sys.path.insert(0, str(tmp_path))
    try:
        yield "toy_tools"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "toy_tools" or m.startswith("toy_tools.")]:
            del sys.modules[name]


def test_every_tool_module_declares_one_tool_with_a_unique_name() -> None:
    declarations = discover()
    names = [d.name for d in declarations]
    assert len(names) == len(set(names))
    assert {"search_notes", "notes_overview", "attention_demo", "generate_text", "hub_lookup"} <= set(names)
    for declaration in declarations:
        assert declaration.examples and declaration.offer and declaration.description


def test_every_phrasings_file_belongs_to_a_tool_and_reads_back_as_its_examples() -> None:
    """A file whose tool was renamed would be read by nothing and teach the intent model nothing."""
    from importlib import resources

    from tools.registry import EXAMPLES_FOLDER, examples_of

    by_name = {d.name: d for d in discover()}
    folder = resources.files("tools").joinpath(*EXAMPLES_FOLDER)
    files = sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))
    assert files == sorted(by_name)
    for name in files:
        assert by_name[name].examples == examples_of(name)
        assert all(example.text.strip() for example in by_name[name].examples)


@pytest.mark.parametrize(
    "text",
    [
        'examples = ["fine", { args = { x = 1 } }]',
        'examples = ["unclosed',
        'phrasings = ["fine"]',
        "examples = 3",
    ],
)
def test_a_malformed_phrasings_file_is_refused_naming_it(toy_package: str, tmp_path: Path, text: str) -> None:
    from tools.registry import examples_of

    (tmp_path / toy_package / "data" / "examples" / "broken.toml").write_text(text + "\n")
    with pytest.raises(ValueError, match=r"broken\.toml: examples = \[\.\.\.\], each a string"):
        examples_of("broken", toy_package)
    with pytest.raises(ValueError, match=r"tool missing has no phrasings: write .*missing\.toml"):
        examples_of("missing", toy_package)


def test_a_declaration_is_named_after_its_function_and_described_by_its_docstring_opening(
    toy_package: str,
) -> None:
    (toy,) = discover([toy_package])
    assert (toy.name, toy.description, toy.mcp) == ("count_letters", "Count the letters of a word.", True)
    # its phrasings come from its own package's data file
    assert len(toy.examples) == 8 and toy.examples[0].args == {"word": "banana"}

    from tools.base import ToolContext, ToolResult
    from tools.registry import Example, ToolDeclaration

    def undocumented(ctx: ToolContext) -> ToolResult:
        return ToolResult(text="")

    with pytest.raises(ValueError, match="needs a docstring"):
        ToolDeclaration.of(undocumented, toy.args, toy.extract, "Do it", (Example("do it"),))


def test_field_bounds_do_the_validating(tmp_path: Path) -> None:
    import dataclasses

    from tools.base import ToolContext, ToolInputError

    training = next(d for d in discover() if d.name == "training_demo")
    with pytest.raises(ToolInputError, match=r"^epochs: must be at most 5000 \(got 1000000000\)$"):
        training.validate({"epochs": 10**9})
    # the tool function is never reached with a value outside the bounds: it has no checks of its own
    guarded = dataclasses.replace(training, run=lambda ctx, args: pytest.fail(f"ran with {args}"))
    for bad in ({"epochs": 0}, {"lr": 0}, {"hidden": [8] * 5}, {"hidden": [0]}, {"dataset": "spirals"}):
        with pytest.raises(ToolInputError, match=rf"^{next(iter(bad))}(\[0\])?: must "):
            guarded.call(ToolContext(home=tmp_path), bad)


def test_a_new_tool_module_is_routed_called_through_the_loop_and_served_over_mcp(
    toy_package: str, tmp_path: Path
) -> None:
    from agent import Agent
    from agent.ui.mcp_tools import build_tools

    agent = Agent(home=tmp_path / "home", tool_packages=["tools", toy_package])
    assert agent.router.decide("How many letters does the word elephant have?").tool == "count_letters"

    reply = agent.chat("How many letters are in the word elephant?", user="toy", session="s")
    assert [c.name for c in reply.tool_calls] == ["count_letters"]
    assert reply.tool_calls[0].args == {"word": "elephant"} and "8 letters" in reply.text

    served = {fn.__name__: fn for fn in build_tools(agent)}
    assert "count_letters" in served
    assert "word" in str(served["count_letters"].__signature__)
    assert served["count_letters"](word="kiwi") == "kiwi has 4 letters."
    assert served["count_letters"]("fig") == "fig has 3 letters."  # Gradio passes inputs by position
