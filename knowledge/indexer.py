"""Indexing documents into the chunk store, incrementally and crash-safely.

Chunk ids derive from content, so an unchanged file writes nothing and a
changed one replaces only the chunks that changed. New chunks are written
before stale ones are deleted: a process killed half-way leaves at worst some
stale chunks that the next index of that file removes, never a hole or a
duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from knowledge.embeddings import Embed, embed
from knowledge.loader import DocumentError, load_chunks
from knowledge.store import ChunkStore
from knowledge.types import Chunk, IndexReport

PROGRESS_MIN_CHUNKS = 64
BATCH = 256


def _position_key(chunk: Chunk, ordinal: int) -> tuple[str, int]:
    return (chunk.section, ordinal)


def _ordinals(chunks: Iterable[Chunk]) -> dict[str, tuple[str, int]]:
    """Each chunk's (section, n-th chunk of that section): how a changed chunk is matched to the one it replaces."""
    counts: dict[str, int] = {}
    keys: dict[str, tuple[str, int]] = {}
    for chunk in sorted(chunks, key=lambda c: c.start):
        n = counts.get(chunk.section, 0)
        counts[chunk.section] = n + 1
        keys[chunk.id] = _position_key(chunk, n)
    return keys


def index_file(store: ChunkStore, path: Path, max_bytes: int, embed: Embed = embed) -> IndexReport:
    """Bring the store's chunks of one file in line with the file."""
    _, chunks = load_chunks(path, max_bytes)
    report = IndexReport()
    existing = store.chunks_of(path.name)
    new = [c for c in chunks if c.id not in existing]
    moved = [
        c
        for c in chunks
        if c.id in existing and (existing[c.id].start, existing[c.id].end) != (c.start, c.end)
    ]
    current_ids = {c.id for c in chunks}
    stale = [i for i in existing if i not in current_ids]

    for start in range(0, len(new), BATCH):
        batch = new[start : start + BATCH]
        vectors = embed([f"{c.section}: {c.text}" for c in batch], progress=len(new) >= PROGRESS_MIN_CHUNKS)
        store.upsert(batch, vectors)
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


def index_paths(
    store: ChunkStore, paths: Iterable[Path], max_bytes: int, embed: Embed = embed
) -> IndexReport:
    """Index many files; a bad file is named in ``errors`` and the others are still indexed."""
    total = IndexReport()
    for path in paths:
        try:
            one = index_file(store, Path(path), max_bytes, embed)
        except DocumentError as exc:
            total.errors.append(str(exc))
            continue
        total.added += one.added
        total.updated += one.updated
        total.unchanged += one.unchanged
        total.removed += one.removed
    return total


def forget_source(store: ChunkStore, source: str) -> int:
    """Drop every chunk of a source; returns how many were removed."""
    ids = list(store.chunks_of(source))
    store.delete(ids)
    return len(ids)
