"""The Hub models the tools can use, declared once: which tool needs each, how big, gated or not.

The ids are the tools' own (``tools.image.DEFAULT_IMAGE_MODEL``, ``tools.speech.BARK``), sizes and
gating come from the bundled, dated Hub snapshot (``tools/data/hub_snapshot.json``), so neither is
written twice. ``attentive models list|pull|remove`` and the chat page's Download offer read it.
Anything else on the Hub can still be pulled by its id; the catalog only names what the tools
reach for without being told.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache

from tools.hub_ids import resolve_model_id, snapshot_record

GPT2 = "openai-community/gpt2"  # the smallest model the notes name that generate_text can load


@dataclass(frozen=True)
class CatalogModel:
    """One known model: its short name, Hub id, the tool that uses it, and what fetching it costs."""

    name: str
    repo_id: str
    used_by: str
    purpose: str
    size_bytes: int | None
    gated: bool
    marker: str  # the file whose presence in a cached snapshot means the tool can load it

    def to_dict(self) -> dict[str, object]:
        """Everything but ``marker``, which is how the tools check the cache, not what users read."""
        return {key: value for key, value in asdict(self).items() if key != "marker"}


def _known(name: str, repo_id: str, used_by: str, purpose: str, marker: str = "config.json") -> CatalogModel:
    record = snapshot_record(repo_id) or {}
    return CatalogModel(
        name=name,
        repo_id=repo_id,
        used_by=used_by,
        purpose=purpose,
        size_bytes=record.get("download_bytes"),
        gated=bool(record.get("gated")),
        marker=marker,
    )


@cache
def catalog() -> tuple[CatalogModel, ...]:
    """Every known model, in the order ``models list`` shows them (read once per process)."""
    from tools.image import DEFAULT_IMAGE_MODEL, PIPELINE_MARKER
    from tools.speech import BARK

    return (
        _known(
            "stable-diffusion",
            DEFAULT_IMAGE_MODEL,
            "generate_image",
            "Stable Diffusion v1.5, the default image model",
            PIPELINE_MARKER,
        ),
        _known("bark-small", BARK, "generate_audio", "Bark small, the voice when the Piper voice is absent"),
        _known("gpt2", GPT2, "generate_text", "GPT-2 (124M), try it with generate_text model=gpt2"),
    )


def find(name: str) -> CatalogModel | None:
    """The catalog entry ``name`` means (short name, Hub id or a snapshot alias), else None."""
    wanted = name.strip().lower()
    for entry in catalog():
        if wanted in (entry.name, entry.repo_id.lower()):
            return entry
    try:
        resolved = resolve_model_id(name)
    except ValueError:  # not an id at all: the caller says so
        return None
    if resolved.how in ("exact", "alias"):
        return next((e for e in catalog() if e.repo_id.lower() == resolved.id.lower()), None)
    return None
