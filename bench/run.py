"""`python -m bench.run` (`make bench`): measure every target and write BENCHMARKS.md.

Each figure runs on its own; one that fails becomes an error row, so a broken
sub-benchmark never hides the others. Benchmarks written by other parts of the
project (bench/bench_*.py) are picked up when present.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import figures
from bench.figures import Context, Row

__all__ = ["FIGURES", "OPTIONAL", "main"]

COMMAND = "python -m bench.run"


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    seconds: float = 0.0
    extra: str = ""  # Markdown shown under the table (a plot)

    @property
    def command(self) -> str:
        return f"`{COMMAND} --only {self.key}`"


# key -> (title, function); the order is the run order: peak RSS comes before the 10,000-chunk index
FIGURES: dict[str, tuple[str, Callable[[Context], list[Row]]]] = {
    "cold_start": ("Cold start to first answer", figures.cold_start),
    "grounded_latency": ("Grounded answer latency", figures.grounded_latency),
    "section_cited": ("Right section cited", figures.section_cited),
    "out_of_scope": ("Out-of-scope recognition", figures.out_of_scope),
    "retrieval_quality": ("Retrieval quality on the QA set", figures.retrieval_quality),
    "tool_latency": ("Per-tool latency through the agent", figures.tool_latency),
    "peak_rss": ("Peak memory", figures.peak_rss),
    "indexing": ("Indexing throughput and re-indexing an unchanged corpus", figures.indexing),
    "retrieval_scale": ("Retrieval latency on a synthetic corpus", figures.retrieval_scale),
    "dialogue_suite": ("Scripted dialogue suite", figures.dialogue_suite),
}
# key -> (title, module) of benchmarks other parts of the project contribute
OPTIONAL: dict[str, tuple[str, str]] = {
    "demos": ("Concept demos", "bench.bench_demos"),
    "hub_generation": ("Hub lookups and generation", "bench.bench_hub_generation"),
    "writing": ("Writing that reads well", "bench.bench_writing"),
    "backends": ("Chat backends", "bench.bench_backends"),
    "drift": ("Adapting to a drifting user", "bench.bench_drift"),
    "load": ("Many users at once", "bench.bench_load"),
    "replicas": ("Several replicas, one state", "bench.bench_replicas"),
    "voice": ("Offline voice", "bench.bench_voice"),
    "documents": ("Documents: PDF, HTML and Markdown", "bench.bench_documents"),
}


def _discover() -> None:
    """Any other bench/bench_*.py with a run() joins the suite under its own name."""
    known = {module for _, module in OPTIONAL.values()}
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        module = f"bench.{path.stem}"
        if module not in known:
            key = path.stem.removeprefix("bench_")
            OPTIONAL[key] = (key.replace("_", " ").capitalize(), module)


def _error_row(name: str, exc: BaseException) -> Row:
    last = traceback.format_exception(exc)[-1].strip()
    return Row(name, None, error=last[:500])


def _run_figure(key: str, ctx: Context) -> Section:
    title, func = FIGURES[key]
    section = Section(key, title)
    started = time.perf_counter()
    try:
        section.rows = func(ctx)
    except Exception as exc:  # one broken figure must not hide the others
        section.rows = [_error_row(title, exc)]
    section.seconds = time.perf_counter() - started
    return section


def _optional_rows(result: Any) -> list[Row]:
    """Rows from a contributed benchmark: {name, seconds, note} or {name, value, unit, note} dicts."""
    items = result if isinstance(result, list) else [result]
    rows: list[Row] = []
    for item in items:
        if isinstance(item, Row):
            rows.append(item)
        elif isinstance(item, dict) and "name" in item:
            value = item.get("value", item.get("seconds"))
            unit = item.get("unit", "s" if "seconds" in item and "value" not in item else "")
            rows.append(
                Row(
                    str(item["name"]),
                    value
                    if value is None or (isinstance(value, int | float | str) and not isinstance(value, bool))
                    else str(value),
                    str(unit or ""),
                    str(item.get("target", "")),
                    item.get("met"),
                    str(item.get("note", "")),
                    item.get("error"),
                )
            )
    return rows


def _dict_section(result: dict[str, Any], out_dir: Path) -> tuple[list[Row], str]:
    """A contributed benchmark that returns a dict: scalars become rows, PNG paths become pictures."""
    rows: list[Row] = []
    pictures: list[str] = []
    if isinstance(result.get("rows"), list):
        rows.extend(_optional_rows(result["rows"]))
    for key, value in result.items():
        if key == "rows":
            continue
        if isinstance(value, str | Path) and str(value).lower().endswith(".png"):
            path = Path(value)
            with contextlib.suppress(ValueError):
                path = Path(os.path.relpath(path.resolve(), out_dir.resolve()))
            pictures.append(f"![{key}]({path.as_posix()})")
        elif isinstance(value, int | float | str) and not isinstance(value, bool):
            rows.append(Row(key, value))
        elif isinstance(value, bool):
            rows.append(Row(key, str(value).lower()))
    return rows, "\n\n".join(pictures)


def _run_optional(key: str, ctx: Context) -> Section | None:
    title, module_name = OPTIONAL[key]
    section = Section(key, title)
    started = time.perf_counter()
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None  # not contributed (yet)
        section.rows = [_error_row(title, exc)]
        return section
    try:
        run = module.run
        params = inspect.signature(run).parameters
        kwargs: dict[str, Any] = {}
        if "quick" in params:
            kwargs["quick"] = ctx.quick
        if "out_dir" in params:
            kwargs["out_dir"] = ctx.out_dir
        if "seconds" in params and ctx.quick:
            kwargs["seconds"] = 10.0
        result = run(**kwargs)
        if isinstance(result, dict) and "name" not in result:
            section.rows, section.extra = _dict_section(result, ctx.out_dir)
        else:
            section.rows = _optional_rows(result)
    except Exception as exc:
        section.rows = [_error_row(title, exc)]
    section.seconds = time.perf_counter() - started
    return section


# --- Markdown -----------------------------------------------------------------------------------------


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _mark(row: Row) -> str:
    if row.error is not None:
        return "error"
    return {True: "met", False: "**missed**", None: ""}[row.met]


def _machine() -> str:
    cores = os.cpu_count()
    with contextlib.suppress(AttributeError):
        cores = len(os.sched_getaffinity(0))
    load = f", load average {os.getloadavg()[0]:.1f} at the end" if hasattr(os, "getloadavg") else ""
    return (
        f"{platform.system()} {platform.machine()}, {cores} cores, Python {platform.python_version()}{load}"
    )


def render(sections: Sequence[Section], quick: bool, seconds: float) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{COMMAND}{' --quick' if quick else ''}` (`make bench` in a checkout) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {_machine()}, in {seconds:.0f} s.",
        "Every figure names the command that reproduces it on its own. Rows marked **missed** are below target.",
        "",
        "## Targets",
        "",
        "| figure | value | target | status |",
        "|---|---|---|---|",
    ]
    for section in sections:
        for row in section.rows:
            if row.target or row.error is not None:
                lines.append(
                    f"| {_cell(row.name)} | {_cell(row.shown())} | {_cell(row.target)} | {_mark(row)} |"
                )
    for section in sections:
        lines += [
            "",
            f"## {section.title}",
            "",
            f"Command: {section.command} · took {section.seconds:.1f} s",
            "",
        ]
        lines += ["| figure | value | target | status | note |", "|---|---|---|---|---|"]
        for row in section.rows:
            note = row.error if row.error is not None else row.note
            lines.append(
                f"| {_cell(row.name)} | {_cell(row.shown())} | {_cell(row.target)} | {_mark(row)} | {_cell(note)} |"
            )
        if section.extra:
            lines += ["", section.extra]
    return "\n".join(lines) + "\n"


def main(
    out: Path | None = Path("BENCHMARKS.md"),
    quick: bool = False,
    only: Sequence[str] | None = None,
    llm: str | None = None,
) -> list[Section]:
    """Run the figures (all, or ``only`` these keys) and write the report to ``out``."""
    _discover()
    keys = list(FIGURES) + list(OPTIONAL)
    unknown = [k for k in only or [] if k not in keys]
    if unknown:
        raise SystemExit(f"unknown figure(s) {', '.join(unknown)}; choose from: {', '.join(keys)}")
    chosen = [k for k in keys if not only or k in only]
    out_dir = (Path(out).parent if out else Path.cwd()).resolve()
    work = Path(tempfile.mkdtemp(prefix="attentive-bench-"))
    ctx = Context(quick=quick, work=work, out_dir=out_dir, llm=llm)
    sections: list[Section] = []
    started = time.perf_counter()
    from agent.cli.progress import progress_bar

    try:
        with progress_bar("bench", total=len(chosen)) as bar:  # on stderr; a figure's lines print above it
            for key in chosen:
                bar.update(description=f"bench: {key}")
                print(f"bench: {key} ...", file=sys.stderr, flush=True)
                section = _run_figure(key, ctx) if key in FIGURES else _run_optional(key, ctx)
                if section is not None:
                    sections.append(section)
                    for row in section.rows:
                        print(
                            f"  {row.name}: {row.shown()} {_mark(row)} {row.error or ''}",
                            file=sys.stderr,
                            flush=True,
                        )
                bar.advance(1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = render(sections, quick, time.perf_counter() - started)
    if out is None:
        print(text)
    else:
        Path(out).write_text(text, encoding="utf-8")
        print(f"bench: wrote {out}", file=sys.stderr)
    return sections


def _cli(argv: Sequence[str] | None = None) -> None:
    _discover()
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__)
    parser.add_argument(
        "--out", type=Path, default=None, help="report file (default BENCHMARKS.md; stdout with --only)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller corpora and fewer questions")
    parser.add_argument(
        "--only", action="append", help=f"run only this figure; one of {', '.join([*FIGURES, *OPTIONAL])}"
    )
    parser.add_argument("--llm", default=None, help="chat backend spec for the agent")
    args = parser.parse_args(argv)
    out = args.out if args.out is not None else (None if args.only else Path("BENCHMARKS.md"))
    main(out=out, quick=args.quick, only=args.only, llm=args.llm)


if __name__ == "__main__":
    _cli()
