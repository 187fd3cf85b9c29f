"""Scripted evaluation dialogues: the YAML format, its validation and its loader.

A dialogue file is written by hand, so a mistake in it must be reported the way
a compiler would: the file, the line and the key. pydantic checks the shape;
``yaml.compose`` keeps the node tree so each error can be mapped back to a line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = ["Dialogue", "DialogueError", "Expect", "Feedback", "Turn", "find_dialogue_files", "load_dialogues"]

YAML_SUFFIXES = (".yaml", ".yml")


class DialogueError(ValueError):
    """A dialogue file that cannot be used; the message names the file, the line and the key."""

    def __init__(self, path: Path | str, line: int, key: str, problem: str) -> None:
        self.path = Path(path)
        self.line = line
        self.key = key
        self.problem = problem
        where = f" {key}:" if key else ""
        super().__init__(f"{self.path}:{line}:{where} {problem}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: Any) -> Any:
    """Let authors write one string where a list is expected."""
    return [value] if isinstance(value, str) else value


class Expect(_Strict):
    """What a correct reply to one message must show. Text checks ignore case."""

    tool: str | list[str] | None = Field(
        default=None, description="A tool that must run; a list means any of them."
    )
    all_tools: list[str] | None = Field(default=None, description="Tools that must all run in this turn.")
    cites: str | list[str] | None = Field(
        default=None, description="A substring of some citation's section path; a list means each of them."
    )
    contains_any: list[str] | None = None
    contains_all: list[str] | None = None
    not_contains: list[str] | None = None
    artifact: Literal["image", "audio", "table", "text"] | None = None
    max_words: int | None = Field(default=None, gt=0)
    min_words: int | None = Field(default=None, ge=0)
    max_seconds: float | None = Field(default=None, gt=0)
    no_citations: bool = False
    says_not_covered: bool | None = Field(
        default=None, description="true: the reply says the notes do not cover it; false: it must not say so."
    )
    choices: bool | None = Field(
        default=None,
        description="true: the reply asks a clarifying question with choices; false: it must not.",
    )

    @field_validator("contains_any", "contains_all", "not_contains", "all_tools", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return _as_list(value)


class Feedback(_Strict):
    """Feedback on the previous reply, as a user would give it."""

    score: Literal[1, -1]
    comment: str | None = None
    correction: str | None = None


class Turn(_Strict):
    """One step of a dialogue: a message (``say``), a picked choice, feedback on the last reply, or a restart."""

    say: str | None = None
    choose: int | str | None = Field(
        default=None,
        description="Pick a choice of the previous reply: its number (1 is the first) or its label.",
    )
    expect: Expect | None = None
    feedback: Feedback | None = None
    restart: bool = False
    user: str | None = Field(default=None, description="Speak as another user for this turn.")
    session: str | None = Field(default=None, description="Speak in another session for this turn.")

    @field_validator("choose", mode="before")
    @classmethod
    def _a_choice(cls, value: Any) -> Any:
        """People count choices from 1, and YAML reads ``choose: yes`` as true: both need a plain word."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(f"choose must be a choice's number (1, 2, ...) or its label, got {value!r}")
        if isinstance(value, int) and value < 1:
            raise ValueError(f"choose counts from 1 (the first choice), got {value}")
        if isinstance(value, str) and not value.strip():
            raise ValueError("choose must not be empty: give a choice's number (1, 2, ...) or its label")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Turn:
        kinds = [
            k
            for k, on in (
                ("say", self.say is not None),
                ("choose", self.choose is not None),
                ("feedback", self.feedback),
                ("restart", self.restart),
            )
            if on
        ]
        if len(kinds) != 1:
            found = ", ".join(kinds) or "none"
            raise ValueError(f"a turn needs exactly one of say, choose, feedback, restart (found: {found})")
        if self.expect is not None and self.kind not in ("say", "choose"):
            raise ValueError("expect belongs to a say or choose turn")
        if self.say is not None and not self.say.strip():
            raise ValueError("say must not be empty")
        return self

    @property
    def kind(self) -> str:
        if self.say is not None:
            return "say"
        if self.choose is not None:
            return "choose"
        return "feedback" if self.feedback is not None else "restart"


class Dialogue(_Strict):
    """A named script of turns, run against a fresh data home."""

    name: str = Field(min_length=1)
    user: str = "learner"
    session: str = "eval"
    description: str | None = None
    turns: list[Turn] = Field(min_length=1)
    path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _feedback_follows_a_reply(self) -> Dialogue:
        first = self.turns[0].kind
        if first in ("feedback", "choose"):
            raise ValueError(f"the first turn cannot be {first}: there is no reply yet")
        return self


# --- mapping pydantic errors back to YAML lines -------------------------------------------------------


