"""Real servers as child processes: PostgreSQL, a Chroma server, and `attentive ui` replicas.

The shared-state tests (``tests/test_shared_state.py``) and benchmark (``bench/bench_replicas.py``)
start the same things a deployment runs (``docs/deploy.md``), on 127.0.0.1 and free ports, in
temporary folders that are removed afterwards. Each waits for its server to answer, never for a
fixed time.

PostgreSQL is Debian's ``postgresql`` package (``make test`` installs it when missing). It refuses
to run as root, so as root the cluster is made and run as the ``postgres`` user through ``runuser``,
in a folder under /tmp that user owns (pytest's own temporary folders are private to root).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from bench.bench_load import free_port

CHROMA = Path(sys.executable).parent / "chroma"
ATTENTIVE = Path(sys.executable).parent / "attentive"
POSTGRES_USER = "postgres"  # Debian's package creates it; the cluster's superuser has the same name


def postgres_bin() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: next to ``pg_ctl`` on PATH, else Debian's newest version."""
    found = shutil.which("pg_ctl")
    if found:
        folder = Path(found).resolve().parent
        if (folder / "initdb").exists():
            return folder
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent if versions else None


def _wait_http(url: str, wait_s: float, process: subprocess.Popen[bytes] | None, what: str) -> None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)  # polling interval, bounded by the deadline
    raise TimeoutError(f"{what} did not answer {url} within {wait_s} s")


class PostgresServer:
    """A throw-away PostgreSQL cluster on 127.0.0.1: ``start``, ``restart``, ``stop``, ``close``."""

    def __init__(self, port: int | None = None) -> None:
        folder = postgres_bin()
        if folder is None:
            raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (make test does)")
        self.bin = folder
        self.port = port or free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="attentive-pg-"))
        self.data = self.folder / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, user=POSTGRES_USER, group=POSTGRES_USER)

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", POSTGRES_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.folder, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
            )

    def start(self) -> None:
        if not self.data.exists():
            self._run(
                "initdb", "-D", str(self.data), "-U", POSTGRES_USER, "--auth=trust", "-E", "UTF8", "--no-sync"
            )
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends sessions and checkpoints; ``immediate`` is a crash (recovery replays the WAL)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def close(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def pid(self) -> int:
        """The postmaster's process id (its sessions are its children)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def url(self, database: str = "postgres", user: str = POSTGRES_USER, password: str | None = None) -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def execute(self, *statements: str, database: str = "postgres") -> None:
        """Run SQL as the superuser (``CREATE DATABASE`` cannot run in a transaction: autocommit)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[arg-type]  # our own literal SQL

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


class ChildServer:
    """A server run as a child process: its pid, a polite ``stop`` and a crash-like ``kill``."""

    STOP_WAIT_S = 30.0
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no clean-up, as a crash or an OOM kill would leave it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=self.STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None


class ChromaServer(ChildServer):
    """``chroma run`` as a child process that can be stopped and started on the same folder and port."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path, self.port = path, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, wait_s: float = 60.0) -> None:
        self.process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.path), "--port", str(self.port), "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_http(f"{self.url}/api/v2/heartbeat", wait_s, self.process, "chroma")


class Replica(ChildServer):
    """``attentive ui`` as a child process with its own data home; ``env`` points it at the shared state."""

    STOP_WAIT_S = (
        5.0  # uvicorn waits for idle keep-alive clients to leave; all state is in the servers anyway
    )

    def __init__(self, home: Path, env: Mapping[str, str], port: int | None = None) -> None:
        self.home = home
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.env = {**os.environ, "ATTENTIVE_HOME": str(home), **env}
        self.log = home.parent / f"{home.name}-ui.log"

    def start(self, wait_s: float = 300.0) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(ATTENTIVE), "ui", "--port", str(self.port)], env=self.env, stdout=log, stderr=log
            )
        try:
            _wait_http(f"{self.url}config", wait_s, self.process, f"replica on port {self.port}")
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}; its log ends: {self.log_tail()}") from None

    def log_tail(self, lines: int = 5) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return " | ".join(text.strip().splitlines()[-lines:])


def share_identity_key(*homes: Path) -> None:
    """One signing key for the page's identity cookie in every replica's data home, so a browser's
    cookie from one replica names the same user on the others (``docs/deploy.md``)."""
    import secrets

    from agent.ui.identity import KEY_FILE

    key = secrets.token_hex(32)
    for home in homes:
        home.mkdir(parents=True, exist_ok=True)
        (home / KEY_FILE).write_text(key)
        (home / KEY_FILE).chmod(0o600)
