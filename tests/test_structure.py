"""The code's shape, held: the turn travels explicitly, nothing edits sys.path, the page stays small."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_the_turn_is_passed_explicitly_not_through_context_variables() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in _sources("agent") if "contextvars" in p.read_text("utf-8")]
    assert not offenders


def test_nothing_in_the_agent_edits_sys_path() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in _sources("agent") if "sys.path" in p.read_text("utf-8")]
    assert not offenders


def test_every_function_of_the_chat_page_is_short() -> None:
    lengths = {
        f"{path.name}:{node.name}": node.end_lineno - node.lineno + 1  # type: ignore[operator]
        for path in _sources("agent/ui")
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert max(lengths.values()) < 60, sorted(lengths.items(), key=lambda kv: -kv[1])[:3]


def test_tools_and_knowledge_never_import_the_agent() -> None:
    offenders = []
    for path in _sources("tools") + _sources("knowledge"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n == "agent" or n.startswith("agent.")]
    assert not offenders
