"""Who is asking, as the server decides it: never a user id the browser sends.

* With a login (``attentive ui --auth USER:PASS``, repeatable, or ``--auth-file FILE`` of hashed
  passwords), the user is Gradio's ``request.username``, set from the session cookie ``/login`` issued.
* Without one, each browser gets a server-issued id (``web-`` and 32 random hex digits) in an HttpOnly
  cookie signed with HMAC-SHA256 under a key kept in the data home (``ui-identity-key``, mode 0600,
  never sent to a client). ``IdentityCookie`` issues it on the first request and refuses nothing: a
  request without a valid cookie (none, or a forged or altered one) simply becomes a new, empty user.

Before, the page kept the user id in ``gr.BrowserState``, whose encryption key every visitor could read
at ``/config``, and the handlers took it as an input: anyone who knew an id could read that user's
history and write feedback into their future answers with one ``POST /gradio_api/queue/join``.

The ids the Python API and the MCP tools use (``default``, ``mcp``) are never a web user: a login cannot
be named so, and an anonymous id always starts with ``web-``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from agent.names import check_name

KEY_FILE = "ui-identity-key"
COOKIE_PREFIX = "attentive-user"
ANONYMOUS_PREFIX = "web-"
RESERVED_USERS = frozenset({"default", "mcp"})  # the Python API's and the MCP tools' own users
COOKIE_MAX_AGE_S = 365 * 24 * 3600
SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # hashlib.scrypt's recommended interactive cost: about 50 ms


class IdentityError(Exception):
    """The request carries no identity the server issued: the message says what to do."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def load_key(home: Path) -> bytes:
    """The data home's signing key, made (32 random bytes, owner-only) on first use."""
    path = Path(home) / KEY_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


class Identity:
    """Issues and checks the signed anonymous-user cookie; tells a handler who sent a request."""

    def __init__(self, home: Path, logins: bool = False) -> None:
        """``logins``: the page asks for a login, so only Gradio's ``request.username`` counts."""
        self._key = load_key(home)
        self.logins = logins
        # Named per data home, so two servers on one host (cookies ignore the port) never overwrite each other's.
        self.cookie_name = f"{COOKIE_PREFIX}-{self._mac('cookie-name')[:8]}"

    def _mac(self, text: str) -> str:
        return _b64(hmac.new(self._key, text.encode(), hashlib.sha256).digest())

    @property
    def browser_state_secret(self) -> str:
        """A key for ``gr.BrowserState`` (which Gradio serves at ``/config``): derived one-way from the
        signing key, so knowing it tells nothing about the key. It only hides the conversation id."""
        return self._mac("browser-state")

    def new_anonymous(self) -> str:
        return ANONYMOUS_PREFIX + secrets.token_hex(16)

    def sign(self, user: str) -> str:
        """The cookie value for ``user``: the id and its HMAC."""
        return f"{user}.{self._mac('user:' + user)}"

    def verify(self, value: str | None) -> str | None:
        """The user a cookie value names if this server signed it, else None."""
        if not value or "." not in value:
            return None
        user, _, mac = value.rpartition(".")
        if not user.startswith(ANONYMOUS_PREFIX) or not hmac.compare_digest(mac, self._mac("user:" + user)):
            return None
        return user

    def user_of(self, request: Any) -> str:
        """The user who sent a Gradio request: the login name, or the signed cookie's id."""
        if request is None:
            raise IdentityError("this page needs a browser session: reload the page")
        name = getattr(request, "username", None)
        if name:
            return check_login_name(str(name))
        if self.logins:
            raise IdentityError("log in first: reload the page")
        user = self.verify(_cookies(request).get(self.cookie_name))
        if user is None:
            raise IdentityError("your browser sent no valid identity cookie: reload the page")
        return user


def _cookies(request: Any) -> Mapping[str, str]:
    """A ``gr.Request``'s cookies, whether it wraps a live request or was rebuilt from a stored one."""
    inner = getattr(request, "request", None)
    if inner is not None:
        return dict(inner.cookies)
    return dict(getattr(request, "kwargs", {}).get("cookies", {}) or {})


