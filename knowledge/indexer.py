"""Indexing documents into the chunk store, incrementally and crash-safely.

Chunk ids derive from content, so an unchanged file writes nothing and a
changed one replaces only the chunks that changed. New chunks are written
before stale ones are deleted: a process killed half-way leaves at worst some
stale chunks that the next index of that file removes, never a hole or a
duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge.embeddings import Embed, embed
from knowledge.loader import DocumentError, load_chunks
from knowledge.priority import yield_to_answers
from knowledge.store import ChunkStore
from knowledge.types import Chunk, IndexProgress, IndexReport

# Chunks written per Chroma call (embedded in smaller steps: ``Embedder.embed_background``). A write holds
# up every query of the same Chroma client, and an answer that arrives during one waits for it: 32 chunks
# take about 60 ms (64: 80 ms; the fixed cost of a write is about 45 ms, measured on the shared 2-core
# machine). A crash loses at most one batch's work.
BATCH = 32

Progress = Callable[[IndexProgress], None]


@dataclass(frozen=True)
class ChunkLimits:
    """Caps on what one call may store: chunks per document, and chunks in all of the owner's documents
    (None: no cap). A document over either is refused whole, named in ``IndexReport.errors``."""

    per_document: int | None = None
    per_owner: int | None = None


class _Steps:
    """The one progress count of an index call: a step per file read and per chunk embedded."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.done = 0
        self.total = total

    def report(self, stage: str, source: str, advance: int = 0, grow: int = 0) -> None:
        self.done += advance
        self.total += grow
        if self.progress is not None:
            self.progress(IndexProgress(self.done, self.total, stage, source))


def _position_key(chunk: Chunk, ordinal: int) -> tuple[str, int]:
    return (chunk.section, ordinal)


def _ordinals(chunks: Iterable[Chunk]) -> dict[str, tuple[str, int]]:
    """Each chunk's (section, n-th chunk of that section): how a changed chunk is matched to the one it replaces."""
    counts: dict[str, int] = {}
    keys: dict[str, tuple[str, int]] = {}
    for chunk in sorted(chunks, key=lambda c: (c.page, c.start)):
        n = counts.get(chunk.section, 0)
        counts[chunk.section] = n + 1
        keys[chunk.id] = _position_key(chunk, n)
    return keys


def _where(chunk: Chunk) -> tuple[int, int, int]:
    return (chunk.page, chunk.start, chunk.end)


def _apply(store: ChunkStore, source: str, chunks: list[Chunk], embed: Embed, steps: _Steps) -> IndexReport:
    """Bring the store's chunks of one source in line with ``chunks``: new ones first, stale ones last."""
    report = IndexReport()
    existing = store.chunks_of(source)
    new = [c for c in chunks if c.id not in existing]
    moved = [c for c in chunks if c.id in existing and _where(existing[c.id]) != _where(c)]
    current_ids = {c.id for c in chunks}
    stale = [i for i in existing if i not in current_ids]

    steps.report("embedding", source, advance=len(chunks) - len(new))
    for start in range(0, len(new), BATCH):
        batch = new[start : start + BATCH]
        vectors = embed([f"{c.section}: {c.text}" for c in batch])
        yield_to_answers()  # a write holds up every query of the same Chroma client (45-80 ms)
        store.upsert(batch, vectors)
        steps.report("embedding", source, advance=len(batch))
    store.update_offsets(moved)
    store.delete(stale)

    old_ordinals = _ordinals(existing.values())
    old_positions = {old_ordinals[i] for i in stale}
    new_positions = _ordinals(chunks)
    updated = sum(1 for c in new if new_positions[c.id] in old_positions)
    report.updated = updated
    report.added = len(new) - updated
    report.removed = len(stale) - updated
    report.unchanged = len(chunks) - len(new)
    return report


def index_file(
    store: ChunkStore, path: Path, max_bytes: int, embed: Embed = embed, progress: Progress | None = None
) -> IndexReport:
    """Bring the store's chunks of one file in line with the file."""
    steps = _Steps(progress, total=1)
    steps.report("reading", path.name)
    _, chunks = load_chunks(path, max_bytes, store.owner)
    steps.report("reading", path.name, advance=1, grow=len(chunks))
    return _apply(store, path.name, chunks, embed, steps)


def index_paths(
    store: ChunkStore,
    paths: Iterable[Path],
    max_bytes: int,
    embed: Embed = embed,
    progress: Progress | None = None,
    limits: ChunkLimits | None = None,
) -> IndexReport:
    """Index many files into ``store`` (its owner's documents); a bad file is named in ``errors`` and the
    others are still indexed. A file over ``limits`` is refused before anything of it is embedded.

    Every file is read first, so the one progress count knows all its steps (files and chunks)
    before the long part, embedding, starts; then each file is written in turn.
    """
    paths = [Path(p) for p in paths]
    limits = limits or ChunkLimits()
    total = IndexReport()
    steps = _Steps(progress, total=len(paths))
    loaded: list[tuple[str, list[Chunk]]] = []
    owned = store.count() if limits.per_owner is not None else 0
    for path in paths:
        steps.report("reading", path.name)
        try:
            _, chunks = load_chunks(path, max_bytes, store.owner)
            owned = _within(limits, store, path, chunks, owned)
        except DocumentError as exc:
            total.errors.append(str(exc))
            steps.report("reading", path.name, advance=1)
            continue
        steps.report("reading", path.name, advance=1, grow=len(chunks))
        loaded.append((path.name, chunks))
    for source, chunks in loaded:
        with store.announce_once():  # one generation stamp per file, after its last write
            one = _apply(store, source, chunks, embed, steps)
        total.added += one.added
        total.updated += one.updated
        total.unchanged += one.unchanged
        total.removed += one.removed
    return total


def _within(limits: ChunkLimits, store: ChunkStore, path: Path, chunks: list[Chunk], owned: int) -> int:
    """The owner's chunk count once ``path`` replaces its earlier version; ``DocumentError`` over a limit."""
    if limits.per_document is not None and len(chunks) > limits.per_document:
        raise DocumentError(
            f"{len(chunks):,} chunks is over the limit of {limits.per_document:,} per document; "
            "split it into smaller files",
            path,
        )
    if limits.per_owner is None:
        return owned
    after = owned - store.count_of(path.name) + len(chunks)
    if after > limits.per_owner:
        raise DocumentError(
            f"it would bring your documents to {after:,} chunks; the limit is {limits.per_owner:,} "
            "per user, so forget a document first",
            path,
        )
    return after


def forget_source(store: ChunkStore, source: str) -> int:
    """Drop every chunk of a source; returns how many were removed."""
    ids = list(store.chunks_of(source))
    store.delete(ids)
    return len(ids)
