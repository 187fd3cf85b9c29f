"""One browser tab of the chat page, driven over HTTP the way Gradio's own front end drives it.

The page's chat, rating and upload handlers are private (``api_visibility="private"``: no API client
may list or call them by name), so ``gradio_client`` refuses them. The browser reaches them anyway,
through Gradio's queue protocol (``sse_v3``): ``POST /gradio_api/queue/join`` with the handler's
index, the inputs and the tab's ``session_hash``, then the events of ``GET /gradio_api/queue/data``.
This client speaks that protocol, so the load and the replica tests go through the same HTTP interface
a person's browser uses, without a browser (``tests/test_ui_browser.py`` covers the browser itself).

Who the user is, the page decides: a signed cookie it issues, kept in a ``Browser``'s cookie jar and
sent to every replica the browser visits. Per-tab state (the conversation as drawn, the pending
rating) lives in the replica that served the tab, as with a real browser; what the page restores on
load (``load``) comes from the shared state.
"""

from __future__ import annotations

import http.cookiejar
import json
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FAILED_PREFIX = "⚠️ Sorry, that failed: "  # how agent/ui/turns.py shows a turn that raised
SOURCES_MARK = (
    "\n\n---\n**Sources**"  # where an answer's text ends and its sources begin (agent/ui/render.py)
)


def shown_value(output: Any) -> Any:
    """An output's value as the page draws it: a plain value, or the ``value`` of a component update."""
    if isinstance(output, dict) and "update" in str(output.get("__type__", "")):
        return output.get("value")
    return output


class PageError(RuntimeError):
    """The page answered an event with an error (or the connection broke before it answered)."""


@dataclass(frozen=True)
class Answer:
    """The assistant's answer bubble of one turn: its reply id, its text, its position in the chat."""

    reply_id: str
    text: str
    index: int
    sources: str = ""

    @property
    def failed(self) -> bool:
        return self.text.startswith(FAILED_PREFIX.strip())


class Browser:
    """One person's browser: the cookie jar every tab shares, whichever replica a tab is open on.

    The page names its anonymous user with a signed cookie it issues (``agent.ui.identity``); replicas
    that share the signing key accept each other's cookie, so one browser is one user on all of them.
    Its tabs share one connection pool, as a browser's do: a new ``httpx.Client`` per tab built a TLS
    context each time, 30 ms of the load generator's CPU per tab (measured), which on 2 cores was taken
    from the replicas it measures.
    """

    def __init__(self, timeout: float = 300.0) -> None:
        import httpx

        self.cookies = http.cookiejar.CookieJar()
        self.http = httpx.Client(timeout=timeout, cookies=self.cookies)

    def close(self) -> None:
        self.http.close()

    @property
    def user(self) -> str:
        """The user id the page issued to this browser ("" before its first request)."""
        from agent.ui.identity import COOKIE_PREFIX

        for cookie in self.cookies:
            if cookie.name.startswith(COOKIE_PREFIX) and cookie.value:
                return cookie.value.rpartition(".")[0]
        return ""


