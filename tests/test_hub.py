"""hub_lookup against a real HTTP server on 127.0.0.1, a real HF cache layout, and the snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.recorded_hub import HubServer, hub_server_fixture, put_in_cache
from tools import hub_env
from tools.base import ToolContext, ToolInputError, ToolUnavailable
from tools.hub import TOOL, HubLookupArgs, NoSuchModel, hub_lookup
from tools.hub_ids import check_model_id, load_snapshot, resolve_model_id, snapshot_record
from tools.notes_refs import notes_text


@pytest.fixture(scope="module")
def hub() -> Iterator[HubServer]:
    yield from hub_server_fixture()


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(home=tmp_path / "home")


@pytest.fixture
def online(hub: HubServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> HubServer:
    """Point the real HfApi at the local server, with an empty cache."""
    import huggingface_hub.constants

    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    hub.requests.clear()
    hub.stall.clear()
    hub.release.clear()
    return hub


@pytest.fixture
def offline(hub: HubServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """HF_HUB_OFFLINE=1 with a cache holding one model (a small safetensors file of 1,234 parameters)."""
    import numpy as np
    from safetensors.numpy import save_file

    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    source = tmp_path / "gpt2-files"
    source.mkdir()
    (source / "config.json").write_text('{"model_type": "gpt2"}')
    save_file(
        {"a": np.zeros((30, 40), np.float32), "b": np.zeros(34, np.float32)},
        str(source / "model.safetensors"),
    )
    put_in_cache(cache, "openai-community/gpt2", source)
    hub.requests.clear()
    return cache


# --------------------------------------------------------------------------- ids


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bark", "suno/bark"),
        ("gpt-neo", "EleutherAI/gpt-neo-125m"),
        ("gpt2", "openai-community/gpt2"),
        ("stable-diffusion-v1-5", "stable-diffusion-v1-5/stable-diffusion-v1-5"),
        ("llama-2-7b", "meta-llama/Llama-2-7b-hf"),
        ("runwayml/stable-diffusion-v1-5", "stable-diffusion-v1-5/stable-diffusion-v1-5"),
        ("bark small", "suno/bark-small"),
        ("GPT2", "openai-community/gpt2"),
        ("stabel-difusion-v1-5", "stable-diffusion-v1-5/stable-diffusion-v1-5"),
        ("smollm2", "HuggingFaceTB/SmolLM2-135M-Instruct"),
    ],
)
def test_short_and_misspelt_names_resolve_to_the_notes_models(name: str, expected: str) -> None:
    assert resolve_model_id(name).id == expected


def test_unknown_well_formed_ids_pass_through_for_the_live_hub() -> None:
    resolution = resolve_model_id("someone/brand-new-model")
    assert (resolution.id, resolution.how) == ("someone/brand-new-model", "as-is")


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("../etc/passwd", "file paths"),
        ("/tmp/model", "file paths"),
        ("https://huggingface.co/gpt2", "URL"),
        ("http://example.com/x", "URL"),
        ("www.example.com", "URL"),
        ("x" * 97, "97 characters, the most is 96"),
        ("", "empty"),
        # The Hub's own rule (huggingface_hub.utils.validate_repo_id) refuses these:
        ("foo--bar", "not a valid model id: 'foo--bar'"),
        ("org/x.git", "not a valid model id: 'org/x.git'"),
        ("a/b/c", "not a valid model id: 'a/b/c'"),
        ("..", "not a valid model id: '..'"),
        ("gpt2; rm -rf", "not a valid model id"),
        ("-leading-dash", "not a valid model id"),
        ("trailing.", "not a valid model id"),
    ],
)
def test_bad_ids_are_refused_with_the_rule(bad: str, reason: str) -> None:
    with pytest.raises(ToolInputError, match="model id") as info:
        check_model_id(bad)
    message = str(info.value)
    assert reason in message
    # Every refusal says what is allowed, including the rules the Hub adds to the character set.
    assert "NAME or OWNER/NAME" in message and "'--'" in message and "'.git'" in message


def test_ids_that_passed_before_but_fail_at_the_hub_are_refused_before_any_fetch(
    online: HubServer, ctx: ToolContext
) -> None:
    for bad in ("foo--bar", "org/x.git"):
        with pytest.raises(ToolInputError, match="not a valid model id"):
            hub_lookup(ctx, model_id=bad)
    assert online.requests == []


@pytest.mark.parametrize(
    "good",
    ["gpt2", "suno/bark", "EleutherAI/gpt-neo-1.3B", "openai-community/gpt2", "a_b.c-d/E_f.1", "x" * 96],
)
def test_valid_ids_pass_unchanged(good: str) -> None:
    assert check_model_id(good) == good
    assert check_model_id(f"  {good}\n") == good


def test_snapshot_covers_the_notes_models_and_is_dated() -> None:
    snapshot = load_snapshot()
    assert snapshot["snapshot_date"] and "pprox" in snapshot["note"]
    assert len(snapshot["models"]) >= 25
    for model_id in [
        "openai-community/gpt2",
        "EleutherAI/gpt-neo-125m",
        "stable-diffusion-v1-5/stable-diffusion-v1-5",
        "meta-llama/Llama-2-7b-hf",
        "suno/bark",
        "suno/bark-small",
    ]:
        record = snapshot_record(model_id)
        assert record is not None and record["notes_bullet"] and record["parameters"] > 0
        assert record["snapshot_date"] == snapshot["snapshot_date"]


# --------------------------------------------------------------------------- live (local server)


@pytest.mark.slow
def test_info_comes_from_the_live_server_and_is_related_to_the_notes(
    online: HubServer, ctx: ToolContext
) -> None:
    result = hub_lookup(ctx, model_id="gpt2")
    facts = result.data["facts"]
    assert result.data["source"] == "live"
    assert facts["downloads"] == 12_345_678  # the server's number, not the snapshot's
    assert facts["parameters"] == 137_022_720
    assert (facts["license"], facts["datasets"], facts["languages"]) == ("mit", ["openwebtext"], ["en"])
    request = online.requests[-1]
    assert request["path"] == "/api/models/openai-community/gpt2"
    assert {"safetensors", "cardData", "downloads"} <= set(request["query"]["expand"])
    assert "live Hub" in result.text and online.url in result.text
    # The notes list 117M as GPT-2's smallest size: the reply says how far the Hub's count is.
    assert "117M" in result.text and "+17%" in result.text
    text = notes_text()
    assert result.citations and all(text[c.start : c.end] == c.quote for c in result.citations)
    assert any("GPT-2" in c.quote for c in result.citations)
    assert result.citations[0].section.endswith("Explore Hugging Face Model Hub")


@pytest.mark.slow
def test_token_from_the_environment_is_sent(
    online: HubServer, ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_testtoken")
    hub_lookup(ctx, model_id="suno/bark")
    assert online.requests[-1]["authorization"] == "Bearer hf_testtoken"


@pytest.mark.slow
def test_search_asks_the_server_and_lists_its_answers(online: HubServer, ctx: ToolContext) -> None:
    result = hub_lookup(ctx, query="bark")
    assert result.data["source"] == "live"
    assert [hit["id"] for hit in result.data["results"]] == ["suno/bark", "suno/bark-small"]
    assert online.requests[-1]["query"]["search"] == ["bark"]
    assert result.text.index("suno/bark ") < result.text.index("suno/bark-small")


@pytest.mark.slow
def test_compare_writes_a_table_with_one_column_per_model(online: HubServer, ctx: ToolContext) -> None:
    result = hub_lookup(ctx, compare=["gpt2", "bark"])
    (artifact,) = result.artifacts
    assert artifact.kind == "table" and artifact.path.is_file()
    lines = artifact.path.read_text().splitlines()
    assert lines[0] == "| field | openai-community/gpt2 | suno/bark |"
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[1:] for line in lines[2:]}
    assert rows["pipeline_tag"][:2] == ["text-generation", "text-to-speech |"]
    assert rows["downloads"][0] == "12M"  # 12,345,678 from the server
    assert [m["source"] for m in result.data["models"]] == ["live", "live"]


@pytest.mark.slow
def test_a_404_says_no_such_model(online: HubServer, ctx: ToolContext) -> None:
    with pytest.raises(NoSuchModel, match="no such model.*nobody/nothing-here"):
        hub_lookup(ctx, model_id="nobody/nothing-here")
    assert online.requests[-1]["path"] == "/api/models/nobody/nothing-here"


@pytest.mark.slow
def test_a_stalled_server_times_out_and_the_snapshot_answers(online: HubServer, ctx: ToolContext) -> None:
    online.stall.set()
    try:
        result = hub_lookup(ctx, model_id="gpt2", timeout=0.5)
        search = hub_lookup(ctx, query="speech", timeout=0.5)
    finally:
        online.release.set()
    assert result.data["source"] == "snapshot"
    assert "did not answer within 0.5 s" in result.data["fallback_reason"]
    assert result.data["facts"]["downloads"] == snapshot_record("openai-community/gpt2")["downloads"]
    assert "bundled snapshot dated" in result.text
    assert search.data["source"] == "snapshot"
    assert "suno/bark" in [hit["id"] for hit in search.data["results"]]
    assert len(online.requests) == 2  # each tool call asked the server exactly once


@pytest.mark.slow
def test_compare_stops_asking_a_stalled_server_after_the_first_timeout(
    online: HubServer, ctx: ToolContext
) -> None:
    online.stall.set()
    try:
        result = hub_lookup(ctx, compare=["gpt2", "gpt-neo", "llama-2-7b"], timeout=0.5)
    finally:
        online.release.set()
    assert [m["source"] for m in result.data["models"]] == ["snapshot"] * 3
    assert len(online.requests) == 1


# --------------------------------------------------------------------------- offline


def test_offline_uses_the_cache_then_the_snapshot_and_never_the_network(
    offline: Path, hub: HubServer, ctx: ToolContext
) -> None:
    cached = hub_lookup(ctx, model_id="gpt2")
    assert cached.data["source"] == "cache"
    assert cached.data["facts"]["runnable_offline"] is True
    assert cached.data["facts"]["parameters"] == 30 * 40 + 34  # read from the cached safetensors header
    assert cached.data["fallback_reason"] == "HF_HUB_OFFLINE is set"
    assert "runnable offline: yes" in cached.text

    remembered = hub_lookup(ctx, model_id="llama-2-7b")
    assert remembered.data["source"] == "snapshot"
    assert remembered.data["facts"]["runnable_offline"] is False
    assert "hf download meta-llama/Llama-2-7b-hf" in remembered.text
    assert remembered.data["age_days"] >= 0
    assert hub.requests == []


def test_offline_search_ranks_the_snapshot(offline: Path, hub: HubServer, ctx: ToolContext) -> None:
    result = hub_lookup(ctx, query="text-to-speech")
    ids = [hit["id"] for hit in result.data["results"]]
    assert {"suno/bark", "suno/bark-small"} <= set(ids[:3])
    assert result.data["source"] == "snapshot" and hub.requests == []


def test_offline_unknown_model_is_unavailable_not_invented(offline: Path, ctx: ToolContext) -> None:
    with pytest.raises(ToolUnavailable, match="neither in the local cache nor in the bundled snapshot"):
        hub_lookup(ctx, model_id="someone/brand-new-model")


def test_the_cache_is_scanned_once_and_again_only_when_a_model_arrives(
    offline: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import huggingface_hub

    real_scan = huggingface_hub.scan_cache_dir
    scans: list[Path] = []

    def counting_scan(folder: Path) -> object:
        scans.append(Path(folder))
        return real_scan(folder)

    monkeypatch.setattr(huggingface_hub, "scan_cache_dir", counting_scan)
    hub_env.forget_cache_scan()

    for _ in range(5):
        assert set(hub_env.cached_repos()) == {"openai-community/gpt2"}
    assert scans == [offline]

    # Another model downloaded (``hf download`` in another terminal): one new scan, then none.
    extra = tmp_path / "bark-files"
    extra.mkdir()
    (extra / "config.json").write_text('{"model_type": "bark"}')
    put_in_cache(offline, "suno/bark", extra)
    for _ in range(3):
        assert set(hub_env.cached_repos()) == {"openai-community/gpt2", "suno/bark"}
    assert len(scans) == 2

    # A new file in a model already cached is seen too.
    more = tmp_path / "gpt2-more"
    more.mkdir()
    (more / "generation_config.json").write_text("{}")
    put_in_cache(offline, "openai-community/gpt2", more)
    assert hub_env.cached_repos()["openai-community/gpt2"].nb_files == 3
    assert hub_env.cached_repos()["openai-community/gpt2"].nb_files == 3
    assert len(scans) == 3

    # A folder that is not there is not scanned at all.
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "no-cache-here"))
    assert hub_env.cached_repos() == {}
    assert len(scans) == 3


def test_bad_id_fetches_nothing(online: HubServer, ctx: ToolContext) -> None:
    with pytest.raises(ToolInputError):
        hub_lookup(ctx, model_id="https://evil.example/model")
    with pytest.raises(ToolInputError):
        hub_lookup(ctx, compare=["gpt2", "../../secrets"])
    assert online.requests == []


def test_exactly_one_mode_is_required(ctx: ToolContext) -> None:
    with pytest.raises(ToolInputError, match="exactly one of model_id, query, compare; got model_id, query"):
        TOOL.call(ctx, {"model_id": "gpt2", "query": "bark"})
    with pytest.raises(ToolInputError, match="exactly one of model_id, query, compare; got none"):
        TOOL.call(ctx, {})
    with pytest.raises(ToolInputError, match=r"compare: must have at least 2 items \(got 1 item\)"):
        TOOL.call(ctx, {"compare": ["gpt2"]})
    with pytest.raises(ToolInputError, match=r"compare: must have at most 6 items \(got 7 items\)"):
        TOOL.call(ctx, {"compare": ["gpt2"] * 7})
    with pytest.raises(ToolInputError, match="query: is empty"):
        TOOL.call(ctx, {"query": "   "})
    with pytest.raises(
        ToolInputError, match=r"query: must have at most 100 characters \(got 101 characters\)"
    ):
        TOOL.call(ctx, {"query": "x" * 101})
    with pytest.raises(ValueError):
        HubLookupArgs()
    with pytest.raises(ValueError):
        HubLookupArgs(compare=["gpt2"])
    assert HubLookupArgs(model_id="bark").model_id == "bark"
