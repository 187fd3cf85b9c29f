"""``attentive models list|pull|remove`` against the recorded Hub server serving tiny models.

Every command runs as the user runs it: ``python -m agent.cli.main`` in a child process, with
HF_HOME in the test's folder and HF_ENDPOINT on the local server, so huggingface_hub reads its
environment fresh and progress goes to a real stderr.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path

import pytest

from bench.recorded_hub import (
    CHUNK,
    Cut,
    HubServer,
    build_tiny_gpt2,
    hub_server_fixture,
    interrupt_pull,
    pull_env,
    repo_cache,
    serve_model,
)

TINY = "attentive-test/tiny-gpt2"
WIDE = "attentive-test/wide-gpt2"  # a 19 MB weights file: larger than huggingface_hub's 10 MB chunk


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_gpt2(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def wide_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_gpt2(tmp_path_factory.mktemp("wide") / "model", n_embd=256, n_layer=6)


@pytest.fixture
def hub(tiny_folder: Path) -> Iterator[HubServer]:
    for state in hub_server_fixture():
        serve_model(state, TINY, tiny_folder)
        yield state


def _models(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent.cli.main", "models", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_clear_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], proc.stderr  # after any progress bar, one line
    return errors[0]


def test_pull_shows_progress_and_every_file_matches_what_the_server_served(
    hub: HubServer, tiny_folder: Path, tmp_path: Path
) -> None:
    proc = _models(pull_env(tmp_path, hub.url), "pull", TINY, "--json")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"tiny-gpt2 5/5 files .* ([\d.]+)/\1 kB", proc.stderr), proc.stderr  # the bar, on stderr
    result = json.loads(proc.stdout)
    served = hub.repos[TINY]
    assert result["verified"] == result["files"] == len(served.files)
    assert result["downloaded_bytes"] == result["total_bytes"] == sum(len(d) for d in served.files.values())
    snapshot = Path(result["folder"])
    for name, data in served.files.items():
        assert sha256((snapshot / name).read_bytes()).digest() == sha256(data).digest(), name
    # The weights went through the "CDN" host, as LFS files do on the Hub, and are stored by sha256.
    assert hub.file_requests("model.safetensors")[0]["path"].startswith("/cdn/")
    assert (repo_cache(tmp_path, TINY) / "blobs" / served.etag("model.safetensors")).is_file()
    assert (repo_cache(tmp_path, TINY) / "refs" / "main").read_text() == served.commit


def test_pulled_model_is_what_the_tools_load(
    hub: HubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _models(pull_env(tmp_path, hub.url), "pull", TINY).returncode == 0
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    from tools.media import locate

    source = locate(TINY, "config.json")
    assert Path(source.path) == repo_cache(tmp_path, TINY) / "snapshots" / hub.repos[TINY].commit


def test_a_partial_file_is_resumed_with_a_range_request(
    hub: HubServer, tiny_folder: Path, tmp_path: Path
) -> None:
    served = hub.repos[TINY]
    weights = served.files["model.safetensors"]
    half = len(weights) // 2
    blobs = repo_cache(tmp_path, TINY) / "blobs"
    blobs.mkdir(parents=True)
    (blobs / f"{served.etag('model.safetensors')}.incomplete").write_bytes(weights[:half])

    proc = _models(pull_env(tmp_path, hub.url), "pull", TINY, "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["resumed_bytes"] == half
    assert result["downloaded_bytes"] == result["total_bytes"] - half
    gets = hub.file_requests("model.safetensors")
    assert [g["range"] for g in gets] == [f"bytes={half}-"]
    stored = Path(result["folder"]) / "model.safetensors"
    assert stored.read_bytes() == weights
    assert not list(blobs.glob("*.incomplete"))


def test_a_damaged_partial_file_is_deleted_and_the_next_pull_fetches_it_whole(
    hub: HubServer, tmp_path: Path
) -> None:
    served = hub.repos[TINY]
    blobs = repo_cache(tmp_path, TINY) / "blobs"
    blobs.mkdir(parents=True)
    partial = blobs / f"{served.etag('model.safetensors')}.incomplete"
    partial.write_bytes(b"\0" * 1000)  # not the start of the real file

    line = _one_clear_line(_models(pull_env(tmp_path, hub.url), "pull", TINY))
    assert "model.safetensors arrived damaged" in line and "sha256" in line
    assert not partial.exists() and not (repo_cache(tmp_path, TINY) / "refs" / "main").exists()

    again = _models(pull_env(tmp_path, hub.url), "pull", TINY)
    assert again.returncode == 0, again.stderr
    assert hub.file_requests("model.safetensors")[-1]["range"] is None


def test_a_dropped_connection_resumes_within_the_same_pull(
    hub: HubServer, wide_folder: Path, tmp_path: Path
) -> None:
    served = serve_model(hub, WIDE, wide_folder)
    hub.cut = Cut("model.safetensors", after=CHUNK + CHUNK // 2, mode="drop")
    proc = _models(pull_env(tmp_path, hub.url), "pull", WIDE, "--json")
    assert proc.returncode == 0, proc.stderr
    gets = hub.file_requests("model.safetensors")
    assert [g["range"] for g in gets] == [None, f"bytes={CHUNK}-"]  # the whole chunk kept, the rest asked for
    stored = Path(json.loads(proc.stdout)["folder"]) / "model.safetensors"
    assert sha256(stored.read_bytes()).hexdigest() == served.etag("model.safetensors")


def test_an_interrupted_pull_keeps_its_part_and_the_next_pull_finishes_it(
    hub: HubServer, wide_folder: Path, tmp_path: Path
) -> None:
    served = serve_model(hub, WIDE, wide_folder)
    cut = hub.cut = Cut("model.safetensors", after=CHUNK + CHUNK // 2, mode="stall")
    env = pull_env(tmp_path, hub.url)
    partial = repo_cache(tmp_path, WIDE) / "blobs" / f"{served.etag('model.safetensors')}.incomplete"
    first = interrupt_pull(hub, cut, env, partial, WIDE)  # Ctrl-C once the first chunk is on disk
    assert first.returncode == 130, first.err
    assert "Traceback" not in first.err + first.out
    assert (
        "Interrupted" in first.err and f"attentive models pull {WIDE}" in first.err and "resume" in first.err
    )
    assert first.at_signal == CHUNK  # Ctrl-C once the first chunk was on disk
    assert first.kept == CHUNK  # the whole first chunk kept for the next pull, nothing past it
    listed = json.loads(_models(env, "list", "--json").stdout)
    assert next(m for m in listed["models"] if m["repo_id"] == WIDE)["status"] == "partial"

    proc = _models(env, "pull", WIDE, "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["resumed_bytes"] == CHUNK
    assert hub.file_requests("model.safetensors")[-1]["range"] == f"bytes={CHUNK}-"
    stored = Path(result["folder"]) / "model.safetensors"
    assert sha256(stored.read_bytes()).hexdigest() == served.etag("model.safetensors")
    listed = json.loads(_models(env, "list", "--json").stdout)
    assert next(m for m in listed["models"] if m["repo_id"] == WIDE)["status"] == "cached"


def test_an_unknown_repo_is_one_clear_line_and_leaves_nothing(hub: HubServer, tmp_path: Path) -> None:
    line = _one_clear_line(_models(pull_env(tmp_path, hub.url), "pull", "attentive-test/no-such-model"))
    assert f"no model attentive-test/no-such-model at {hub.url}" in line
    assert not repo_cache(tmp_path, "attentive-test/no-such-model").exists()


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("a/b/c", "not a valid model id"),
        ("https://huggingface.co/gpt2", "URLs are not accepted"),
        ("../../etc/passwd", "file paths are not model ids"),
        ("stable-difusion", "did you mean stable-diffusion?"),
    ],
)
def test_a_name_that_is_not_an_id_is_refused_before_any_request(
    name: str, says: str, hub: HubServer, tmp_path: Path
) -> None:
    line = _one_clear_line(_models(pull_env(tmp_path, hub.url), "pull", name))
    assert says in line and "Known names: stable-diffusion" in line
    assert [r for r in hub.requests if r["path"] != "/api/agent-harnesses"] == []


def test_offline_mode_refuses_before_any_request(hub: HubServer, tmp_path: Path) -> None:
    line = _one_clear_line(_models(pull_env(tmp_path, hub.url, HF_HUB_OFFLINE="1"), "pull", TINY))
    assert "offline mode is on" in line and "HF_HUB_OFFLINE" in line
    assert hub.requests == []


def test_no_network_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    line = _one_clear_line(_models(pull_env(tmp_path, f"http://127.0.0.1:{port}"), "pull", TINY))
    assert f"cannot reach http://127.0.0.1:{port}" in line and "network" in line
    assert not repo_cache(tmp_path, TINY).exists()  # nothing half-written


def test_a_gated_repo_says_what_to_do_and_the_token_stays_with_the_hub(
    hub: HubServer, tiny_folder: Path, tmp_path: Path
) -> None:
    serve_model(hub, "attentive-test/gated", tiny_folder, gated=True)
    line = _one_clear_line(_models(pull_env(tmp_path, hub.url), "pull", "attentive-test/gated"))
    assert "is gated" in line and f"{hub.url}/attentive-test/gated" in line and "HF_TOKEN" in line
    assert not (repo_cache(tmp_path, "attentive-test/gated") / "refs" / "main").exists()

    proc = _models(pull_env(tmp_path, hub.url, HF_TOKEN="hf_test_token"), "pull", "attentive-test/gated")
    assert proc.returncode == 0, proc.stderr
    heads = hub.file_requests("model.safetensors", method="HEAD")
    assert heads[-1]["authorization"] == "Bearer hf_test_token"
    assert hub.file_requests("model.safetensors")[-1]["authorization"] is None  # the CDN never sees it


def test_list_shows_cached_and_not_then_remove_frees_the_space(hub: HubServer, tmp_path: Path) -> None:
    env = pull_env(tmp_path, hub.url)
    before = json.loads(_models(env, "list", "--json").stdout)["models"]
    assert {m["name"]: m["status"] for m in before} == {
        "stable-diffusion": "absent",
        "bark-small": "absent",
        "gpt2": "absent",
    }
    assert all(m["size_bytes"] and m["used_by"] for m in before)

    assert _models(env, "pull", TINY).returncode == 0
    table = _models(env, "list").stdout
    assert TINY in table and "cached (160" in table and "stable-diffusion" in table and "not cached" in table
    on_disk = next(
        m for m in json.loads(_models(env, "list", "--json").stdout)["models"] if m["repo_id"] == TINY
    )
    assert on_disk["status"] == "cached" and on_disk["bytes_on_disk"] > 150_000

    removed = _models(env, "remove", TINY, "--yes", "--json")
    assert removed.returncode == 0, removed.stderr
    assert json.loads(removed.stdout) == {
        "repo_id": TINY,
        "freed_bytes": on_disk["bytes_on_disk"],
        "revisions": 1,
        "partial_files": 0,
    }
    assert not repo_cache(tmp_path, TINY).exists()
    assert TINY not in _models(env, "list").stdout
    assert "nothing to remove" in _one_clear_line(_models(env, "remove", TINY, "--yes"))


def test_a_pull_fetches_only_the_weights_the_pipeline_loads() -> None:
    """Stable Diffusion v1.5's repo layout: one copy of each component's weights, no checkpoints."""
    from tools.model_pull import select_files

    components = {
        "unet": "diffusion_pytorch_model",
        "vae": "diffusion_pytorch_model",
        "text_encoder": "model",
        "safety_checker": "model",
    }
    names = ["model_index.json", "v1-5-pruned.ckpt", "v1-5-pruned-emaonly.safetensors", "README.md"]
    for folder, stem in components.items():
        names += [f"{folder}/config.json", f"{folder}/{stem}.bin", f"{folder}/{stem}.safetensors"]
        names += [
            f"{folder}/{stem}.fp16.safetensors",
            f"{folder}/{stem}.non_ema.bin",
            f"{folder}/flax_model.msgpack",
        ]
    names += ["tokenizer/vocab.json", "tokenizer/merges.txt", "scheduler/scheduler_config.json"]
    keep, skipped = select_files(names)
    weights = sorted(n for n in keep if n.endswith((".safetensors", ".bin", ".ckpt")))
    assert weights == sorted(f"{folder}/{stem}.safetensors" for folder, stem in components.items())
    assert {"model_index.json", "README.md", "tokenizer/merges.txt", "unet/config.json"} <= set(keep)
    assert "v1-5-pruned.ckpt" in skipped and "unet/diffusion_pytorch_model.fp16.safetensors" in skipped
    assert sorted(keep + skipped) == sorted(names)

    # A transformers repo with only PyTorch weights keeps them, shards and all.
    keep, skipped = select_files(
        ["config.json", "pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin", "tf_model.h5"]
    )
    assert keep == ["config.json", "pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"]
    assert skipped == ["tf_model.h5"]


def test_a_repo_with_only_other_weight_formats_is_not_pulled_as_if_complete(
    hub: HubServer, tmp_path: Path
) -> None:
    folder = tmp_path / "gguf-only"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "model.Q4_K_M.gguf").write_bytes(b"GGUF" + b"\0" * 100)
    serve_model(hub, "attentive-test/gguf-only", folder)
    line = _one_clear_line(_models(pull_env(tmp_path, hub.url), "pull", "attentive-test/gguf-only"))
    assert "weights only in formats" in line and "(.gguf)" in line and "--all" in line
    assert not repo_cache(tmp_path, "attentive-test/gguf-only").exists()


def test_remove_also_deletes_an_unfinished_download(hub: HubServer, tmp_path: Path) -> None:
    served = hub.repos[TINY]
    blobs = repo_cache(tmp_path, TINY) / "blobs"
    blobs.mkdir(parents=True)
    (blobs / f"{served.etag('model.safetensors')}.incomplete").write_bytes(b"x" * 4321)
    env = pull_env(tmp_path, hub.url)
    listed = next(
        m for m in json.loads(_models(env, "list", "--json").stdout)["models"] if m["repo_id"] == TINY
    )
    assert listed["status"] == "partial" and listed["bytes_on_disk"] == 4321
    removed = _models(env, "remove", TINY, "--yes", "--json")
    assert json.loads(removed.stdout) == {
        "repo_id": TINY,
        "freed_bytes": 4321,
        "revisions": 0,
        "partial_files": 1,
    }
    assert not repo_cache(tmp_path, TINY).exists() and hub.requests == []
