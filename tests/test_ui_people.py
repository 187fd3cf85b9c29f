"""Two people on one chat page, and a third who tries to be one of them.

Alice and Bob each use their own browser context (their own cookies and storage), on a page without a
login (each is an anonymous user the server issued a signed cookie to) and on one with logins. Each
must see only their own history, corrections, uploads and learned style. Then the attacks of issue 19:
a forged or altered identity cookie, a raw ``POST /gradio_api/queue/join`` naming another user's id
(the old page took the id from the browser), and feedback on another user's reply id; and on a shared
browser, the next person to log in must not inherit the previous one's conversation.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from page_support import ANSWER_TIMEOUT_MS, ask, running_page, shot

pytestmark = pytest.mark.slow

LOGINS = [("login-alice", "alice-pw"), ("login-bob", "bob-pw")]
CORRECTION = "Kestrel attention was named after a falcon that hovers over prime fields."


def _kestrel(folder: Path, tag: str) -> Path:
    """A document only its uploader should ever see an answer from."""
    path = folder / f"kestrel-{tag}.md"
    path.write_text(
        "# Kestrel attention\n\n"
        "Kestrel attention is an attention variant in which every token attends only to the tokens "
        "at prime-numbered positions. It was invented for these tests and appears in no other notes.\n"
    )
    return path


@pytest.fixture(scope="module")
def anonymous(shared_agent: Any) -> Iterator[SimpleNamespace]:
    with running_page(shared_agent) as page:
        yield page


@pytest.fixture(scope="module")
def with_logins(shared_agent: Any) -> Iterator[SimpleNamespace]:
    with running_page(shared_agent, auth=LOGINS) as page:
        yield page


def _context(browser: Any) -> Any:
    return browser.new_context(viewport={"width": 1280, "height": 1000})


def _load(page: Any, url: str, ready: str | re.Pattern[str] = "Ready") -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.locator("#answer-status")).to_contain_text(ready, timeout=60_000)


def _login(context: Any, server: SimpleNamespace, name: str, password: str) -> Any:
    """Log in through Gradio's own form route; the session cookie lands in this browser context."""
    response = context.request.post(f"{server.url}/login", form={"username": name, "password": password})
    assert response.ok, response.status
    page = context.pages[0] if context.pages else context.new_page()
    _load(page, server.url)
    return page


def _upload(page: Any, path: Path) -> None:
    from playwright.sync_api import expect

    page.locator("#upload input[type=file]").set_input_files(str(path))
    expect(page.locator("#upload-status")).to_contain_text(f"Indexed {path.name}", timeout=ANSWER_TIMEOUT_MS)


def _last_answer(page: Any) -> str:
    return page.locator("#chat .bot-row").last.inner_text()


def _style(page: Any) -> str:
    page.locator("#settings").get_by_text("Settings").first.click()  # the accordion opens
    text = page.locator("#style").inner_text()
    page.locator("#settings").get_by_text("Settings").first.click()
    return text


def _user_of(server: SimpleNamespace, context: Any) -> str:
    """The id the server issued to a browser context (read here as a thief who saw the cookie would)."""
    cookie = next(c for c in context.cookies() if c["name"] == server.page.identity.cookie_name)
    assert cookie["httpOnly"], cookie  # the page's scripts cannot read it
    user = server.page.identity.verify(cookie["value"])
    assert user is not None and user.startswith("web-")
    return user


def _fn_index(server: SimpleNamespace, api_name: str) -> int:
    """The event's number, read from the page's config (as a logged-in user, when there are logins)."""
    cookies = None
    if server.page.identity.logins:
        login = httpx.post(
            f"{server.url}/login", data=dict(zip(("username", "password"), LOGINS[0], strict=True))
        )
        cookies = login.cookies
    config = httpx.get(f"{server.url}/config", cookies=cookies).json()
    return next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name)


