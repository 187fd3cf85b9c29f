"""The tool registry: every tool is one module of ``tools/`` that exports ``TOOL``, a ``ToolDeclaration``.

Everything else is derived from the declarations: the LangChain tool list, the intent model's
training phrases, the MCP functions (their signatures built from the argument model), the chat
page's examples, the capabilities reply, bench prompts and the test lists. Adding a tool is one
new module and its phrasings (``tools/data/examples/<name>.toml``, see ``examples_of``); nothing
else changes (``tests/test_registry.py`` proves it with a toy tool).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from pydantic import BaseModel, ValidationError

from tools.base import ToolContext, ToolInputError, ToolResult

DEFAULT_PACKAGES = ("tools",)


@dataclass(frozen=True)
class Example:
    """A way a user asks for the tool, with the arguments that must be read off it."""

    text: str
    args: dict[str, Any] = field(default_factory=dict)


EXAMPLES_FOLDER = ("data", "examples")  # inside a tool module's package: <tool name>.toml


def examples_of(name: str, package: str = "tools") -> tuple[Example, ...]:
    """The phrasings of tool ``name``, from ``<package>/data/examples/<name>.toml``.

    They are labelled data, the intent model's training set (some 270 rows over ten tools), not code:
    a list of strings, or ``{ text = ..., args = { ... } }`` where arguments must be read off the
    phrasing. Kept as data they are added to without touching a tool, as ``bench/data`` is.
    """
    path = resources.files(package).joinpath(*EXAMPLES_FOLDER, f"{name}.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(
            f"tool {name} has no phrasings: write {path} (examples = [...]) or pass examples"
        ) from None
    try:
        rows = tomllib.loads(text)["examples"]
        return tuple(
            Example(row) if isinstance(row, str) else Example(row["text"], row.get("args", {}))
            for row in rows
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ValueError(
            f"{path}: examples = [...], each a string or {{ text = ..., args = {{ ... }} }} ({exc!r})"
        ) from None


@dataclass(frozen=True)
class ToolDeclaration:
    """Everything the agent knows about one tool, in one place.

    ``run`` receives the validated argument model: the ``Field`` bounds of ``args`` are the only
    range checks. ``examples`` teach the intent model and show users what to type (the first one is
    the tool's showcase on the chat page and in the capabilities reply). ``extract`` reads the
    arguments off a message for the router. ``offer`` labels the choice when the agent asks which
    of two things was meant ("Run the attention demo").
    """

    name: str
    description: str
    args: type[BaseModel]
    run: Callable[[ToolContext, Any], ToolResult]
    examples: tuple[Example, ...]
    extract: Callable[[str], dict[str, Any]]
    offer: str
    mcp: bool = False
    streams_tokens: bool = False

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"a tool name must be an identifier, got {self.name!r}")
        if not self.examples:
            raise ValueError(f"tool {self.name} needs at least one example phrase")

    @classmethod
    def of(
        cls,
        function: Callable[..., ToolResult],
        args: type[BaseModel],
        extract: Callable[[str], dict[str, Any]],
        offer: str,
        examples: tuple[Example, ...] | None = None,
        *,
        mcp: bool = True,
        streams_tokens: bool = False,
    ) -> ToolDeclaration:
        """The declaration of a tool written as ``function(ctx, **arguments)``, like LangChain's ``@tool``.

        The tool is named after the function and described by the first paragraph of its docstring
        (the rest is for developers), so what the model and the MCP client read is written once, on
        the function it describes; its phrasings are ``examples_of(name, its package)`` unless given.
        Tools are offered over MCP unless they say otherwise: the generation tools do, since they load
        gigabyte models a remote client cannot see coming.
        """
        name, description = function.__name__, _first_paragraph(function.__doc__)
        run = keyword_runner(function)
        package = function.__module__.rpartition(".")[0] or function.__module__  # the module's own package
        phrasings = examples_of(name, package) if examples is None else examples
        return cls(name, description, args, run, phrasings, extract, offer, mcp, streams_tokens)

    @property
    def showcase(self) -> str:
        return self.examples[0].text

    def validate(self, raw: dict[str, Any]) -> BaseModel:
        """The argument model for ``raw``; a ToolInputError that names each wrong field otherwise."""
        try:
            return self.args.model_validate({k: v for k, v in raw.items() if v is not None})
        except ValidationError as exc:
            raise ToolInputError(describe_validation_error(exc)) from None

    def call(self, ctx: ToolContext, raw: dict[str, Any]) -> ToolResult:
        return self.run(ctx, self.validate(raw))


# pydantic's error types in plain words; the numbers come from the error's context
_BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("more than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}
_LENGTHS = {
    "string_too_short": ("at least", "min_length", "character"),
    "string_too_long": ("at most", "max_length", "character"),
    "too_short": ("at least", "min_length", "item"),
    "too_long": ("at most", "max_length", "item"),
}
_TYPES = {
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "missing": "is required",
    "extra_forbidden": "is not an argument of this tool",
}
_SHOWN_CHARS = 60


def describe_validation_error(exc: ValidationError) -> str:
    """pydantic's errors as one line a user can act on: "epochs: must be at most 5000 (got 9000)".

    Each part names the field (``hidden[1]`` for an item of a list), the rule in plain words and the
    value given (its length for a length rule, shortened when long). A validator's own message is
    kept as written; one about several fields at once (empty ``loc``) has no field prefix.
    """
    parts = []
    for error in exc.errors(include_url=False):
        kind, ctx = error["type"], error.get("ctx") or {}
        message = _rule(kind, ctx)
        if message is None:
            message = error["msg"].replace("Input should be", "must be")
            for prefix in ("Value error, ", "Assertion failed, "):
                message = message.removeprefix(prefix)
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]).lstrip(".")
        if not where:
            parts.append(message if kind in ("value_error", "assertion_error") else f"arguments: {message}")
        else:
            parts.append(f"{where}: {message}{_shown(error.get('input'), kind, ctx)}")
    return "; ".join(parts)


def _rule(kind: str, ctx: dict[str, Any]) -> str | None:
    if kind in _BOUNDS and _BOUNDS[kind][1] in ctx:
        words, key = _BOUNDS[kind]
        return f"must be {words} {_number(ctx[key])}"
    if kind in _LENGTHS and _LENGTHS[kind][1] in ctx:
        words, key, noun = _LENGTHS[kind]
        return f"must have {words} {_count(ctx[key], noun)}"
    return _TYPES.get(kind)


def _shown(value: Any, kind: str, ctx: dict[str, Any]) -> str:
    """The "(got ...)" after a rule: the value given, or its length when the rule is about length."""
    if kind in ("too_short", "too_long") and "actual_length" in ctx:
        return f" (got {_count(ctx['actual_length'], 'item')})"
    if kind == "string_too_long" and isinstance(value, str):
        return f" (got {_count(len(value), 'character')})"
    if value is None or isinstance(value, dict) or (isinstance(value, str) and not value.strip()):
        return ""  # nothing to show: no value, all the arguments, or a blank
    shown = repr(value)
    if len(shown) > _SHOWN_CHARS:
        shown = shown[: _SHOWN_CHARS - 3] + "..."
    return f" (got {shown})"


def _number(value: Any) -> str:
    """0 rather than 0.0: bounds written as floats read as a person would write them."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def discover(packages: Iterable[str] = DEFAULT_PACKAGES) -> list[ToolDeclaration]:
    """Every ``TOOL`` exported by a module of the given packages, in package then module order.

    Tool modules import only light things at the top (models load on first use), so importing all
    of them costs little; a duplicate name is an error rather than a silent override.
    """
    found: dict[str, ToolDeclaration] = {}
    for package_name in packages:
        package = importlib.import_module(package_name)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{package_name}.{info.name}")
            declaration = getattr(module, "TOOL", None)
            if not isinstance(declaration, ToolDeclaration):
                continue
            if declaration.name in found:
                raise ValueError(f"two tools are named {declaration.name!r} ({package_name}.{info.name})")
            found[declaration.name] = declaration
    return list(found.values())


def _first_paragraph(docstring: str | None) -> str:
    paragraph = inspect.cleandoc(docstring or "").split("\n\n", 1)[0]
    if not paragraph:
        raise ValueError("a tool function needs a docstring: its first paragraph describes the tool")
    return " ".join(paragraph.split())


def keyword_runner(function: Callable[..., ToolResult]) -> Callable[[ToolContext, Any], ToolResult]:
    """A ``run`` for a tool function written as ``function(ctx, **arguments)``."""

    def run(ctx: ToolContext, args: BaseModel) -> ToolResult:
        return function(ctx, **args.model_dump(exclude_none=True))

    run.__name__ = function.__name__
    return run
