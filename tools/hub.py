"""hub_lookup: ask the Hugging Face Hub about models, and still answer offline.

Sources are tried in order: the live Hub (``HF_ENDPOINT``, ``HF_TOKEN``, never
when ``HF_HUB_OFFLINE`` is set, a hard deadline of a few seconds), then the
local Hugging Face cache (which also says what can run offline), then the
bundled snapshot. Every answer names its source and how old it is, because a
learner should not mistake a remembered download count for today's.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator

from knowledge.types import Citation
from tools import hub_env
from tools.arguments import hub_args
from tools.base import Artifact, ToolContext, ToolInputError, ToolResult, ToolUnavailable
from tools.deadline import run_with_deadline
from tools.fields import not_blank
from tools.hub_env import human_bytes, human_count
from tools.hub_ids import load_snapshot, resolve_model_id, snapshot_record, suggestions
from tools.hub_notes import relate
from tools.registry import ToolDeclaration

HUB_TIMEOUT_S = 4.0
MAX_COMPARE = 6
MAX_QUERY_CHARS = 100
SEARCH_LIMIT = 10
EXPAND = [
    "author",
    "cardData",
    "downloads",
    "gated",
    "lastModified",
    "library_name",
    "likes",
    "pipeline_tag",
    "safetensors",
    "tags",
]
FIELDS = [
    "pipeline_tag",
    "author",
    "downloads",
    "likes",
    "license",
    "library",
    "parameters",
    "datasets",
    "languages",
    "last_modified",
]


HubQuery = Annotated[
    str, Field(max_length=MAX_QUERY_CHARS), not_blank("give a few words such as 'text to speech'")
]


class HubLookupArgs(BaseModel):
    """Arguments of hub_lookup; give exactly one of model_id, query, compare."""

    model_id: str | None = Field(
        default=None,
        description="One Hugging Face model id or short name to describe, e.g. 'gpt2', 'bark', 'suno/bark'.",
    )
    query: HubQuery | None = Field(
        default=None, description="Free-text search of the Hub, e.g. 'text to speech' or 'stable diffusion'."
    )
    compare: list[str] | None = Field(
        default=None,
        min_length=2,
        max_length=MAX_COMPARE,
        description="Two to six model ids or short names to compare side by side in a table.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> HubLookupArgs:
        given = [name for name in ("model_id", "query", "compare") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of model_id, query, compare; got {', '.join(given) or 'none'}"
            )
        return self


class HubTimeout(TimeoutError):
    """The live Hub did not answer before the deadline."""


class NoSuchModel(ToolInputError):
    """The live Hub answered 404 for this id."""


# --------------------------------------------------------------------------- live Hub


def _api() -> Any:
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub_env.endpoint(), token=hub_env.token())


def _with_deadline(fn: Any, seconds: float) -> Any:
    """``fn()``, given up after ``seconds``: a stalled server never hangs us."""
    return run_with_deadline(
        fn,
        seconds,
        lambda: HubTimeout(f"the Hub at {hub_env.endpoint()} did not answer within {seconds:g} s"),
    )


def _is_timeout(exc: BaseException) -> bool:
    return any("Timeout" in cls.__name__ for cls in type(exc).__mro__)


def _is_not_found(exc: BaseException) -> bool:
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    if isinstance(exc, GatedRepoError):
        return False
    if isinstance(exc, RepositoryNotFoundError):
        return True
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None) == 404


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _from_model_info(info: Any) -> dict[str, Any]:
    card = info.card_data.to_dict() if info.card_data is not None else {}
    tags = info.tags or []
    license_ = card.get("license") or next(
        (t.split(":", 1)[1] for t in tags if t.startswith("license:")), None
    )
    datasets = _as_list(card.get("datasets")) or [
        t.split(":", 1)[1] for t in tags if t.startswith("dataset:")
    ]
    safetensors = info.safetensors
    modified = info.last_modified
    return {
        "id": info.id,
        "pipeline_tag": info.pipeline_tag,
        "author": info.author or (info.id.split("/")[0] if "/" in info.id else None),
        "downloads": info.downloads,
        "likes": info.likes,
        "license": license_,
        "library": info.library_name,
        "parameters": safetensors.total if safetensors else None,
        "datasets": datasets,
        "languages": _as_list(card.get("language")),
        "last_modified": modified.date().isoformat() if modified else None,
        "gated": bool(info.gated),
    }


def _live_info(model_id: str, timeout: float) -> dict[str, Any]:
    api = _api()
    info = _with_deadline(lambda: api.model_info(model_id, expand=EXPAND, timeout=timeout), timeout)
    return _from_model_info(info)


def _live_search(query: str, timeout: float) -> list[dict[str, Any]]:
    api = _api()

    def fetch() -> list[Any]:
        return list(api.list_models(search=query, sort="downloads", limit=SEARCH_LIMIT, expand=EXPAND))

    return [_from_model_info(info) for info in _with_deadline(fetch, timeout)]


# --------------------------------------------------------------------------- local cache


def _cached_repos() -> dict[str, Any]:
    """Model repos in the local HF cache by lowercase id (scanned once, again only when it changes)."""
    return hub_env.cached_repos()


def _safetensors_parameters(folder: Path) -> int | None:
    """Parameter count from the safetensors headers (8-byte length + JSON), without loading weights."""
    total = 0
    found = False
    for path in folder.rglob("*.safetensors"):
        with path.open("rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            header = json.loads(handle.read(size))
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            count = 1
            for dim in entry["shape"]:
                count *= dim
            total += count
            found = True
    return total if found else None


def _cache_info(repo: Any) -> dict[str, Any]:
    revisions = sorted(repo.revisions, key=lambda r: r.last_modified, reverse=True)
    folder = revisions[0].snapshot_path if revisions else repo.repo_path
    return {
        "id": repo.repo_id,
        "parameters": _safetensors_parameters(folder),
        "size_on_disk": repo.size_on_disk,
        "path": str(folder),
        "cached_at": datetime.fromtimestamp(repo.last_modified, UTC).isoformat(timespec="seconds"),
    }


# --------------------------------------------------------------------------- snapshot


def _snapshot_info(record: dict[str, Any]) -> dict[str, Any]:
    facts = {key: record.get(key) for key in ["id", *FIELDS, "gated"]}
    facts["note"] = record.get("note")
    return facts


def _age_days(iso_day: str) -> int:
    return (date.today() - date.fromisoformat(iso_day[:10])).days


# --------------------------------------------------------------------------- one model


def _lookup_one(name: str, state: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Facts about one model plus where they came from; ``state`` carries "live failed" across a compare."""
    resolution = resolve_model_id(name)
    model_id = resolution.id
    record = snapshot_record(model_id)
    cached = _cached_repos().get(model_id.lower())
    result: dict[str, Any] = {"asked": name, "resolved": resolution.how, "fallback_reason": None}

    if hub_env.offline():
        state["live_error"] = "HF_HUB_OFFLINE is set"
    if "live_error" not in state:
        try:
            facts = _live_info(model_id, timeout)
            result.update(source="live", as_of=datetime.now(UTC).isoformat(timespec="seconds"), age_days=0)
            return _finish(result, facts, record, cached)
        except Exception as exc:
            if _is_not_found(exc):
                hint = suggestions(name)
                maybe = f"; did you mean {', '.join(hint)}?" if hint else ""
                raise NoSuchModel(
                    f"no such model on the Hub ({hub_env.endpoint()}): {model_id!r}{maybe}"
                ) from exc
            reason = (
                f"the Hub did not answer within {timeout:g} s"
                if _is_timeout(exc)
                else f"{type(exc).__name__}: {exc}"
            )
            state["live_error"] = reason.splitlines()[0][:200]
    result["fallback_reason"] = state["live_error"]

    if cached is not None:
        local = _cache_info(cached)
        facts = _snapshot_info(record) if record else {"id": cached.repo_id}
        facts["parameters"] = local["parameters"] or facts.get("parameters")
        result.update(source="cache", as_of=local["cached_at"], age_days=_age_days(local["cached_at"]))
        if record:
            result["snapshot_date"] = record["snapshot_date"]
        return _finish(result, facts, record, cached)
    if record is not None:
        result.update(
            source="snapshot", as_of=record["snapshot_date"], age_days=_age_days(record["snapshot_date"])
        )
        return _finish(result, _snapshot_info(record), record, cached)
    hint = suggestions(name)
    maybe = f" Known names that look alike: {', '.join(hint)}." if hint else ""
    raise ToolUnavailable(
        f"{model_id!r} is neither in the local cache nor in the bundled snapshot, and the live Hub "
        f"could not be asked ({state['live_error']}).{maybe}"
    )