def _raw_call(
    server: SimpleNamespace,
    api_name: str,
    data: list[Any],
    cookies: dict[str, str] | None = None,
    event_data: Any = None,
) -> dict[str, Any]:
    """What the old page allowed: an event posted straight to the queue, its inputs chosen by the caller."""
    session_hash = uuid.uuid4().hex[:11]
    body = {
        "data": data,
        "event_data": event_data,
        "fn_index": _fn_index(server, api_name),
        "trigger_id": None,
        "session_hash": session_hash,
    }
    with httpx.Client(cookies=cookies or {}, timeout=120) as client:
        joined = client.post(f"{server.url}/gradio_api/queue/join", json=body)
        if joined.status_code != 200:
            return {"status": joined.status_code}
        url = f"{server.url}/gradio_api/queue/data"
        with client.stream("GET", url, params={"session_hash": session_hash}) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    if message.get("msg") == "process_completed":
                        return {"status": 200, **message}
    raise AssertionError("the queue never completed the event")


def _shown(output: dict[str, Any]) -> str:
    """The chat and status a raw ``load`` call got back, as one text."""
    return json.dumps(output["output"]["data"][1:6], ensure_ascii=False)


def test_alice_and_bob_each_see_only_their_own_history_corrections_uploads_and_style(
    browser: Any, anonymous: SimpleNamespace, tmp_path: Path, test_output: Path
) -> None:
    from playwright.sync_api import expect

    alice_context, bob_context = _context(browser), _context(browser)
    alice, bob = alice_context.new_page(), bob_context.new_page()
    doc = _kestrel(tmp_path, "alice")
    try:
        _load(alice, anonymous.url)
        _load(bob, anonymous.url)
        alice_id, bob_id = _user_of(anonymous, alice_context), _user_of(anonymous, bob_context)
        assert alice_id != bob_id

        _upload(alice, doc)
        ask(alice, "What is Kestrel attention?")
        assert "prime-numbered" in _last_answer(alice)
        expect(
            alice.locator("#chat .bot-row").last.locator("li").filter(has_text=doc.name).first
        ).to_be_visible()
        flag = alice.locator("#chat .message-buttons-left").last.locator(".extra-feedback")
        flag.hover()
        flag.locator(".extra-feedback-option").filter(has_text="Too long").click()
        expect(alice.locator("#feedback-status")).to_contain_text("Feedback recorded (👎 Too long)")
        alice.locator("#feedback-correction textarea").fill(CORRECTION)
        alice.locator("#feedback-send").click()
        expect(alice.locator("#feedback-status")).to_contain_text("with your comment")

        ask(bob, "What is Kestrel attention?")
        bob_answer = _last_answer(bob)
        assert "prime-numbered" not in bob_answer and doc.name not in bob_answer  # not Alice's upload
        assert "falcon" not in bob_answer  # nor her correction
        assert "brief" in _style(alice) and "detailed" in _style(bob)  # nor her style

        ask(alice, "What is Kestrel attention?")
        assert "You corrected this earlier" in _last_answer(alice) and "falcon" in _last_answer(alice)
        shot(alice, test_output, "people-alice")
        shot(bob, test_output, "people-bob")

        _load(alice, anonymous.url, "conversation restored (2 answers)")
        _load(bob, anonymous.url, "conversation restored (1 answer)")
        expect(alice.locator("#chat .user-row")).to_have_text(["What is Kestrel attention?"] * 2)
        expect(bob.locator("#chat .user-row")).to_have_text(["What is Kestrel attention?"])
        assert [e.user for e in anonymous.agent.feedback_service.store.events(bob_id)] == []
        assert {e.user for e in anonymous.agent.feedback_service.store.events(alice_id)} == {alice_id}
    finally:
        alice_context.close()
        bob_context.close()