def _child(node: yaml.Node | None, part: str | int) -> tuple[yaml.Node | None, yaml.Node | None]:
    """The (key node, value node) for one step of an error location."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None, None


def _line_of(root: yaml.Node, loc: Sequence[str | int], extra_key: bool) -> int:
    """The 1-based line of an error: the offending key if it exists, else the closest parent."""
    node: yaml.Node | None = root
    line = root.start_mark.line + 1
    for part in loc:
        key, value = _child(node, part)
        if key is None and value is None:
            break
        target = key if (extra_key and key is not None and part == loc[-1]) else (value or key)
        if target is not None:
            line = target.start_mark.line + 1
        node = value
    return line


def _key_path(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _clean_loc(loc: Sequence[str | int]) -> list[str | int]:
    """Drop pydantic's union-branch labels (``str``, ``list[str]``) from a location."""
    return [p for p in loc if not (isinstance(p, str) and ("[" in p or p in {"str", "int", "bool", "float"}))]


def _first_error(path: Path, root: yaml.Node, error: ValidationError) -> DialogueError:
    details = error.errors()
    detail = details[0]
    loc = _clean_loc(detail["loc"])
    extra = detail["type"] == "extra_forbidden"
    problem = str(detail["msg"]).removeprefix("Value error, ")
    if len({str(d["loc"]) for d in details if _clean_loc(d["loc"]) == loc}) > 1:
        problem = f"wrong type: {problem.lower()} or a list of them"
    if extra:
        model = _model_at(loc[:-1])
        allowed = ", ".join(f for f in model.model_fields if f != "path")
        problem = f"unknown key (allowed: {allowed})"
    elif detail["type"] == "missing":
        problem = "required key is missing"
    others = {tuple(_clean_loc(d["loc"])) for d in details} - {tuple(loc)}
    more = f" ({len(others)} more problem(s) in this file)" if others else ""
    return DialogueError(path, _line_of(root, loc, extra), _key_path(loc), problem + more)


def _model_at(loc: Sequence[str | int]) -> type[BaseModel]:
    model: type[BaseModel] = Dialogue
    for part in loc:
        if part == "turns":
            model = Turn
        elif part == "expect":
            model = Expect
        elif part == "feedback":
            model = Feedback
    return model


def _check_duplicate_keys(path: Path, node: yaml.Node, prefix: str = "") -> None:
    """PyYAML keeps the last of two equal keys silently; a script author wants to hear about it."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            full = f"{prefix}.{name}" if prefix else name
            if name in seen:
                raise DialogueError(path, key.start_mark.line + 1, full, "duplicate key")
            seen.add(name)
            _check_duplicate_keys(path, value, full)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicate_keys(path, item, f"{prefix}[{i}]")


# --- loading ------------------------------------------------------------------------------------------


def _first_alias(root: yaml.Node | None) -> yaml.Node | None:
    """A node reached twice in the composed tree is an alias; visits each node once, so it is linear."""
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
    return None


def load_dialogue_text(text: str, path: Path | str = "<string>") -> Dialogue:
    """Parse and validate one dialogue; every problem becomes a DialogueError."""
    path = Path(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise DialogueError(path, line, "", f"invalid YAML: {problem}") from None
    alias = _first_alias(root)
    if alias is not None:
        # A hand-written dialogue never needs *aliases; nested ones expand exponentially ("billion laughs").
        raise DialogueError(path, alias.start_mark.line + 1, "", "YAML aliases (*name) are not allowed")
    if root is None or not isinstance(data, dict):
        line = root.start_mark.line + 1 if root is not None else 1
        raise DialogueError(path, line, "", "a dialogue must be a mapping with name and turns")
    _check_duplicate_keys(path, root)
    try:
        dialogue = Dialogue.model_validate(data)
    except ValidationError as exc:
        raise _first_error(path, root, exc) from None
    return dialogue.model_copy(update={"path": path})


def load_dialogue(path: Path) -> Dialogue:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DialogueError(path, 1, "", f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise DialogueError(path, 1, "", f"cannot read file ({exc.strerror})") from None
    return load_dialogue_text(text, path)


def find_dialogue_files(paths: Iterable[Path | str]) -> list[Path]:
    """Files as given, folders searched recursively for *.yaml/*.yml, in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise DialogueError(path, 0, "", "no such file or folder")
    return found


def load_dialogues(paths: Iterable[Path | str]) -> list[Dialogue]:
    """Every dialogue under ``paths``; names must be unique so reports can refer to them."""
    paths = list(paths)
    files = find_dialogue_files(paths)
    if not files:
        raise DialogueError(Path(", ".join(str(p) for p in paths) or "."), 0, "", "no dialogue files found")
    dialogues: list[Dialogue] = []
    names: dict[str, Path] = {}
    for file in files:
        dialogue = load_dialogue(file)
        if dialogue.name in names:
            line = _line_of(yaml.compose(file.read_text(encoding="utf-8")), ["name"], extra_key=True)
            raise DialogueError(
                file,
                line,
                "name",
                f"duplicate dialogue name {dialogue.name!r} (also in {names[dialogue.name]})",
            )
        names[dialogue.name] = file
        dialogues.append(dialogue)
    return dialogues
