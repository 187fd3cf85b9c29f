"""A recorded Hub server on 127.0.0.1, a Hugging Face cache on disk, and tiny models built on the spot.

The Hub and generation tests and the benchmarks that need a Hub (``bench_hub_generation``,
``bench_model_pull``, ``bench_image_estimate``) share it: no network at run time, real HTTP.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from hashlib import sha1, sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

# --------------------------------------------------------------------------- recorded Hub responses

# Shaped like https://huggingface.co/api/models/ID?expand=...; numbers deliberately differ from the
# bundled snapshot so a test can tell which source answered.
RECORDED: dict[str, dict[str, Any]] = {
    "openai-community/gpt2": {
        "_id": "621ffdc036468d709f17434d",
        "id": "openai-community/gpt2",
        "author": "openai-community",
        "cardData": {
            "language": "en",
            "license": "mit",
            "tags": ["exbert"],
            "datasets": ["openwebtext"],
        },
        "downloads": 12_345_678,
        "gated": False,
        "lastModified": "2024-02-19T10:57:45.000Z",
        "library_name": "transformers",
        "likes": 3001,
        "pipeline_tag": "text-generation",
        "safetensors": {"parameters": {"F32": 137_022_720}, "total": 137_022_720},
        "tags": ["transformers", "pytorch", "safetensors", "gpt2", "text-generation", "en", "license:mit"],
    },
    "suno/bark": {
        "_id": "64a47a5ee1a4f5b4d6a7f0a1",
        "id": "suno/bark",
        "author": "suno",
        "cardData": {"language": ["en", "de", "fr"], "license": "mit", "pipeline_tag": "text-to-speech"},
        "downloads": 54_321,
        "gated": False,
        "lastModified": "2023-10-04T14:17:55.000Z",
        "library_name": "transformers",
        "likes": 1234,
        "pipeline_tag": "text-to-speech",
        "tags": [
            "transformers",
            "pytorch",
            "bark",
            "text-to-audio",
            "audio",
            "text-to-speech",
            "license:mit",
        ],
    },
    "suno/bark-small": {
        "_id": "64a47a5ee1a4f5b4d6a7f0a2",
        "id": "suno/bark-small",
        "author": "suno",
        "downloads": 23_456,
        "likes": 222,
        "library_name": "transformers",
        "pipeline_tag": "text-to-speech",
        "lastModified": "2023-10-04T14:18:10.000Z",
        "tags": ["transformers", "bark", "text-to-speech", "license:mit"],
    },
}


@dataclass
class ServedRepo:
    """A model repo the server hands out file by file, as the Hub's ``resolve`` endpoint does."""

    commit: str
    files: dict[str, bytes]
    lfs: frozenset[str] = frozenset()  # served like LFS files: a redirect to a "CDN" host, sha256 etag
    gated: bool = False

    def etag(self, name: str) -> str:
        data = self.files[name]
        if name in self.lfs:
            return sha256(data).hexdigest()
        return sha1(b"blob %d\0" % len(data) + data).hexdigest()  # git's blob hash, as the Hub's etag

    def info(self, repo_id: str) -> dict[str, Any]:
        siblings = []
        for name, data in self.files.items():
            sibling: dict[str, Any] = {"rfilename": name, "size": len(data), "blobId": self.etag(name)}
            if name in self.lfs:
                sibling["lfs"] = {"size": len(data), "sha256": self.etag(name), "pointerSize": 134}
            siblings.append(sibling)
        return {
            "_id": sha1(repo_id.encode()).hexdigest()[:24],
            "id": repo_id,
            "sha": self.commit,
            "private": False,
            "gated": "manual" if self.gated else False,
            "downloads": 0,
            "likes": 0,
            "tags": ["transformers"],
            "siblings": siblings,
        }


@dataclass
class Cut:
    """Break the next GET of ``file``: send ``after`` bytes, then drop the connection or stall until ``release``."""

    file: str
    after: int
    mode: str = "drop"  # "drop" or "stall"
    sent: threading.Event = field(default_factory=threading.Event)