def _finish(
    result: dict[str, Any], facts: dict[str, Any], record: dict[str, Any] | None, cached: Any
) -> dict[str, Any]:
    facts = dict(facts)
    facts["notes_bullet"] = record.get("notes_bullet") if record else None
    facts["runnable_offline"] = cached is not None
    if cached is not None:
        facts["cache_path"] = str(cached.repo_path)
        facts["size_on_disk"] = cached.size_on_disk
    elif record is not None:
        facts["download_bytes"] = record.get("download_bytes")
    result["facts"] = facts
    return result


def _source_line(found: dict[str, Any]) -> str:
    source = found["source"]
    if source == "live":
        text = f"source: live Hub ({hub_env.endpoint()}), fetched just now"
    elif source == "cache":
        text = f"source: local Hugging Face cache (downloaded {found['as_of'][:10]}, {found['age_days']} days ago)"
        if found.get("snapshot_date"):
            text += f"; other fields from the bundled snapshot dated {found['snapshot_date']}"
    else:
        text = f"source: bundled snapshot dated {found['as_of']} ({found['age_days']} days old; numbers approximate)"
    if found.get("fallback_reason"):
        text += f" — live Hub not used: {found['fallback_reason']}"
    return text


def _offline_line(facts: dict[str, Any]) -> str:
    if facts.get("runnable_offline"):
        return f"runnable offline: yes, in the local cache ({human_bytes(facts.get('size_on_disk'))})"
    size = human_bytes(facts.get("download_bytes"))
    return f"runnable offline: no — fetch with `hf download {facts['id']}` ({size})"


