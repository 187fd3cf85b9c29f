"""Fetch, inspect and remove Hub models in the local Hugging Face cache, with progress and resume.

Only what a user asked for is fetched: ``attentive models pull`` or the chat page's Download
button call ``pull``; no tool ever does.

Why not ``snapshot_download``: huggingface_hub 1.33 writes each file to a process-unique temporary
file and deletes it when the download fails (its PR #4228), so a pull stopped by Ctrl-C, a closed
laptop or a dropped network starts that file again from zero; and it writes ``refs/main`` before
the files, so an interrupted pull leaves a snapshot that ``try_to_load_from_cache`` takes for a
complete one. Here each file goes through huggingface_hub's own ``http_get`` (its retries, its
Range requests) into ``blobs/<etag>.incomplete``, which an interruption leaves in place and the
next pull resumes with a Range request. A finished file is checked (sha256 for LFS files, the git
blob hash for the others) before it becomes a blob; huggingface_hub links it into the snapshot;
``refs/main`` is written last, so a model counts as cached only when every file is there.
"""

from __future__ import annotations

import difflib
import errno
import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import urlsplit

from tools import hub_env, model_catalog
from tools.base import ToolInputError
from tools.hub_ids import resolve_model_id

METADATA_TIMEOUT_S = 15.0
PARTIAL_SUFFIX = ".incomplete"
HASH_BLOCK = 8 * 1024 * 1024
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".onnx", ".onnx_data")
WEIGHT_SUFFIXES += (".ot", ".tflite", ".gguf", ".mlmodel", ".pb", ".npz_weights")
PREFERRED_WEIGHTS = (
    ".safetensors",
    ".bin",
    ".pt",
    ".pth",
)  # what transformers and diffusers load, best first
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class PullError(Exception):
    """A pull, a removal or a name the user can act on; the message is one line saying what to do."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of a Hub repo, with what its download is checked against."""

    name: str
    size: int | None
    sha256: str | None = None  # LFS files: the content's sha256
    git_oid: str | None = None  # other files: the git blob hash


@dataclass(frozen=True)
class PullPlan:
    """What a pull will fetch: the commit, the files it keeps and the weights in other formats it skips."""

    repo_id: str
    commit: str
    files: tuple[RemoteFile, ...]
    skipped: tuple[str, ...] = ()
    gated: bool = False

    @property
    def total_bytes(self) -> int:
        return sum(f.size or 0 for f in self.files)


@dataclass(frozen=True)
class PullProgress:
    """Where a pull stands: ``bytes_done`` counts bytes already on disk, resumed ones included."""

    repo_id: str
    file: str
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    stage: Literal["download", "verify", "done"] = "download"

    @property
    def fraction(self) -> float:
        return min(self.bytes_done / self.bytes_total, 1.0) if self.bytes_total else 1.0


@dataclass(frozen=True)
class PullResult:
    """A finished pull: what was fetched now, what an earlier interrupted pull had kept, what was checked."""

    repo_id: str
    commit: str
    folder: Path
    files: int
    total_bytes: int
    downloaded_bytes: int
    resumed_bytes: int
    verified: int
    seconds: float
    skipped: tuple[str, ...] = ()

    @property
    def already_cached(self) -> bool:
        return self.downloaded_bytes == 0 and self.resumed_bytes == 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(folder=str(self.folder), skipped=list(self.skipped), seconds=round(self.seconds, 3))
        return data


@dataclass(frozen=True)
class CacheState:
    """A repo in the local cache: ``cached`` (complete), ``partial`` (an unfinished pull) or ``absent``."""

    repo_id: str
    status: Literal["cached", "partial", "absent"]
    bytes_on_disk: int = 0


@dataclass(frozen=True)
class Removal:
    """What ``remove`` deleted: the revisions, the unfinished downloads, and the bytes that freed."""

    repo_id: str
    freed_bytes: int
    revisions: int
    partial_files: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ModelRow:
    """One line of ``models list``: a catalog model or another model found in the cache."""

    repo_id: str
    name: str
    used_by: str
    size_bytes: int | None
    gated: bool
    state: CacheState

    def to_dict(self) -> dict[str, Any]:
        """The row with its cache state flattened: ``status`` and ``bytes_on_disk`` beside the rest."""
        row = {key: value for key, value in asdict(self).items() if key != "state"}
        return row | {"status": self.state.status, "bytes_on_disk": self.state.bytes_on_disk}


