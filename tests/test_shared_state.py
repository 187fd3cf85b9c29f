"""Several replicas, one state: PostgreSQL for memory and feedback, one Chroma server, two live pages.

Everything here runs against real servers started by the module's fixtures, once for the module:
PostgreSQL from Debian's package (``initdb``/``pg_ctl`` in a temporary folder, as the ``postgres``
user, on 127.0.0.1), ``chroma run``, and two ``attentive ui`` processes on two ports, driven over
HTTP exactly as a browser tab drives them (``bench/page_client.py``). Each test gets its own
database, so nothing one leaves behind reaches another; the replica tests come last, and the one
that kills a replica is the very last.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from agent.feedback import schema
from agent.feedback.store import HEAD, FeedbackStore
from agent.state import StateUnavailable, parse_database_url
from bench.bench_load import MATERIALS, NAMES, write_topics
from bench.page_client import Browser, PageClient, recorded
from bench.servers import ChromaServer, PostgresServer, Replica, free_port, postgres_bin, share_identity_key

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL is not installed (make test installs it)"),
]

ROOT = Path(__file__).resolve().parents[1]
ATTENTIVE = Path(sys.executable).parent / "attentive"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path_factory.mktemp("chroma") / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _attentive(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ATTENTIVE), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        cwd=ROOT,
    )


# -- the schema: one set of migrations, two databases --------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_migrations_build_exactly_the_tables_the_store_queries(
    kind: str, postgres: PostgresServer, tmp_path: Path
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    target = tmp_path / "fb.sqlite3" if kind == "sqlite" else postgres.create_database("schema_check")
    store = FeedbackStore(target)
    assert store.revision() == HEAD
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    assert differences == []
    assert store.upgrade() == (HEAD, HEAD)  # a second upgrade changes nothing


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_replicas_starting_together_migrate_once(kind: str, postgres: PostgresServer, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}" if kind == "sqlite" else postgres.create_database("starting_together")
    opening = "import sys; from agent.feedback.store import FeedbackStore; print(FeedbackStore(sys.argv[1]).revision())"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [
        subprocess.Popen([sys.executable, "-c", opening, url], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(3)
    ]
    assert [child.communicate(timeout=300)[0].strip() for child in children] == [HEAD] * 3
    store = FeedbackStore(url)
    assert store.revision() == HEAD and store.counts()["events"] == 0


CHILD = textwrap.dedent(
    """
    import sys, zlib
    import numpy as np
    from pathlib import Path
    from agent.feedback import FeedbackService
    from agent.state import parse_database_url

    def embed(texts):
        rows = [np.random.default_rng(zlib.crc32(t.encode())).normal(size=8) for t in texts]
        return np.array([r / np.linalg.norm(r) for r in rows], dtype=np.float32)

    url, home, writer, events = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    service = FeedbackService(home, embed=embed, location=parse_database_url(url, home))
    print("ready", flush=True)
    sys.stdin.readline()  # both writers start together
    for i in range(events):
        reply = f"{writer}-{i}"
        service.remember_reply(reply, "shared-user", "s", "What is attention?", "One. Two. Three.", "detailed")
        service.feedback(reply, 1 if i % 2 else -1, comment="too long" if i % 3 == 0 else None)
    print("done", flush=True)
    """
)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_processes_teaching_one_user_at_once_lose_no_update_of_the_learned_style(
    kind: str, postgres: PostgresServer, tmp_path: Path
) -> None:
    """The learner state is read, changed and written back per event: without the lock one writer's
    update would overwrite the other's, and the state's event count would fall short."""
    url = f"sqlite:///{tmp_path}" if kind == "sqlite" else postgres.create_database("two_writers")
    FeedbackStore(parse_database_url(url, tmp_path)).close()  # migrated once, before the race
    events = 40
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, url, str(tmp_path), writer, str(events)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for writer in ("a", "b")
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        assert child.wait(timeout=300) == 0
    store = FeedbackStore(parse_database_url(url, tmp_path))
    assert len(store.events("shared-user")) == 2 * events
    assert store.load_state("shared-user", "style")["events"] == 2 * events


# -- refusing a database that cannot be used ---------------------------------------------------------


def test_a_wrong_unreachable_or_unprivileged_database_stops_the_page_with_one_line(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    postgres.execute("CREATE ROLE reader LOGIN")
    postgres.create_database("locked")  # reader may connect but not create tables
    granted = postgres.create_database("granted_select")
    assert _attentive("db", "upgrade", "--url", granted).returncode == 0
    postgres.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader", database="granted_select")
    cases = {
        "mysql://me:secret@db/attentive": "must be postgresql://",
        f"postgresql://postgres:pw@127.0.0.1:{free_port()}/x": "Connection refused",
        postgres.url("missing"): 'database "missing" does not exist',
        postgres.url("locked", user="reader"): "permission denied for schema public",
        postgres.url("granted_select", user="reader"): "may not read and write checkpoints",
    }
    for url, reason in cases.items():
        home = tmp_path / f"home-{len(list(tmp_path.iterdir()))}"
        page = ["ui", "--port", str(free_port())]
        done = _attentive(
            *page, env={"ATTENTIVE_DATABASE_URL": url, "ATTENTIVE_HOME": str(home)}, timeout=120
        )
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2, done.stderr[-2000:]
        assert len(lines) == 1 and lines[0].startswith("attentive: ") and reason in lines[0], lines
        assert "secret" not in done.stderr and ":pw@" not in done.stderr  # passwords are never shown
        # No fallback: nothing was written to the data home's SQLite files.
        assert not (home / "feedback.sqlite3").exists() and not (home / "memory.sqlite3").exists()


# -- migrating a data home -------------------------------------------------------------------------------


def test_db_upgrade_is_idempotent_and_db_copy_moves_a_data_home_with_counts_checked(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    from agent import Agent
    from agent.memory import close_checkpointer, open_checkpointer

    home = tmp_path / "home"
    agent = Agent(home=home)
    first = agent.chat("What is positional encoding?", user="ann", session="s1")
    agent.chat("Why is it needed?", user="ann", session="s1")
    event = agent.feedback(first.id, -1, comment="too long", correction="It adds order to the tokens.")
    agent.chat("What is attention?", user="bob", session="s9")

    url = postgres.create_database("copy_target")
    upgraded = [_attentive("db", "upgrade", "--url", url) for _ in range(2)]
    assert [u.returncode for u in upgraded] == [0, 0]
    assert "migrated from empty" in upgraded[0].stdout and "already up to date" in upgraded[1].stdout

    copied = _attentive("db", "copy", "--from", f"sqlite:///{home}", "--to", url, "--json")
    assert copied.returncode == 0, copied.stderr
    source, target = parse_database_url(None, home), parse_database_url(url, home)
    expected = FeedbackStore(source).counts()
    assert FeedbackStore(target).counts() == expected and expected["events"] == 1
    assert f'"checkpoints": {_checkpoint_count(source)}' in copied.stdout

    # The copy is the conversation itself: the checkpoints, the feedback with its id, the learned style.
    copy = FeedbackStore(target)
    assert copy.get_event(event.id) is not None and copy.corrections("ann")[0][0].text.startswith("It adds")
    assert copy.load_state("ann", "style") == FeedbackStore(source).load_state("ann", "style")
    for location in (source, target):
        saver = open_checkpointer(location)
        try:
            state = saver.get_tuple({"configurable": {"thread_id": "ann\x1fs1", "checkpoint_ns": ""}})
            texts = [m.content for m in state.checkpoint["channel_values"]["messages"]]
            assert texts[0] == "What is positional encoding?" and "Why is it needed?" in texts
        finally:
            close_checkpointer(saver)
    # A new event on the copy gets a fresh id (the sequences moved past the copied ones).
    copy.add_reply(FeedbackStore(source).get_reply(first.id))  # type: ignore[arg-type]
    assert copy.add_event(first.id, "ann", 1, None, None).id > event.id

    again = _attentive("db", "copy", "--from", f"sqlite:///{home}", "--to", url)
    assert again.returncode == 2 and "already holds feedback" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def _checkpoint_count(location: object) -> int:
    from agent.memory import close_checkpointer, open_checkpointer

    saver = open_checkpointer(location)  # type: ignore[arg-type]
    try:
        return sum(1 for _ in saver.list(None))
    finally:
        close_checkpointer(saver)


# -- two agents (as two replicas hold them) on one database --------------------------------------------


@pytest.fixture(scope="module")
def agent_pair(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """Two ``Agent`` objects on one PostgreSQL database, each with its own data home (and Chroma folder)."""
    from agent import Agent
    from agent.settings import load_settings

    url = postgres.create_database("agent_pair")
    folder = tmp_path_factory.mktemp("agent-pair")
    a, b = (Agent(settings=load_settings(home=folder / name, database_url=url)) for name in ("a", "b"))
    return SimpleNamespace(a=a, b=b, url=url, folder=folder)


def test_route_lessons_corrections_and_resets_given_to_one_agent_reach_the_other_on_the_next_turn(
    agent_pair: SimpleNamespace,
) -> None:
    a, b = agent_pair.a, agent_pair.b
    message = "do the thing with the heat squares"
    untaught = b.chat(message, user="fay", session="s1").tool_calls[0].name  # B's router has seen fay now
    first = a.chat(message, user="fay", session="s2")
    assert first.tool_calls[0].name == untaught != "attention_demo"
    a.feedback(first.id, score=-1, comment="no, I wanted the attention picture")
    assert b.chat(message, user="fay", session="s3").tool_calls[0].name == "attention_demo"
    assert b.chat(message, user="gus", session="s3").tool_calls[0].name == untaught  # fay's lesson only

    reply = a.chat("What was GPT-2 trained on?", user="dan", session="s")
    a.feedback(reply.id, score=-1, correction="GPT-2's WebText was built from pages linked on Reddit.")
    later = b.chat("What data was GPT-2 trained on?", user="dan", session="s9")
    assert later.text.startswith(
        "You corrected this earlier: GPT-2's WebText was built from pages linked on Reddit."
    )

    a.reset_preferences("fay")  # forgotten on A: B forgets it on fay's next turn
    assert b.chat(message, user="fay", session="s4").tool_calls[0].name == untaught


# -- a server restart in the middle of the load ---------------------------------------------------------


def test_postgres_restarted_mid_load_fails_in_flight_turns_clearly_and_loses_nothing_acknowledged(
    postgres: PostgresServer, agent_pair: SimpleNamespace
) -> None:
    agent, url, tmp_path = agent_pair.a, agent_pair.url, agent_pair.folder
    stop = threading.Event()
    log: dict[str, list[tuple[str, float, str]]] = {f"user{i}": [] for i in range(3)}
    acked: dict[str, list[int]] = {user: [] for user in log}

    def user_loop(user: str) -> None:
        turn = 0
        while not stop.is_set():
            turn += 1
            try:
                reply = agent.chat(f"What is attention? ({turn})", user=user, session="restart")
                acked[user].append(agent.feedback(reply.id, 1).id)
                log[user].append(("ok", time.monotonic(), ""))
            except StateUnavailable as exc:
                log[user].append(("unavailable", time.monotonic(), str(exc)))
            except Exception as exc:  # anything else is a failure of the test
                log[user].append(("other", time.monotonic(), f"{type(exc).__name__}: {exc}"))

    threads = [threading.Thread(target=user_loop, args=(user,)) for user in log]
    for thread in threads:
        thread.start()

    def every_user_has(kind: str, since: float) -> bool:
        return all(any(k == kind and at > since for k, at, _ in entries) for entries in log.values())

    try:
        deadline = time.monotonic() + 180
        while sum(len(a) for a in acked.values()) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)  # polling for the load to be under way, bounded by the deadline
        postgres.stop(mode="immediate")  # a crash: sessions cut mid-statement, the WAL replayed on start
        down = time.monotonic()
        while not every_user_has("unavailable", down) and time.monotonic() < deadline:
            time.sleep(0.05)  # until every user has seen a turn fail
        postgres.start()
        back = time.monotonic()
        while not every_user_has("ok", back) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=300)

    outcomes = [entry for entries in log.values() for entry in entries]
    assert not [e for e in outcomes if e[0] == "other"], [e for e in outcomes if e[0] == "other"][:3]
    failures = [text for kind, _, text in outcomes if kind == "unavailable"]
    assert every_user_has("unavailable", down), "a user saw no failure while the server was down"
    for text in failures:
        assert text.startswith("The state database did not answer (") and "Please send it again" in text
        assert "\n" not in text
    for user, entries in log.items():  # every user's next turns succeeded once the server was back
        assert any(kind == "ok" and at > back for kind, at, _ in entries), user
    stored = {e.id for e in FeedbackStore(parse_database_url(url, tmp_path)).events()}
    assert {i for ids in acked.values() for i in ids} <= stored


# -- BM25 follows writes made by another process ---------------------------------------------------------


def test_bm25_sees_chunks_another_writer_added_or_removed_through_the_shared_server(
    chroma: ChromaServer,
) -> None:
    """Two libraries on one server, as two replicas hold them; only the server connects them."""
    import numpy as np

    from knowledge.retrieval import HybridRetriever
    from knowledge.store import Library
    from knowledge.types import Chunk

    def embed_one(text: str) -> np.ndarray:
        return np.ones(4, dtype=np.float32) / 2.0

    writer = Library(url=chroma.url, collection="bm25-check").shared
    reader = HybridRetriever(Library(url=chroma.url, collection="bm25-check"), embed_one)
    vectors = np.ones((1, 4), dtype=np.float32) / 2.0
    writer.upsert([Chunk("c1", "Attention weighs tokens.", "Notes", "a.md", 0, 24)], vectors)
    assert reader.retrieve("attention").ranked[0].lexical > 0
    assert reader.retrieve("quorbleflux").ranked[0].lexical == 0  # no such word yet: dense only

    writer.upsert([Chunk("c2", "The quorbleflux is a made-up word.", "Notes", "b.md", 0, 34)], vectors)
    hit = reader.retrieve("quorbleflux").ranked[0]
    assert (hit.chunk.id, hit.lexical > 0) == ("c2", True)
    writer.delete(["c2"])
    assert all(s.chunk.id != "c2" for s in reader.retrieve("quorbleflux").ranked)


# -- two live replicas ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def replicas(
    postgres: PostgresServer, chroma: ChromaServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SimpleNamespace]:
    """Two ``attentive ui`` processes, each with its own data home, on one database and one Chroma server."""
    folder = tmp_path_factory.mktemp("replicas")
    env = {
        "ATTENTIVE_DATABASE_URL": postgres.create_database("replicas"),
        "ATTENTIVE_CHROMA_URL": chroma.url,
        "ATTENTIVE_N_THREADS": "1",
    }
    a, b = Replica(folder / "home-a", env), Replica(folder / "home-b", env)
    share_identity_key(a.home, b.home)
    try:
        a.start()  # one after the other: the first indexes the bundled notes into the shared server
        b.start()
        # The workload's topics, in the shared library: indexed by the operator, as a deployment does.
        operator = {**env, "ATTENTIVE_HOME": str(folder / "operator")}
        indexed = _attentive("index", str(write_topics(folder)), env=operator)
        assert indexed.returncode == 0, indexed.stderr[-2000:]
        yield SimpleNamespace(a=a, b=b, env=env, folder=folder, operator=operator)
    finally:
        a.stop()
        b.stop()


def test_a_conversation_started_on_one_replica_is_continued_on_the_other_with_its_memory(
    replicas: SimpleNamespace,
) -> None:
    carol = Browser()
    first = PageClient(replicas.a.url, "trip", carol).ask(f"What is a {NAMES[3]}?")
    assert NAMES[3] in first.text, first.text
    on_b = PageClient(replicas.b.url, "trip", carol)
    restored = on_b.load()  # the tab on B shows the conversation A held
    assert any(NAMES[3] in str(m.get("content")) for m in restored)
    follow_up = on_b.ask("What is it made of?")  # only the memory of the first question says what "it" is
    assert MATERIALS[3] in follow_up.text, follow_up.text
    # Another browser (another user) on B, same conversation id: no such memory.
    other = PageClient(replicas.b.url, "trip").ask("What is it made of?")
    assert MATERIALS[3] not in other.text


def test_too_long_through_one_replica_shortens_the_other_replicas_next_answer_for_that_user_only(
    replicas: SimpleNamespace,
) -> None:
    from knowledge.answer import answer_sentences

    question = "What is positional encoding?"
    erin, frank = Browser(), Browser()
    erin_a, frank_b = PageClient(replicas.a.url, "s1", erin), PageClient(replicas.b.url, "s1", frank)
    before = erin_a.ask(question)
    frank_before = frank_b.ask(question)
    assert len(answer_sentences(before.text)) >= 3, before.text
    assert recorded(erin_a.rate(before, "Too long"))

    after = PageClient(replicas.b.url, "s2", erin).ask(question)
    assert len(answer_sentences(after.text)) < len(answer_sentences(before.text)), after.text
    frank_after = frank_b.ask(question)
    assert len(answer_sentences(frank_after.text)) == len(answer_sentences(frank_before.text))


def _glossary(folder: Path, word: str, meaning: str) -> Path:
    path = folder / f"{word}.md"
    path.write_text(
        f"# Glossary\n\n## {word.title()}\n\nThe {word} coefficient {meaning}.\n", encoding="utf-8"
    )
    return path


def test_a_document_uploaded_through_one_replica_is_found_by_keyword_on_the_other(
    replicas: SimpleNamespace,
) -> None:
    """A user's upload lands in their own library on the shared server; the other replica finds it, and
    also the next one, which reaches B after B built (and cached) BM25 over that user's library."""
    hana = Browser()
    for word, meaning in (
        ("snorkelwump", "counts the zorbic layers"),
        ("plimsoddle", "doubles the fizzgig rate"),
    ):
        status = PageClient(replicas.a.url, "docs", hana).upload([_glossary(replicas.folder, word, meaning)])
        assert status.startswith(f"✅ Indexed {word}.md"), status
        answer = PageClient(replicas.b.url, "docs", hana).ask(f"What does the {word} coefficient do?")
        assert f"({word}.md)" in answer.sources and meaning.split()[-1] in answer.text, answer
    # Nobody else sees hana's upload.
    other = PageClient(replicas.b.url, "docs").ask("What does the snorkelwump coefficient do?")
    assert "snorkelwump.md" not in other.sources