def _describe(found: dict[str, Any]) -> tuple[str, list[Citation]]:
    facts = found["facts"]
    lines = [f"**{facts['id']}**"]
    if found["resolved"] in ("alias", "fuzzy"):
        lines[0] += f" (you asked for {found['asked']!r}; resolved by {found['resolved']} match)"
    lines.append(_source_line(found))
    lines.append(
        f"- task: {facts.get('pipeline_tag') or 'unknown'} · library: {facts.get('library') or 'unknown'} "
        f"· license: {facts.get('license') or 'unknown'}{' · gated' if facts.get('gated') else ''}"
    )
    lines.append(
        f"- author: {facts.get('author') or 'unknown'} · downloads (30 days): {human_count(facts.get('downloads'))} "
        f"· likes: {human_count(facts.get('likes'))}"
    )
    lines.append(
        f"- parameters: {human_count(facts.get('parameters'))} · last modified: {facts.get('last_modified') or 'unknown'}"
    )
    lines.append(
        f"- datasets: {', '.join(facts.get('datasets') or []) or 'not stated'} "
        f"· languages: {', '.join(facts.get('languages') or []) or 'not stated'}"
    )
    lines.append(f"- {_offline_line(facts)}")
    if facts.get("note"):
        lines.append(f"- note: {facts['note']}")
    related, citations = relate(facts)
    if related:
        lines.append(f"What the notes say ({facts['notes_bullet']} bullet):")
        lines.extend(f"- {line}" for line in related)
    return "\n".join(lines), citations


# --------------------------------------------------------------------------- search and compare


def _offline_search(query: str) -> list[dict[str, Any]]:
    """Rank snapshot and cached models by how many query words they mention."""
    import difflib

    words = [w for w in query.lower().replace("-", " ").split() if w]
    records = {r["id"].lower(): r for r in load_snapshot()["models"]}
    for key, repo in _cached_repos().items():
        records.setdefault(key, {"id": repo.repo_id, "aliases": []})
    scored: list[tuple[float, int, dict[str, Any]]] = []
    for record in records.values():
        hay = " ".join(
            [
                record["id"],
                *record.get("aliases", []),
                record.get("pipeline_tag") or "",
                record.get("author") or "",
            ]
        ).lower()
        flat = hay.replace("-", " ")
        hits = sum(1 for w in words if w in flat)
        fuzzy = max(
            (difflib.SequenceMatcher(None, query.lower(), part).ratio() for part in hay.split()), default=0
        )
        score = hits + (fuzzy if fuzzy >= 0.6 else 0)
        if score > 0:
            scored.append((score, record.get("downloads") or 0, record))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [
        _snapshot_info(r) if "pipeline_tag" in r else {"id": r["id"]} for _, _, r in scored[:SEARCH_LIMIT]
    ]


