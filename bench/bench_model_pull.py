"""Issue 20 bar: ``attentive models pull`` of the tiny test model shows progress, verifies the
files, and resumes after an interrupt.

A recorded Hub server on 127.0.0.1 (bench/recorded_hub.py) serves a small GPT-2 whose weights
(about 19 MB) are larger than huggingface_hub's 10 MB download chunk. The first pull runs as a
user runs it (a child process) and is stopped with Ctrl-C (SIGINT) once the server has sent one
and a half chunks and the first chunk is on disk; the second pull must ask for the rest with a
Range request, show its bar on stderr, and end with every file matching the server's hashes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from hashlib import sha256
from pathlib import Path
from typing import Any

from bench.recorded_hub import CHUNK

REPO = "attentive-bench/wide-gpt2"


def _pull(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agent.cli.main", "models", "pull", REPO, "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run() -> list[dict[str, Any]]:
    from bench import recorded_hub as hub

    state, server = hub.start_hub_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            served = hub.serve_model(state, REPO, hub.build_tiny_gpt2(home / "model", n_embd=256, n_layer=6))
            weights = "model.safetensors"
            env = hub.pull_env(home, state.url)
            partial = hub.repo_cache(home, REPO) / "blobs" / f"{served.etag(weights)}.incomplete"
            cut = state.cut = hub.Cut(weights, after=CHUNK + CHUNK // 2, mode="stall")
            first = hub.interrupt_pull(state, cut, env, partial, REPO, "--json")
            code, first_err, kept = first.returncode, first.err, first.kept

            started = time.perf_counter()
            child = _pull(env)
            out, err = child.communicate(timeout=300)
            seconds = time.perf_counter() - started
            result = json.loads(out) if child.returncode == 0 else {}
            folder = Path(result.get("folder", home))
            matching = sum(
                1
                for name, data in served.files.items()
                if (folder / name).is_file()
                and sha256((folder / name).read_bytes()).digest() == sha256(data).digest()
            )
            ranges = [r["range"] for r in state.file_requests(weights)]
    finally:
        hub.stop_hub_server(state, server)

    files = len(served.files)
    total = sum(len(d) for d in served.files.values())
    bar = re.search(rf"{files}/{files} files .* ([\d.]+)/\1 MB", err)
    resumed = (
        code == 130
        and "Interrupted" in first_err
        and "Traceback" not in first_err
        and kept == CHUNK
        and result.get("resumed_bytes") == CHUNK
        and ranges[-1] == f"bytes={CHUNK}-"
    )
    note = f"{files} files, {total / 1e6:.1f} MB from a 127.0.0.1 recorded Hub; Ctrl-C after {CHUNK / 1e6:.1f} MB on disk"
    return [
        {
            "name": "pull_progress_shown",
            "value": "yes" if bar else "no",
            "target": "shown on stderr",
            "met": bool(bar),
            "note": "rich bar: files and bytes, ends at the total",
        },
        {
            "name": "pull_files_verified",
            "value": f"{matching}/{files}",
            "target": f"{files}/{files}",
            "met": matching == files and result.get("verified", 0) > 0,
            "note": f"files whose sha256 matches the server's; the pull itself hashed {result.get('verified', 0)} "
            "(the interrupted one the others): sha256 for LFS files, git blob hash for the rest",
        },
        {
            "name": "pull_resumed_after_interrupt",
            "value": f"{kept / 1e6:.1f} MB kept, asked {ranges[-1] if ranges else None}",
            "target": "Range from the kept bytes",
            "met": resumed,
            "note": f"first pull exit {code} (130 = interrupted), no traceback",
        },
        {
            "name": "pull_resume_seconds",
            "value": round(seconds, 2),
            "unit": "s",
            "note": note + "; the second pull, child process start included",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