# --------------------------------------------------------------------------- names


def resolve_name(name: str) -> str:
    """The Hub id ``name`` means: a catalog short name, a snapshot alias, or an id as typed.

    A misspelt short name is not guessed at (a wrong guess would start a gigabyte download):
    the message names the likely model instead.
    """
    entry = model_catalog.find(name) if isinstance(name, str) else None
    if entry is not None:
        return entry.repo_id
    known = ", ".join(e.name for e in model_catalog.catalog())
    try:
        resolution = resolve_model_id(name)
    except ToolInputError as exc:
        raise PullError(f"{exc}. Known names: {known}") from None
    if resolution.how == "fuzzy":
        names = [e.name for e in model_catalog.catalog()]
        close = difflib.get_close_matches(name.strip().lower(), names, n=1, cutoff=0.75)
        meant = close[0] if close else resolution.id
        raise PullError(f"no model is called {name!r}; did you mean {meant}? Known names: {known}")
    return resolution.id


# --------------------------------------------------------------------------- what to fetch


def _is_weight(name: str) -> bool:
    return name.lower().endswith(WEIGHT_SUFFIXES)


def _is_variant(name: str) -> bool:
    """``diffusion_pytorch_model.fp16.safetensors``, ``x.non_ema.bin``: an alternative copy of the weights."""
    stem = PurePosixPath(name).name
    for suffix in WEIGHT_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return "." in stem


def select_files(names: list[str]) -> tuple[list[str], list[str]]:
    """The files a pull fetches and the weight files it skips.

    Hub repos often hold the same weights several times: PyTorch and safetensors, fp16 and
    non-EMA variants, ONNX, Flax, TensorFlow, and in diffusers repos single-file checkpoints at
    the top. Stable Diffusion v1.5 holds over 40 GB, of which the 5.5 GB its diffusers pipeline
    loads. So, per folder, only the first of safetensors, .bin, .pt present (without a variant
    suffix) is kept; every other file (configs, tokenizers, vocabularies) is kept.
    """
    diffusers = "model_index.json" in names
    by_folder: dict[str, list[str]] = {}
    for name in names:
        if _is_weight(name):
            by_folder.setdefault(str(PurePosixPath(name).parent), []).append(name)
    chosen: set[str] = set()
    for folder, weights in by_folder.items():
        if diffusers and folder == ".":
            continue  # single-file checkpoints; the pipeline loads its component folders
        plain = [w for w in weights if not _is_variant(w)]
        for suffix in PREFERRED_WEIGHTS:
            picked = [w for w in plain if w.lower().endswith(suffix)]
            if picked:
                chosen.update(picked)
                break
    keep = [n for n in names if not _is_weight(n) or n in chosen]
    skipped = [n for n in names if _is_weight(n) and n not in chosen]
    return keep, skipped


def fetch_plan(repo_id: str, everything: bool = False) -> PullPlan:
    """Ask the Hub (``HF_ENDPOINT``) for the repo's files at its latest commit; PullError if it cannot."""
    _refuse_offline()
    from huggingface_hub import HfApi

    with explained(repo_id):
        info = HfApi(endpoint=hub_env.endpoint(), token=hub_env.token()).model_info(
            repo_id, files_metadata=True, timeout=METADATA_TIMEOUT_S
        )
    if not info.sha:
        raise PullError(f"the Hub at {hub_env.endpoint()} gave no commit for {repo_id}; try again later")
    remote = {
        s.rfilename: RemoteFile(
            s.rfilename,
            s.lfs.size if s.lfs else s.size,
            sha256=s.lfs.sha256 if s.lfs else None,
            git_oid=None if s.lfs else s.blob_id,
        )
        for s in info.siblings or []
    }
    keep, skipped = (list(remote), []) if everything else select_files(list(remote))
    if not keep:
        raise PullError(f"{repo_id} has no files at {hub_env.endpoint()}")
    if skipped and not any(_is_weight(name) for name in keep):
        formats = ", ".join(sorted({PurePosixPath(n).suffix for n in skipped}))
        raise PullError(
            f"{repo_id} has weights only in formats transformers and diffusers do not load here ({formats}); "
            f"`attentive models pull {repo_id} --all` fetches all {len(skipped)} of them anyway"
        )
    return PullPlan(
        repo_id=info.id or repo_id,
        commit=info.sha,
        files=tuple(remote[n] for n in keep),
        skipped=tuple(skipped),
        gated=bool(info.gated),
    )