def _search(query: str, timeout: float) -> ToolResult:
    text = query.strip()
    reason = "HF_HUB_OFFLINE is set" if hub_env.offline() else None
    if reason is None:
        try:
            hits = _live_search(text, timeout)
            source, as_of = "live", datetime.now(UTC).isoformat(timespec="seconds")
        except Exception as exc:
            reason = (
                f"the Hub did not answer within {timeout:g} s" if _is_timeout(exc) else type(exc).__name__
            )
    if reason is not None:
        hits = _offline_search(text)
        source, as_of = "snapshot", load_snapshot()["snapshot_date"]
    cached = _cached_repos()
    for hit in hits:
        hit["runnable_offline"] = hit["id"].lower() in cached
    head = f"Hub search for {text!r}: {len(hits)} models, " + (
        f"source: live Hub ({hub_env.endpoint()}), fetched just now"
        if source == "live"
        else f"source: bundled snapshot dated {as_of} plus the local cache — live Hub not used: {reason}"
    )
    rows = [
        f"- {h['id']} · {h.get('pipeline_tag') or '?'} · downloads {human_count(h.get('downloads'))} "
        f"· likes {human_count(h.get('likes'))}{' · runnable offline' if h['runnable_offline'] else ''}"
        for h in hits
    ]
    if not rows:
        rows = ["- nothing matched; try a task ('text generation') or a family name ('llama')"]
    data = {
        "mode": "search",
        "query": text,
        "source": source,
        "as_of": as_of,
        "fallback_reason": reason,
        "results": hits,
    }
    return ToolResult(text="\n".join([head, *rows]), data=data)


def _table(found: list[dict[str, Any]]) -> str:
    def cell(facts: dict[str, Any], key: str) -> str:
        value = facts.get(key)
        if key in ("downloads", "likes", "parameters"):
            return human_count(value)
        if isinstance(value, list):
            return ", ".join(value) or "—"
        return str(value) if value not in (None, "") else "—"

    head = "| field | " + " | ".join(f["facts"]["id"] for f in found) + " |"
    rule = "|---" * (len(found) + 1) + "|"
    rows = [f"| {key} | " + " | ".join(cell(f["facts"], key) for f in found) + " |" for key in FIELDS]
    rows.append(
        "| runnable offline | "
        + " | ".join("yes" if f["facts"]["runnable_offline"] else "no" for f in found)
        + " |"
    )
    rows.append("| source | " + " | ".join(f"{f['source']} ({f['as_of'][:10]})" for f in found) + " |")
    return "\n".join([head, rule, *rows]) + "\n"


def _compare(ctx: ToolContext, names: list[str], timeout: float) -> ToolResult:
    for name in names:  # refuse a bad id before any request is made
        resolve_model_id(name)
    state: dict[str, Any] = {}
    found = [_lookup_one(name, state, timeout) for name in names]
    table = _table(found)
    path = ctx.artifact_path("hub-compare", ".md")
    path.write_text(table, encoding="utf-8")
    citations: list[Citation] = []
    notes_lines: list[str] = []
    for item in found:
        related, cites = relate(item["facts"])
        if related:
            notes_lines.append(f"- {item['facts']['id']}: {' '.join(related)}")
        citations.extend(c for c in cites[:1] if c not in citations)
    sources = sorted({f"{f['source']} ({f['as_of'][:10]})" for f in found})
    text = f"Comparison of {len(found)} models — sources: {', '.join(sources)}"
    if state.get("live_error"):
        text += f"; live Hub not used: {state['live_error']}"
    text += "\n\n" + table
    if notes_lines:
        text += "\nWhat the notes say:\n" + "\n".join(notes_lines)
    data = {"mode": "compare", "models": found, "table": table}
    artifact = Artifact(
        kind="table", path=path, caption=f"Hub comparison: {', '.join(f['facts']['id'] for f in found)}"
    )
    return ToolResult(text=text, artifacts=[artifact], citations=citations, data=data)


# --------------------------------------------------------------------------- the tool


def hub_lookup(
    ctx: ToolContext,
    model_id: str | None = None,
    query: str | None = None,
    compare: list[str] | None = None,
    *,
    timeout: float = HUB_TIMEOUT_S,
) -> ToolResult:
    """Look models up on the Hugging Face Hub: info for one id, a free-text search, or a comparison."""
    started = time.perf_counter()
    if query:
        result = _search(query, timeout)
    elif compare:
        result = _compare(ctx, list(compare), timeout)
    else:
        found = _lookup_one(str(model_id), {}, timeout)
        text, citations = _describe(found)
        result = ToolResult(text=text, citations=citations, data={"mode": "info", **found})
    result.data["seconds"] = time.perf_counter() - started
    return result


TOOL = ToolDeclaration.of(hub_lookup, HubLookupArgs, hub_args, "Look it up on the Hugging Face Hub")