def test_forged_cookies_and_raw_calls_naming_another_user_get_nothing_of_theirs(
    browser: Any, anonymous: SimpleNamespace
) -> None:
    from playwright.sync_api import expect

    context = _context(browser)
    page = context.new_page()
    try:
        _load(page, anonymous.url)
        ask(page, "What is a neuron?")
        page.locator("#chat .message-buttons-left").last.get_by_role(
            "button", name="Like", exact=True
        ).click()
        expect(page.locator("#feedback-status")).to_contain_text("Feedback recorded (👍)")
        victim = _user_of(anonymous, context)
        store = anonymous.agent.feedback_service.store
        (event,) = store.events(victim)
        reply = store.get_reply(event.reply_id)
        ident = {"user": victim, "session": reply.session}  # what the old page took from the browser
        style = anonymous.agent.describe_style(victim)
        identity = anonymous.page.identity
        name = identity.cookie_name

        own = _raw_call(anonymous, "load", [ident], cookies={name: identity.sign(victim)})
        assert "What is a neuron?" in _shown(own)  # the helper reaches the history with the real cookie

        forged = {
            "no cookie": None,
            "the bare id": {name: victim},
            "an altered signature": {name: identity.sign(victim)[:-4] + "AAAA"},
            "another server's signature": {name: f"{victim}.{identity.sign('web-x').rpartition('.')[2]}"},
            "another name's cookie": {f"{name}-x": identity.sign(victim)},
        }
        for why, cookies in forged.items():
            got = _raw_call(anonymous, "load", [ident], cookies=cookies)
            assert got["status"] == 200 and got["success"], why
            assert "What is a neuron?" not in _shown(got) and '"Ready."' in _shown(got), why

        # Feedback on the victim's reply id, from a stranger: nothing is stored, whatever the inputs say.
        conv = [
            {"role": "user", "content": "What is a neuron?"},
            {"role": "assistant", "content": reply.text, "metadata": {"id": f"reply-{reply.id}"}},
        ]
        for api_name, data, event_data in (
            (
                "like",
                [conv, {}, "too long", "wrong", ident],
                {"index": 1, "value": reply.text, "liked": False},
            ),
            ("send_comment", ["too long", "wrong", {"reply_id": reply.id, "liked": False}, ident], None),
            ("reset_preferences", [ident], None),
        ):
            got = _raw_call(anonymous, api_name, data, cookies=None, event_data=event_data)
            assert got["status"] == 200, api_name
        assert [e.id for e in store.events(victim)] == [event.id]  # no new event, none reset
        assert anonymous.agent.describe_style(victim) == style
    finally:
        context.close()


def test_with_logins_each_person_is_their_login_even_on_a_shared_browser(
    browser: Any, with_logins: SimpleNamespace, test_output: Path
) -> None:
    from playwright.sync_api import expect

    shared = _context(browser)  # one browser, two people in turn
    try:
        page = _login(shared, with_logins, *LOGINS[0])
        ask(page, "What is a neuron?")
        shared.request.get(f"{with_logins.url}/logout")
        page = _login(shared, with_logins, *LOGINS[1])
        expect(page.locator("#answer-status")).to_have_text("Ready.")  # Alice's conversation is not Bob's
        expect(page.locator("#chat .user-row")).to_have_count(0)
        ask(page, "What is backpropagation?")
        shot(page, test_output, "people-login-bob")
        shared.request.get(f"{with_logins.url}/logout")
        page = _login(shared, with_logins, *LOGINS[0])
        expect(page.locator("#answer-status")).to_contain_text("conversation restored (1 answer)")
        expect(page.locator("#chat .user-row")).to_have_text(["What is a neuron?"])

        # Without the login, the queue refuses; with Alice's, the id in the inputs is ignored.
        ident = {"user": "login-bob", "session": "x"}
        assert _raw_call(with_logins, "load", [ident])["status"] in (401, 403)
        cookies = {c["name"]: c["value"] for c in shared.cookies()}
        got = _raw_call(with_logins, "load", [ident], cookies=cookies)
        assert "What is backpropagation?" not in _shown(got)
        wrong = httpx.post(f"{with_logins.url}/login", data={"username": "login-bob", "password": "alice-pw"})
        assert wrong.status_code >= 400
    finally:
        shared.close()