# --------------------------------------------------------------------------- pulling


@dataclass
class _Tally:
    """Byte counts of one pull, fed by huggingface_hub's progress calls."""

    plan: PullPlan
    on_progress: Callable[[PullProgress], None] | None
    done: int = 0
    downloaded: int = 0
    resumed: int = 0
    files_done: int = 0
    file: str = ""
    verified: int = 0
    last: PullProgress | None = field(default=None)

    def report(self, stage: Literal["download", "verify", "done"] = "download") -> None:
        self.last = PullProgress(
            self.plan.repo_id,
            self.file,
            self.files_done,
            len(self.plan.files),
            self.done,
            self.plan.total_bytes,
            stage,
        )
        if self.on_progress is not None:
            self.on_progress(self.last)

    def add(self, n: int) -> None:
        self.done += n
        self.downloaded += n
        self.report()

    def counter(self) -> type:
        """A class huggingface_hub's ``http_get`` instantiates as its progress bar (``tqdm_class``)."""
        tally = self

        class Counter:
            def __init__(self, **_: Any) -> None:
                pass

            def __enter__(self) -> Counter:
                return self

            def __exit__(self, *_: Any) -> None:
                return None

            def update(self, n: float | None = 1) -> None:
                tally.add(int(n or 0))

            def close(self) -> None:
                return None

        return Counter


def pull(plan: PullPlan, on_progress: Callable[[PullProgress], None] | None = None) -> PullResult:
    """Fetch every file of ``plan`` that is not cached yet, resuming partial files; PullError if it fails.

    An interruption (KeyboardInterrupt included) keeps what was fetched: whole files as blobs,
    the current one as ``<etag>.incomplete``; the model only counts as cached once all are in.
    """
    _refuse_offline()
    started = time.perf_counter()
    cache = hub_env.cache_dir()
    storage = _storage(cache, plan.repo_id)
    tally = _Tally(plan, on_progress)
    _check_space(cache, plan, storage)
    tally.report()
    with explained(plan.repo_id, keeps=True):
        for remote in plan.files:
            tally.file = remote.name
            _fetch_file(cache, storage, plan, remote, tally)
            tally.files_done += 1
            tally.report()
        _write_ref(storage, plan.commit)
    hub_env.forget_cache_scan()
    tally.report("done")
    return PullResult(
        repo_id=plan.repo_id,
        commit=plan.commit,
        folder=storage / "snapshots" / plan.commit,
        files=len(plan.files),
        total_bytes=plan.total_bytes,
        downloaded_bytes=tally.downloaded,
        resumed_bytes=tally.resumed,
        verified=tally.verified,
        seconds=time.perf_counter() - started,
        skipped=plan.skipped,
    )


def _fetch_file(cache: Path, storage: Path, plan: PullPlan, remote: RemoteFile, tally: _Tally) -> None:
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import WeakFileLock, build_hf_headers

    pointer = storage / "snapshots" / plan.commit / remote.name
    if pointer.exists():
        tally.done += remote.size or pointer.stat().st_size
        return
    endpoint, token = hub_env.endpoint(), hub_env.token()
    url = hf_hub_url(plan.repo_id, remote.name, revision=plan.commit, endpoint=endpoint)
    meta = get_hf_file_metadata(url, token=token, timeout=METADATA_TIMEOUT_S, endpoint=endpoint)
    if not meta.etag or not meta.location:
        raise PullError(f"the Hub gave no file identity for {remote.name} of {plan.repo_id}; try again later")
    size = meta.size if meta.size is not None else remote.size
    blob = storage / "blobs" / meta.etag
    partial = blob.with_name(blob.name + PARTIAL_SUFFIX)
    blob.parent.mkdir(parents=True, exist_ok=True)
    lock = cache / ".locks" / storage.name / f"{meta.etag}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with WeakFileLock(lock):  # another pull of the same file (a second click, another terminal) waits
        if not blob.exists():
            kept = partial.stat().st_size if partial.exists() else 0
            if size is not None and kept > size:  # not a prefix of this file: start afresh
                partial.unlink()
                kept = 0
            tally.done += kept
            tally.resumed += kept
            tally.report()
            headers = build_hf_headers(token=token)
            if urlsplit(meta.location).netloc != urlsplit(url).netloc:
                headers.pop("authorization", None)  # a signed CDN link: the token stays with the Hub
            with partial.open("ab") as sink:
                http_get(
                    meta.location,
                    sink,
                    resume_size=kept,
                    headers=headers,
                    expected_size=size,
                    displayed_filename=remote.name,
                    tqdm_class=tally.counter(),
                )
            tally.report("verify")
            _verify(partial, remote, meta.etag, size)
            tally.verified += 1
            os.replace(partial, blob)
        else:
            tally.done += blob.stat().st_size
    # huggingface_hub links the blob into the snapshot (a symlink, or a copy where there are none).
    hf_hub_download(
        plan.repo_id,
        remote.name,
        revision=plan.commit,
        cache_dir=str(cache),
        endpoint=endpoint,
        token=token,
    )