class PageClient:
    """A tab of the chat page at ``url`` for one conversation, in ``browser`` (a new one by default)."""

    def __init__(self, url: str, session: str, browser: Browser | None = None) -> None:
        self.url = url.rstrip("/")
        self.browser = browser or Browser()
        self.http = self.browser.http
        self.session = session
        self.session_hash = uuid.uuid4().hex[:12]
        config = self.http.get(f"{self.url}/config").raise_for_status().json()
        self._handlers = {d["api_name"]: d for d in config["dependencies"] if d.get("api_name")}
        self._components = {c["id"]: c for c in config["components"]}

    @property
    def user(self) -> str:
        return self.browser.user

    def _inputs(self, handler: str, values: dict[str, Any]) -> list[Any]:
        """A handler's inputs as the front end sends them: the tab's conversation id for the browser
        state, nothing for server-side state, ``values`` by element id (or component type) for the rest."""
        inputs = []
        for component_id in self._handlers[handler]["inputs"]:
            component = self._components[component_id]
            kind, elem_id = component.get("type"), (component.get("props") or {}).get("elem_id")
            if kind == "browserstate":
                inputs.append({"session": self.session})
            elif kind == "state":
                inputs.append(None)
            else:
                inputs.append(values.get(elem_id, values.get(kind, "")))
        return inputs

    def call(
        self,
        handler: str,
        values: dict[str, Any] | None = None,
        event_data: dict[str, Any] | None = None,
        started: threading.Event | None = None,
    ) -> list[Any]:
        """Run one handler as the page would on a click; its final outputs. ``started`` is set at the
        handler's first streamed output (for a turn: the agent is at work)."""
        import httpx

        dependency = self._handlers[handler]
        payload = {
            "data": self._inputs(handler, values or {}),
            "event_data": event_data,
            "fn_index": dependency["id"],
            "trigger_id": dependency["targets"][0][0] if dependency["targets"] else None,
            "session_hash": self.session_hash,
        }
        try:
            joined = (
                self.http.post(f"{self.url}/gradio_api/queue/join", json=payload).raise_for_status().json()
            )
            with self.http.stream(
                "GET", f"{self.url}/gradio_api/queue/data", params={"session_hash": self.session_hash}
            ) as events:
                for line in events.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    message = json.loads(line[5:])
                    if message.get("event_id") != joined["event_id"]:
                        continue
                    if started is not None and message.get("msg") == "process_generating":
                        started.set()
                    if message.get("msg") == "process_completed":
                        if not message.get("success"):
                            raise PageError(str((message.get("output") or {}).get("error") or message))
                        return list(message["output"]["data"])
        except httpx.HTTPError as exc:
            raise PageError(f"{type(exc).__name__}: {exc}") from exc
        raise PageError(f"the page closed the stream before {handler} completed")

    def load(self) -> list[dict[str, Any]]:
        """Open the tab: the conversation the page restores for this identity (its chat messages)."""
        outputs = self.call("load")
        return list(shown_value(outputs[1]) or [])

    def ask(self, message: str, started: threading.Event | None = None) -> Answer:
        """Send a message; the answer once it has streamed in (``started``: set when it begins to)."""
        outputs = self.call("respond", {"message": message}, started=started)
        messages = list(shown_value(outputs[1]) or [])
        for index in range(len(messages) - 1, -1, -1):
            item = messages[index]
            if item.get("role") != "assistant":
                continue
            text = "".join(
                part.get("text", "") for part in item.get("content") or [] if isinstance(part, dict)
            )
            reply_id = str((item.get("metadata") or {}).get("id") or "").removeprefix("reply-")
            answer, _, sources = text.partition(SOURCES_MARK)
            return Answer(reply_id, answer.strip(), index, sources)
        raise PageError(f"no answer in the chat after {message!r}")

    def rate(self, answer: Answer, liked: bool | str, comment: str = "", correction: str = "") -> str:
        """A thumb (True/False) or a reason ("Too long", ...) under an answer of this tab; the status line."""
        event = {"index": answer.index, "value": answer.text, "liked": liked}
        boxes = {"feedback-comment": comment, "feedback-correction": correction}
        outputs = self.call("like", boxes, event_data=event)
        return str(outputs[0] or "")

    def upload(self, paths: list[Path]) -> str:
        """Drop files on the upload box; the upload status line."""
        files = [("files", (p.name, p.read_bytes())) for p in paths]
        stored = self.http.post(f"{self.url}/gradio_api/upload", files=files).raise_for_status().json()
        data = [
            {"path": path, "orig_name": p.name, "meta": {"_type": "gradio.FileData"}}
            for path, p in zip(stored, paths, strict=True)
        ]
        return str(self.call("upload", {"file": data})[0] or "")


def recorded(status: str) -> bool:
    """Whether a rating's status line says the feedback was stored (``ChatPage._record``)."""
    return status.startswith("✅ Feedback recorded")