def test_a_shared_document_indexed_and_forgotten_by_another_process_reaches_bm25_on_a_replica(
    replicas: SimpleNamespace,
) -> None:
    from gradio_client import Client

    search_b = Client(replicas.b.url, verbose=False, httpx_kwargs={"timeout": 120})
    query = "What does the quibblestone coefficient do?"
    assert "wobbler" not in search_b.predict(query, api_name="/search_notes")  # B's BM25 is built now
    doc = _glossary(replicas.folder, "quibblestone", "halves the wobbler count")
    assert _attentive("index", str(doc), env=replicas.operator).returncode == 0
    found = search_b.predict(query, api_name="/search_notes")
    assert "Glossary > Quibblestone" in found and "halves the wobbler count" in found, found
    assert _attentive("forget", "quibblestone.md", env=replicas.operator).returncode == 0
    assert "wobbler" not in search_b.predict(query, api_name="/search_notes")


def test_killing_a_replica_mid_turn_loses_no_acknowledged_feedback(replicas: SimpleNamespace) -> None:
    browsers = [Browser() for _ in range(3)]
    acked: list[str] = []
    for i, browser in enumerate(browsers):
        tab = PageClient(replicas.a.url, "s", browser)
        answer = tab.ask(f"What is a {NAMES[i]}?")
        assert recorded(tab.rate(answer, i % 2 == 0))
        acked.append(answer.reply_id)

    in_flight = PageClient(replicas.a.url, "s", browsers[0])
    started = threading.Event()
    failures: list[BaseException] = []

    def ask() -> None:
        try:
            in_flight.ask("Show me attention in 'The cat sat on the mat'", started=started)
        except BaseException as exc:
            failures.append(exc)

    asking = threading.Thread(target=ask)
    asking.start()
    assert started.wait(timeout=120), "the turn never started"
    replicas.a.kill()  # SIGKILL while the answer is being worked out
    asking.join(timeout=60)
    assert failures, "the turn finished before the kill"

    store = FeedbackStore(parse_database_url(replicas.env["ATTENTIVE_DATABASE_URL"], replicas.folder))
    users = {browser.user for browser in browsers}
    stored = [e.reply_id for e in store.events() if e.user in users]
    assert sorted(stored) == sorted(acked)  # every acknowledged event, each once
    # The user carries on through B: the conversation A served is restored there.
    restored = PageClient(replicas.b.url, "s", browsers[0]).load()
    assert any(NAMES[0] in str(m.get("content")) for m in restored)
