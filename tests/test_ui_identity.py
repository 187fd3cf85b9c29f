"""Who a request is from, decided by the server: signed cookies, logins with hashed passwords, reserved ids."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from agent.ui.identity import (
    KEY_FILE,
    Identity,
    IdentityCookie,
    IdentityError,
    Logins,
    add_user,
    check_password,
    hash_password,
    read_users_file,
)


def _echo_app(identity: Identity) -> Starlette:
    """An app that answers with the user its handler would see."""

    def whoami(request: Request) -> PlainTextResponse:
        return PlainTextResponse(identity.verify(request.cookies.get(identity.cookie_name)) or "nobody")

    return Starlette(routes=[Route("/", whoami)], middleware=[Middleware(IdentityCookie, identity=identity)])


def test_the_signing_key_stays_in_the_data_home_and_survives_a_restart(tmp_path: Path) -> None:
    first = Identity(tmp_path)
    key = tmp_path / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    user = first.new_anonymous()
    assert Identity(tmp_path).verify(first.sign(user)) == user  # same key after a restart
    assert Identity(tmp_path / "other").verify(first.sign(user)) is None  # another server's key
    assert key.read_text().strip() not in first.browser_state_secret  # the public secret is only derived


def test_only_cookies_this_server_signed_name_a_user(tmp_path: Path) -> None:
    identity = Identity(tmp_path)
    user = identity.new_anonymous()
    value = identity.sign(user)
    assert user.startswith("web-") and len(user) == 36 and identity.verify(value) == user
    forged = [
        None,
        "",
        user,  # the bare id
        value[:-1] + ("A" if value[-1] != "A" else "B"),  # an altered signature
        value.replace(user, identity.new_anonymous()),  # another id under this id's signature
        identity.sign("mcp").replace("mcp", "default"),
        f"default.{value.rpartition('.')[2]}",
    ]
    for bad in forged:
        assert identity.verify(bad) is None, bad
    # an id that is not anonymous-looking is never accepted from a cookie, even if signed
    assert identity.verify(identity.sign("default")) is None and identity.verify(identity.sign("mcp")) is None


def test_a_request_without_a_valid_cookie_becomes_a_new_user_with_an_httponly_cookie(tmp_path: Path) -> None:
    identity = Identity(tmp_path)
    client = TestClient(_echo_app(identity))
    first = client.get("/")
    issued = first.text
    assert issued.startswith("web-")  # the handler saw the new id on the very first request
    header = first.headers["set-cookie"]
    assert header.startswith(f"{identity.cookie_name}=") and "HttpOnly" in header and "SameSite=Lax" in header
    assert (
        client.get("/").text == issued and "set-cookie" not in client.get("/").headers
    )  # kept, not reissued

    victim = identity.new_anonymous()
    stranger = TestClient(_echo_app(identity))
    for bad in (victim, f"{victim}.forged", identity.sign(victim)[:-2]):
        stranger.cookies.set(identity.cookie_name, bad)
        seen = stranger.get("/").text
        assert seen.startswith("web-") and seen != victim
        stranger.cookies.clear()


def test_a_handler_refuses_a_request_that_carries_no_identity(tmp_path: Path) -> None:
    import gradio as gr

    identity = Identity(tmp_path)
    with pytest.raises(IdentityError, match="reload the page"):
        identity.user_of(gr.Request(cookies={}))
    with pytest.raises(IdentityError):
        identity.user_of(None)
    assert identity.user_of(gr.Request(cookies={identity.cookie_name: identity.sign("web-1")})) == "web-1"
    assert identity.user_of(gr.Request(username="ann")) == "ann"
    for reserved in ("default", "mcp", "web-1"):
        with pytest.raises(ValueError, match="not allowed"):
            identity.user_of(gr.Request(username=reserved))
    behind_login = Identity(tmp_path, logins=True)
    with pytest.raises(IdentityError, match="log in"):  # with logins, a cookie is not enough
        behind_login.user_of(gr.Request(cookies={identity.cookie_name: identity.sign("web-1")}))


def test_passwords_are_kept_as_salted_scrypt_hashes(tmp_path: Path) -> None:
    stored = hash_password("s3:cret")
    assert stored.startswith("scrypt$16384$8$1$") and "s3:cret" not in stored
    assert hash_password("s3:cret") != stored  # a fresh salt each time
    assert check_password("s3:cret", stored) and not check_password("s3:cret ", stored)
    assert not check_password("s3:cret", "md5$abc") and not check_password("x", "scrypt$broken")
    with pytest.raises(ValueError, match="empty"):
        hash_password("")


def test_every_login_is_kept_and_a_name_given_twice_is_refused(tmp_path: Path) -> None:
    logins = Logins.build([("ann", "pw1"), ("ben", "pw2")])
    assert logins is not None and logins.check("ann", "pw1") and logins.check("ben", "pw2")
    assert not logins.check("ann", "pw2") and not logins.check("nobody", "pw1")
    assert Logins.build([]) is None
    with pytest.raises(ValueError, match="more than once"):
        Logins.build([("ann", "a"), ("ann", "b")])
    for name in ("default", "mcp", "web-123", "a:b", ""):
        with pytest.raises(ValueError):
            Logins.build([(name, "pw")])


def test_a_users_file_holds_hashes_and_replaces_a_users_line(tmp_path: Path) -> None:
    users = tmp_path / "users.txt"
    add_user(users, "ann", "first")
    add_user(users, "ben", "second")
    add_user(users, "ann", "changed")
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    assert [name for name, _ in read_users_file(users)] == ["ben", "ann"]
    assert "first" not in users.read_text() and "changed" not in users.read_text()
    logins = Logins.build([("cat", "third")], users)
    assert logins is not None and logins.check("ann", "changed") and not logins.check("ann", "first")
    assert logins.check("cat", "third")
    users.write_text("ann:plaintext\n")
    with pytest.raises(ValueError, match="users.txt, line 1: expected USER:scrypt"):
        read_users_file(users)
    with pytest.raises(ValueError, match="cannot read the users file"):
        read_users_file(tmp_path / "missing.txt")


def test_launch_asks_every_login_and_gives_anonymous_users_the_cookie(shared_agent: object) -> None:
    from agent.ui.app import build_app, launch_options
    from agent.ui.mcp_tools import McpLoginGate

    open_page = build_app(shared_agent).attentive_page  # type: ignore[arg-type]
    options = launch_options(open_page, "127.0.0.1", 7860, None, mcp=False, share=False)
    assert options["auth"] is None
    assert [m.cls for m in options["app_kwargs"]["middleware"]] == [McpLoginGate, IdentityCookie]
    assert str(open_page.home.resolve() / KEY_FILE) in options["blocked_paths"]

    closed = build_app(shared_agent, logins=True).attentive_page  # type: ignore[arg-type]
    options = launch_options(
        closed, "127.0.0.1", 7860, [("ann", "pw"), ("ben", "pw2")], mcp=True, share=False
    )
    check = options["auth"]
    assert check("ann", "pw") and check("ben", "pw2") and not check("ann", "pw2")
    assert [m.cls for m in options["app_kwargs"]["middleware"]] == [McpLoginGate]
    with pytest.raises(ValueError, match="logins=True"):
        launch_options(open_page, "127.0.0.1", 7860, ("ann", "pw"), mcp=False, share=False)


def test_ui_user_adds_a_login_that_the_page_then_accepts(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from agent.cli.ui import register

    app = typer.Typer()
    register(app)
    users = tmp_path / "users.txt"
    runner = CliRunner()
    added = runner.invoke(app, ["ui-user", str(users), "ann"], input="pw-1\npw-1\n")  # asked twice, hidden
    assert added.exit_code == 0, added.output
    assert "ann can now log in" in added.output and "pw-1" not in users.read_text()
    logins = Logins.build(file=users)
    assert logins is not None and logins.check("ann", "pw-1")
    refused = runner.invoke(app, ["ui-user", str(users), "mcp", "--password", "x"])
    assert refused.exit_code != 0 and "reserved" in refused.output