@dataclass
class HubServer:
    """A real HTTP server on 127.0.0.1 answering like the Hub's model API and its file downloads."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    stall: threading.Event = field(default_factory=threading.Event)  # set: requests wait for `release`
    release: threading.Event = field(default_factory=threading.Event)
    repos: dict[str, ServedRepo] = field(default_factory=dict)
    cut: Cut | None = None

    def file_requests(self, name: str, method: str = "GET") -> list[dict[str, Any]]:
        """The requests for file ``name`` (its resolve URL or its CDN blob), in order."""
        return [r for r in self.requests if r["method"] == method and r.get("file") == name]


def serve_model(state: HubServer, repo_id: str, folder: Path, gated: bool = False) -> ServedRepo:
    """Serve every file under ``folder`` as ``repo_id``; weights (.safetensors, .bin) go out as LFS files."""
    files = {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
    commit = sha1(repr(sorted((n, sha256(d).hexdigest()) for n, d in files.items())).encode()).hexdigest()
    lfs = frozenset(n for n in files if n.endswith((".safetensors", ".bin")))
    state.repos[repo_id] = ServedRepo(commit, files, lfs, gated)
    return state.repos[repo_id]


def _handler(state: HubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            return

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (the timeout tests)
                return

        def _record(self, method: str, file: str | None = None) -> tuple[Any, dict[str, list[str]]]:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            state.requests.append(
                {
                    "method": method,
                    "path": parts.path,
                    "query": query,
                    "authorization": self.headers.get("Authorization"),
                    "range": self.headers.get("Range"),
                    "file": file,
                }
            )
            return parts, query

        def _file_target(self) -> tuple[str, ServedRepo, str, bool] | None:
            """(repo id, repo, file name, via the CDN) for a resolve or CDN URL of a served repo."""
            path = unquote(urlsplit(self.path).path)
            if path.startswith("/cdn/"):  # /cdn/{repo id}/{file}
                for repo_id, repo in state.repos.items():
                    prefix = f"/cdn/{repo_id}/"
                    if path.startswith(prefix) and path[len(prefix) :] in repo.files:
                        return repo_id, repo, path[len(prefix) :], True
                return None
            match = re.match(r"^/(.+?)/resolve/([^/]+)/(.+)$", path)
            if match is None or match.group(1) not in state.repos:
                return None
            repo = state.repos[match.group(1)]
            if match.group(2) not in ("main", repo.commit) or match.group(3) not in repo.files:
                return None
            return match.group(1), repo, match.group(3), False

        def _file_headers(self, repo_id: str, repo: ServedRepo, name: str) -> tuple[int, dict[str, str]]:
            if repo.gated and not self.headers.get("Authorization"):
                return 403, {
                    "X-Error-Code": "GatedRepo",
                    "X-Error-Message": f"Access to {repo_id} is restricted.",
                }
            size = str(len(repo.files[name]))
            headers = {"X-Repo-Commit": repo.commit, "Accept-Ranges": "bytes"}
            if name in repo.lfs:  # like the Hub: a redirect to another host, the facts on the redirect itself
                cdn = state.url.replace("127.0.0.1", "localhost")
                headers.update(
                    {
                        "Location": f"{cdn}/cdn/{repo_id}/{name}",
                        "X-Linked-Etag": f'"{repo.etag(name)}"',
                        "X-Linked-Size": size,
                        "ETag": f'"{sha1(name.encode()).hexdigest()}"',
                        "Content-Length": "0",
                    }
                )
                return 302, headers
            headers.update({"ETag": f'"{repo.etag(name)}"', "Content-Length": size})
            return 200, headers

        def do_HEAD(self) -> None:
            target = self._file_target()
            self._record("HEAD", target[2] if target else None)
            if target is None:
                self.send_response(404)
                self.send_header("X-Error-Code", "RepoNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            repo_id, repo, name, via_cdn = target
            status, headers = self._file_headers(repo_id, repo, name)
            if via_cdn:
                status, headers = (
                    200,
                    {"Content-Length": str(len(repo.files[name])), "Accept-Ranges": "bytes"},
                )
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()

        def _send_file(self, repo_id: str, repo: ServedRepo, name: str, via_cdn: bool) -> None:
            if not via_cdn:
                status, headers = self._file_headers(repo_id, repo, name)
                if status != 200:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    return
            data = repo.files[name]
            start = 0
            asked = self.headers.get("Range") or ""
            if asked.startswith("bytes=") and asked.endswith("-"):
                start = int(asked[len("bytes=") : -1])
            body = data[start:]
            self.send_response(206 if start else 200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            cut = state.cut
            try:
                if cut is not None and cut.file == name:
                    state.cut = None
                    self.wfile.write(body[: cut.after])
                    self.wfile.flush()
                    cut.sent.set()
                    if cut.mode == "stall":
                        state.release.wait(timeout=60)
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)
            except OSError:  # the client went away (an interrupted pull)
                return

        def do_GET(self) -> None:
            target = self._file_target()
            parts, query = self._record("GET", target[2] if target else None)
            if state.stall.is_set():
                state.release.wait(timeout=30)
            if target is not None:
                self._send_file(*target)
                return
            info_match = re.match(r"^/api/models/(.+?)(?:/revision/[^/]+)?$", unquote(parts.path))
            if info_match and info_match.group(1) in state.repos:
                self._send(200, state.repos[info_match.group(1)].info(info_match.group(1)))
                return
            if parts.path == "/api/models":
                words = (query.get("search") or [""])[0].lower()
                hits = [dict(v) for k, v in RECORDED.items() if words in k.lower()]
                hits.sort(key=lambda v: v.get("downloads", 0), reverse=True)
                self._send(200, hits)
                return
            prefix = "/api/models/"
            repo_id = parts.path[len(prefix) :] if parts.path.startswith(prefix) else ""
            if repo_id in RECORDED:
                self._send(200, RECORDED[repo_id])
            else:
                self._send(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})

    return Handler


def start_hub_server() -> tuple[HubServer, ThreadingHTTPServer]:
    state = HubServer(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="fake-hub", daemon=True).start()
    return state, server


def stop_hub_server(state: HubServer, server: ThreadingHTTPServer) -> None:
    state.release.set()
    server.shutdown()
    server.server_close()


def hub_server_fixture() -> Iterator[HubServer]:
    state, server = start_hub_server()
    try:
        yield state
    finally:
        stop_hub_server(state, server)


# --------------------------------------------------------------------------- `attentive models pull` against it

CHUNK = 10 * 1024 * 1024  # huggingface_hub.constants.DOWNLOAD_CHUNK_SIZE: a download is written in these


def pull_env(home: Path, endpoint: str, **extra: str) -> dict[str, str]:
    """This process's environment for a CLI child that talks to ``endpoint`` with its cache under ``home``;
    no HF_ or TRANSFORMERS_ setting of the caller's own leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env.update(HF_HOME=str(home / "hf"), HF_ENDPOINT=endpoint, **extra)
    return env


