"""Reading an untrusted file in a child process that is killed at a time limit and capped in memory.

A PDF or an HTML page comes from anywhere, and its reader (pypdf, html.parser) is pure Python: a bomb
(thousands of empty pages, objects nested thousands deep, a decompression bomb) can keep it busy or
growing for as long as it likes. A thread with a deadline (``tools.deadline``, which ``knowledge``
does not import) hands control back but cannot stop the work, which would keep a core and the GIL
from the chat server; a child process can be killed, and its memory is capped with ``RLIMIT_AS``.

The child is a fresh interpreter (``python -m knowledge.isolated KIND SECTION``, the file's bytes on
stdin, a JSON ``Document`` on stdout), not a ``multiprocessing`` child: spawn and forkserver children
re-import the caller's main script, which breaks any script that calls ``Agent.index`` without an
``if __name__ == "__main__"`` guard, and fork copies a threaded server. JSON rather than pickle, so
the parent never unpickles what a child that read a hostile file wrote. A one-page file costs
0.09 s for HTML and 0.32 s for a PDF (most of it importing pypdf), median of 5 on the shared 2-core
machine; the 100-page lecture PDF 0.38 s in all (``bench.bench_documents``).

Markdown is not read here: its block parser is linear (5 MB in 1.1 s) and runs in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from knowledge.types import Block, Document, DocumentError

PARSE_SECONDS = 30.0
PARSE_MEMORY_BYTES = 2_000_000_000
KINDS = ("pdf", "html")


def _package_root() -> str:
    return str(Path(__file__).resolve().parent.parent)


def read_isolated(
    kind: str,
    data: bytes,
    default_section: str,
    seconds: float = PARSE_SECONDS,
    memory: int = PARSE_MEMORY_BYTES,
) -> Document:
    """The ``Document`` a reader of ``kind`` ("pdf", "html") makes of ``data``, read in a child process.

    ``DocumentError`` (a reason, no path) when the reader refuses the file, runs past ``seconds``, needs
    more than ``memory`` bytes, or dies.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([_package_root(), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "knowledge.isolated", kind, default_section, str(seconds), str(memory)]
    child = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    try:
        out, err = child.communicate(data, timeout=seconds)  # its start-up (about 0.3 s) included
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise DocumentError(f"reading it took longer than the {seconds:g} s limit") from None
    try:
        answer = json.loads(out)
    except ValueError:
        last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit code {child.returncode}"]
        if child.returncode in (-9, -24, 137):  # killed by RLIMIT_CPU (SIGXCPU) or the kernel
            raise DocumentError(f"reading it took longer than the {seconds:g} s limit") from None
        raise DocumentError(f"its reader stopped without an answer ({last[0][:200]})") from None
    if "refused" in answer:
        raise DocumentError(str(answer["refused"]))
    texts = {int(page): str(text) for page, text in answer["texts"].items()}
    return Document(texts, [Block(str(s), int(a), int(b), int(p)) for s, a, b, p in answer["blocks"]])


def _read(kind: str, data: bytes, default_section: str) -> Document:
    if kind == "pdf":
        from knowledge.pdf import pdf_document

        return pdf_document(data)
    from knowledge.html_page import html_document

    return html_document(data, default_section)


def _answer(kind: str, default_section: str, seconds: float, memory: int, data: bytes) -> dict[str, Any]:
    """What the child prints: the document, or the reason it refuses the file."""
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = int(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    except (ValueError, OSError):  # a platform without these limits still has the parent's timer
        pass
    try:
        document = _read(kind, data, default_section)
    except DocumentError as exc:
        return {"refused": exc.reason}
    except MemoryError:
        return {"refused": f"reading it needs more than the {memory // 1_000_000:,} MB memory limit"}
    except RecursionError:
        return {"refused": "nested too deeply to read"}
    except Exception as exc:  # a reader's bug on odd input is still only this file's problem
        return {"refused": f"could not be read ({type(exc).__name__}: {str(exc)[:200]})"}
    blocks = [[b.section, b.start, b.end, b.page] for b in document.blocks]
    return {"texts": {str(page): text for page, text in document.texts.items()}, "blocks": blocks}


def _main(argv: list[str]) -> None:
    kind, default_section, seconds, memory = argv[0], argv[1], float(argv[2]), int(argv[3])
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the answer
    data = sys.stdin.buffer.read()
    answer = _answer(kind, default_section, seconds, memory, data)
    try:
        encoded = json.dumps(answer).encode("ascii")  # ASCII: lone surrogates from odd PDFs survive
    except MemoryError:
        encoded = json.dumps({"refused": "its text is too large to hand back"}).encode("ascii")
    out.write(encoded)
    out.flush()


if __name__ == "__main__":
    _main(sys.argv[1:])