def check_login_name(name: str) -> str:
    """A login name that may be a user: a valid name (``agent.names``), not reserved, not anonymous-looking."""
    check_name("login name", name)
    if name in RESERVED_USERS or name.startswith(ANONYMOUS_PREFIX) or ":" in name:
        raise ValueError(
            f"login name {name!r} is not allowed: {', '.join(sorted(RESERVED_USERS))} are reserved, "
            f"'{ANONYMOUS_PREFIX}' starts anonymous ids, and ':' separates name and password"
        )
    return name


class IdentityCookie:
    """ASGI middleware: every request carries a signed anonymous id, issued here when it has none.

    A request without a valid cookie gets a fresh id: written into the request's own ``Cookie`` header
    (so the handler it reaches sees it) and sent back with ``Set-Cookie`` (HttpOnly, SameSite=Lax,
    Secure over https). A forged or altered cookie is replaced the same way, so it never names anyone.
    """

    def __init__(self, app: Any, identity: Identity) -> None:
        self.app = app
        self.identity = identity

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
        jar = SimpleCookie()
        raw = b"; ".join(v for k, v in headers if k == b"cookie").decode("latin-1")
        try:
            jar.load(raw)
        except Exception:  # an unparsable Cookie header: treated as no cookie
            jar = SimpleCookie()
        name = self.identity.cookie_name
        if self.identity.verify(jar[name].value if name in jar else None) is not None:
            await self.app(scope, receive, send)
            return
        value = self.identity.sign(self.identity.new_anonymous())
        kept = [(k, v) for k, v in headers if k != b"cookie"]
        others = "; ".join(f"{k}={m.value}" for k, m in jar.items() if k != name)
        cookie = f"{name}={value}" + (f"; {others}" if others else "")
        scope = {**scope, "headers": [*kept, (b"cookie", cookie.encode("latin-1"))]}
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        set_cookie = (
            f"{name}={value}; Path=/; Max-Age={COOKIE_MAX_AGE_S}; HttpOnly; SameSite=Lax{secure}"
        ).encode("latin-1")

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", set_cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


# -- logins -------------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$SALT$HASH`` (base64url) for a users file: hashlib.scrypt, a fresh 16-byte salt."""
    if not password:
        raise ValueError("the password must not be empty")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${_b64(salt)}${_b64(digest)}"


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a ``hash_password`` string (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        got = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), dklen=len(expected), n=int(n), r=int(r), p=int(p)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


@dataclass(frozen=True)
class Logins:
    """The page's users and how to check a password: plain pairs from ``--auth``, hashes from a file."""

    hashes: Mapping[str, str]

    @classmethod
    def build(cls, pairs: Iterable[tuple[str, str]] = (), file: Path | None = None) -> Logins | None:
        """All the logins given; None when there are none. A name given twice is an error, not a silent
        overwrite (``--auth`` used to keep only its last pair)."""
        hashes: dict[str, str] = {}
        given = [(user, hash_password(password)) for user, password in pairs]
        if file is not None:
            given += read_users_file(Path(file))
        for user, stored in given:
            check_login_name(user)
            if user in hashes:
                raise ValueError(f"login {user!r} is given more than once")
            hashes[user] = stored
        return cls(hashes) if hashes else None

    def check(self, username: str, password: str) -> bool:
        """Gradio's ``auth`` callable: an unknown name costs as much as a wrong password."""
        stored = self.hashes.get(username)
        ok = check_password(password, stored or _DUMMY_HASH)
        return ok and stored is not None

    @property
    def auth(self) -> Callable[[str, str], bool]:
        return self.check


_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def read_users_file(path: Path) -> list[tuple[str, str]]:
    """``USER:scrypt$...`` lines (``#`` comments and blank lines skipped), as ``attentive ui-user`` writes them."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read the users file {path.name}: {exc.strerror}") from None
    users = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, stored = line.partition(":")
        if not sep or not stored.startswith("scrypt$") or stored.count("$") != 5:
            raise ValueError(
                f"{path.name}, line {number}: expected USER:scrypt$... (made by attentive ui-user)"
            )
        users.append((user, stored))
    return users


def add_user(path: Path, user: str, password: str) -> None:
    """Write ``user``'s hashed password into a users file (replacing an earlier line for them), owner-only."""
    check_login_name(user)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [line for line in lines if line.strip().partition(":")[0] != user]
    kept.append(f"{user}:{hash_password(password)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(kept) + "\n")
    os.replace(tmp, path)