def repo_cache(home: Path, repo_id: str) -> Path:
    """Where ``pull_env(home, ...)``'s Hugging Face cache keeps ``repo_id``."""
    return home / "hf" / "hub" / ("models--" + repo_id.replace("/", "--"))


@dataclass(frozen=True)
class Interrupted:
    """How a pull ended after Ctrl-C: its exit code and output, the bytes of the download on disk when the
    signal went, and the bytes it kept."""

    returncode: int
    out: str
    err: str
    at_signal: int
    kept: int


def interrupt_pull(state: HubServer, cut: Cut, env: dict[str, str], partial: Path, *args: str) -> Interrupted:
    """Start ``attentive models pull ARGS``, press Ctrl-C once its first chunk of ``cut.file`` is on disk
    (``partial``, the download in progress), then let the stalled server go."""
    child = subprocess.Popen(
        [sys.executable, "-m", "agent.cli.main", "models", "pull", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if not cut.sent.wait(timeout=120):
            raise RuntimeError("the pull never reached the weights")
        deadline = time.monotonic() + 60
        while _size(partial) < CHUNK and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting for the first chunk to reach the disk, not timing anything
        at_signal = _size(partial)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        state.release.set()
        if child.poll() is None:
            child.kill()
    return Interrupted(child.returncode, out, err, at_signal, _size(partial))


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


# --------------------------------------------------------------------------- a Hugging Face cache on disk


def put_in_cache(cache: Path, repo_id: str, folder: Path, commit: str = "0" * 40) -> Path:
    """Lay ``folder`` out as the HF cache does (blobs + refs/main + snapshot symlinks); returns the snapshot."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / commit
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        blob = repo / "blobs" / sha256(data).hexdigest()
        if not blob.exists():
            shutil.copyfile(path, blob)
        link = snapshot / path.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        depth = len(link.relative_to(repo).parts) - 1
        link.symlink_to(Path(*([".."] * depth)) / "blobs" / blob.name)
    return snapshot


# --------------------------------------------------------------------------- tiny models


SENTENCES = [
    "The cat sat on the mat.",
    "Attention lets every token look at every other token.",
    "Generative models make new text, images and sounds.",
    "Positional encoding tells the model where each word is.",
    "A small model can still learn a few words.",
]


def build_tiny_gpt2(folder: Path, n_embd: int = 32, n_layer: int = 2) -> Path:
    """A 2-layer GPT-2 with a byte-level BPE trained here: about 160 KB, loads like any Hub model.

    Wider or deeper ones (``n_embd=256, n_layer=6``: about 19 MB) are for tests that need a file
    larger than huggingface_hub's 10 MB download chunk.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(SENTENCES * 20, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|endoftext|>",
        bos_token="<|endoftext|>",
        unk_token="<|endoftext|>",
    )
    eos = fast.convert_tokens_to_ids("<|endoftext|>")
    config = GPT2Config(
        n_layer=n_layer,
        n_head=2,
        n_embd=n_embd,
        n_positions=64,
        vocab_size=300,
        bos_token_id=eos,
        eos_token_id=eos,
    )
    torch.manual_seed(0)
    model = GPT2LMHeadModel(config)
    # Push the end-of-text logit down so random weights do not stop after one token.
    with torch.no_grad():
        model.lm_head.weight[eos] = 0.0
        model.transformer.wte.weight[eos] = 0.0
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def _clip_tokenizer(folder: Path) -> Any:
    from transformers import CLIPTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    chars = list(bytes_to_unicode().values())
    vocab = {c: i for i, c in enumerate(chars)}
    for c in chars:
        vocab[c + "</w>"] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    try:
        return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    except TypeError:
        return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77)