def _verify(path: Path, remote: RemoteFile, etag: str, size: int | None) -> None:
    """Check a downloaded file against the Hub's hash for it; a mismatch deletes it and raises PullError."""
    actual_size = path.stat().st_size
    problem = None
    if size is not None and actual_size != size:
        problem = f"{actual_size} bytes instead of {size}"
    sha256 = remote.sha256 or (etag if _HEX64.match(etag) else None)
    git_oid = remote.git_oid or (etag if _HEX40.match(etag) else None)
    if problem is None and sha256 is not None:
        got = _hash_file(path, hashlib.sha256())
        problem = None if got == sha256 else f"sha256 {got[:12]}… instead of {sha256[:12]}…"
    elif problem is None and git_oid is not None:
        got = _hash_file(path, hashlib.sha1(f"blob {actual_size}\0".encode()))
        problem = None if got == git_oid else f"git hash {got[:12]}… instead of {git_oid[:12]}…"
    if problem is not None:
        path.unlink(missing_ok=True)
        raise PullError(f"{remote.name} arrived damaged ({problem}) and was deleted; run the pull again")


def _hash_file(path: Path, digest: Any) -> str:
    with path.open("rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _write_ref(storage: Path, commit: str) -> None:
    """Point ``refs/main`` at ``commit``, last and atomically: from now on the model counts as cached."""
    ref = storage / "refs" / "main"
    ref.parent.mkdir(parents=True, exist_ok=True)
    tmp = ref.with_name(f".main.{os.getpid()}.tmp")
    tmp.write_text(commit)
    os.replace(tmp, ref)


def _check_space(cache: Path, plan: PullPlan, storage: Path) -> None:
    missing = sum(
        f.size or 0 for f in plan.files if not (storage / "snapshots" / plan.commit / f.name).exists()
    )
    folder = cache
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    if missing > free:
        raise PullError(
            f"{plan.repo_id} needs {hub_env.human_bytes(missing)} more but only {hub_env.human_bytes(free)} "
            f"is free in {cache}: free some space (`attentive models remove NAME`) or set HF_HOME elsewhere"
        )


# --------------------------------------------------------------------------- errors


OFFLINE_MESSAGE = (
    "offline mode is on (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE is set), so nothing is downloaded; "
    "unset it and run the pull again"
)


def _refuse_offline() -> None:
    if hub_env.offline():
        raise PullError(OFFLINE_MESSAGE)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


@contextmanager
def explained(repo_id: str, keeps: bool = False) -> Iterator[None]:
    """Turn what huggingface_hub, httpx and the disk raise into one PullError line saying what to do."""
    import httpx
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    endpoint = hub_env.endpoint()
    resume = " What was fetched is kept: the same pull resumes it." if keeps else ""
    try:
        yield
    except PullError:
        raise
    except OfflineModeIsEnabled:
        raise PullError(
            "offline mode is on in this process (HF_HUB_OFFLINE was set when it started); "
            "restart it without HF_HUB_OFFLINE to download"
        ) from None
    except GatedRepoError:
        raise PullError(
            f"{repo_id} is gated: accept its licence at {endpoint}/{repo_id} while signed in, then set HF_TOKEN "
            f"to a read token of that account (or run `hf auth login`) and pull again"
        ) from None
    except RepositoryNotFoundError:
        raise PullError(
            f"no model {repo_id} at {endpoint} (if it is private, set HF_TOKEN to a token that can read it)"
        ) from None
    except (RevisionNotFoundError, EntryNotFoundError) as exc:
        raise PullError(
            f"{repo_id} changed on the Hub while pulling ({_first_line(exc)}); pull again"
        ) from None
    except LocalEntryNotFoundError:
        raise PullError(f"lost the connection to {endpoint} while pulling {repo_id}.{resume}") from None
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "an error"
        raise PullError(
            f"{endpoint} answered HTTP {status} for {repo_id}; try again later.{resume}"
        ) from None
    except httpx.TimeoutException:
        raise PullError(
            f"{endpoint} did not answer in time; check the network connection and pull again.{resume}"
        ) from None
    except httpx.TransportError as exc:
        raise PullError(
            f"cannot reach {endpoint} ({_first_line(exc)}): check the network connection "
            f"(or HF_ENDPOINT) and pull again.{resume}"
        ) from None
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise PullError(
                f"the disk holding {hub_env.cache_dir()} is full; free some space and pull again.{resume}"
            ) from None
        raise PullError(
            f"cannot write to {hub_env.cache_dir()}: {exc.strerror or _first_line(exc)}"
        ) from None


# --------------------------------------------------------------------------- the cache


def _storage(cache: Path, repo_id: str) -> Path:
    from huggingface_hub.file_download import repo_folder_name

    return cache / repo_folder_name(repo_id=repo_id, repo_type="model")


def _found_storage(repo_id: str) -> Path | None:
    """The cache folder of ``repo_id``, matched without regard to case as the Hub matches ids."""
    cache = hub_env.cache_dir()
    exact = _storage(cache, repo_id)
    if exact.is_dir():
        return exact
    wanted = exact.name.lower()
    if cache.is_dir():
        for entry in cache.iterdir():
            if entry.is_dir() and entry.name.lower() == wanted:
                return entry
    return None


def _bytes_on_disk(folder: Path) -> int:
    """Bytes of the real files under ``folder`` (snapshot links are not counted twice)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                total += os.stat(path).st_size
    return total


def cache_state(repo_id: str, marker: str | None = None) -> CacheState:
    """Whether ``repo_id`` is complete in the cache (``marker`` reachable through ``refs/main``), partial, or absent."""
    storage = _found_storage(repo_id)
    if storage is None:
        return CacheState(repo_id, "absent")
    if marker is not None:
        complete = hub_env.cached_snapshot(repo_id, marker) is not None
    else:
        complete = (storage / "refs" / "main").is_file()
    return CacheState(repo_id, "cached" if complete else "partial", _bytes_on_disk(storage))


def list_models() -> list[ModelRow]:
    """The catalog's models with their cache state, then any other model repo found in the cache."""
    rows = [
        ModelRow(m.repo_id, m.name, m.used_by, m.size_bytes, m.gated, cache_state(m.repo_id, m.marker))
        for m in model_catalog.catalog()
    ]
    known = {m.repo_id.lower() for m in model_catalog.catalog()}
    cache = hub_env.cache_dir()
    folders = sorted(f.name for f in cache.iterdir() if f.is_dir()) if cache.is_dir() else []
    for folder in folders:
        if not folder.startswith("models--"):
            continue
        repo_id = folder.removeprefix("models--").replace("--", "/")  # ids never contain "--"
        if repo_id.lower() not in known:
            rows.append(ModelRow(repo_id, "", "", None, False, cache_state(repo_id)))
    return rows


def remove(repo_id: str) -> Removal:
    """Delete ``repo_id`` from the cache (every revision and any partial download); says what was freed."""
    storage = _found_storage(repo_id)
    if storage is None:
        raise PullError(
            f"{repo_id} is not in the Hugging Face cache ({hub_env.cache_dir()}); nothing to remove"
        )
    from huggingface_hub import scan_cache_dir

    before = _bytes_on_disk(storage)
    partial_files = sum(1 for p in (storage / "blobs").glob(f"*{PARTIAL_SUFFIX}")) if storage.is_dir() else 0
    revisions: list[str] = []
    try:
        info = scan_cache_dir(storage.parent)
        repo = next((r for r in info.repos if Path(r.repo_path) == storage), None)
        revisions = [r.commit_hash for r in repo.revisions] if repo is not None else []
        if revisions:
            info.delete_revisions(*revisions).execute()  # huggingface_hub's own, unused blobs included
    except Exception:  # noqa: BLE001 - a cache it cannot read is removed below all the same
        revisions = []
    if storage.exists():  # a pull that never finished a file has no revision to delete
        shutil.rmtree(storage)
    hub_env.forget_cache_scan()
    return Removal(repo_id, before, len(revisions), partial_files)