def build_tiny_stable_diffusion(folder: Path) -> Path:
    """UNet + VAE + CLIP text encoder small enough to draw 64x64 in a fraction of a second."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(4, 8),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        norm_num_groups=2,
        attention_head_dim=2,
    )
    vae = AutoencoderKL(
        block_out_channels=[4, 8],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        latent_channels=4,
        norm_num_groups=2,
    )
    tokenizer = _clip_tokenizer(folder / "_tok")
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id or 0,
            hidden_size=32,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=len(tokenizer) + 2,
            max_position_embeddings=77,
        )
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    parts = {
        "unet": unet,
        "vae": vae,
        "text_encoder": text_encoder,
        "tokenizer": tokenizer,
        "scheduler": scheduler,
    }
    pipe = StableDiffusionPipeline(
        **parts, safety_checker=None, feature_extractor=None, requires_safety_checker=False
    )
    pipe.save_pretrained(folder)
    shutil.rmtree(folder / "_tok")
    return folder


def build_tiny_vits(folder: Path) -> Path:
    """A tiny VITS text-to-speech model with a character vocabulary (no phonemizer)."""
    import torch
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    letters = list(" abcdefghijklmnopqrstuvwxyz.,'!?")
    vocab = {"<pad>": 0, "<unk>": 1, **{c: i + 2 for i, c in enumerate(letters)}}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    tokenizer = VitsTokenizer(str(folder / "vocab.json"), phonemize=False)
    config = VitsConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        flow_size=16,
        spectrogram_bins=8,
        duration_predictor_num_flows=2,
        duration_predictor_filter_channels=16,
        prior_encoder_num_flows=2,
        prior_encoder_num_wavenet_layers=1,
        upsample_initial_channel=16,
        upsample_rates=[8, 2],
        upsample_kernel_sizes=[16, 4],
        resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]],
        sampling_rate=16000,
    )
    torch.manual_seed(0)
    model = VitsModel(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
