"""Links in document text: every form a browser or a Markdown renderer would follow or fetch.

A link in a document is data, but a link shown to the user is an invitation to click, and an image
or an HTML tag is a request every viewer's browser makes on its own (an uploaded
``<img src="//127.0.0.1:7960/x.png">`` in an answer makes each reader's browser call that address).
So an answer may show only

* links the user wrote in the question (plain ``http``/``https`` to a named host), and
* the bundled notes' own ``https`` links to ``NOTES_LINK_HOSTS``;

and never, whoever wrote them: scheme-relative URLs (``//host/x``), URLs whose host is an IP
address or ``localhost`` (including the forms browsers read as one: ``127.1``, ``0x7f000001``,
full-width or percent-encoded digits), URLs with a user name (``https://huggingface.co@evil.net``),
any scheme other than http(s) (``data:``, ``javascript:``, ``mailto:``...), Markdown images and
reference definitions, and HTML tags or attributes that fetch (``<img>``, ``<iframe>``, ``src=``,
``href=``, ``style=``...).

Schemes are a closed list (``SCHEMES``) plus anything written ``name://``: a bold label such as
"**GPT-2:**" or "Note:" is not a link.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal
from urllib.parse import unquote

from knowledge.loader import bundled_notes_path, plain_text
from knowledge.types import SHARED, Citation

# The hosts the bundled study notes link to (one today: "[Explore Hugging Face Model Hub](https://huggingface.co/models)").
# A constant, not a setting: the bundled file ships with the package, so its hosts change only with it.
NOTES_LINK_HOSTS = frozenset({"huggingface.co"})

# Schemes browsers, Markdown renderers or the operating system act on without "//" after the colon.
SCHEMES = (
    "https http ftp ftps sftp file data javascript vbscript mailto tel sms callto ws wss blob about "
    "chrome view-source intent cid xmpp matrix irc ircs ssh git magnet webcal news nntp feed smb jar"
).split()
LINK_REMOVED = "(link removed)"

Kind = Literal["url", "markdown", "image", "definition", "html"]

_STOP = r"\s<>\"'`"  # characters that end a bare URL in text, as Markdown autolinks and browsers read them
_FETCHING_TAGS = (
    "img image picture source video audio track iframe frame frameset embed object applet script link style "
    "svg use base meta form input button portal body table td th a area"
).split()
# Attributes that hold an address; the first group is unambiguous even outside a tag (a fragment such as
# 'src="x.png">' left after a sentence end cut the tag), the second only inside one ("data = 5" is prose).
_URL_ATTRIBUTES = "src href srcset xlink:href poster background formaction lowsrc dynsrc ping".split()
_TAG_ATTRIBUTES = [*_URL_ATTRIBUTES, *"data action cite codebase archive manifest longdesc style".split()]


def _alternatives(words: list[str]) -> str:
    return "|".join(re.escape(word) for word in words)


_PATTERNS: tuple[tuple[Kind, str], ...] = (
    # ![alt](dest) and ![alt][ref]: images, never shown whatever the destination.
    ("image", r"!\[[^\]\n]*\]\s*[(\[][^)\]\n]*[)\]]?"),
    # [text](dest), or the dangling "](dest" of one split across sentences: the destination is the link.
    ("markdown", r"\]\(\s*<?(?P<dest>[^\s)>]*)>?[^)\n]*\)?"),
    # [ref]: dest (a reference definition turns "[text][ref]" elsewhere into a link or an image).
    ("definition", r"(?m)^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*<?(?P<dest>\S*?)>?(?=\s|$)"),
    # HTML that fetches or links: such a tag (even cut off by a sentence end), any tag with an address
    # attribute or inline style, an address attribute on its own, CSS url(...), LaTeX links (KaTeX).
    # A tag name follows "<" at once, as HTML parses it, so "0 < a < 1" is prose.
    ("html", r"(?i)</?(?:" + _alternatives(_FETCHING_TAGS) + r")\b[^>\n]*>?"),
    ("html", r"(?i)<[a-z][\w:-]*\b[^>\n]*?\b(?:" + _alternatives(_TAG_ATTRIBUTES) + r")\s*=[^>\n]*>?"),
    ("html", r"(?i)(?<![\w-])(?:" + _alternatives(_URL_ATTRIBUTES) + r")\s*=\s*[\"']?[^\s>]*"),
    ("html", r"(?i)\burl\([^)\n]*\)?|@import\b[^;\n]*"),
    ("html", r"\\(?:href|url|includegraphics)\s*\{[^}\n]*\}?"),
    # scheme:..., from the closed list, or any name followed by "://".
    (
        "url",
        r"(?i)(?<![\w.+-])(?P<dest>(?:" + _alternatives(SCHEMES) + r"):(?=[^\s:])"
        r"[^" + _STOP + r"]+|[a-z][a-z0-9+.-]*://[^" + _STOP + r"]*)",
    ),
    # //host/x: scheme-relative, fetched from wherever the page is served.
    ("url", r"(?<![\w:/])(?P<dest>//[\w\[\]%.@:-][^" + _STOP + r"]*)"),
    ("url", r"(?i)\b(?P<dest>www\d{0,3}\.[\w-][^" + _STOP + r"]*)"),
    # Bare hosts: an IP address (with or without a path), localhost with a port or path, host.tld:port or /path.
    ("url", r"(?<![\w.])(?P<dest>\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?:/[^" + _STOP + r"]*)?)"),
    ("url", r"(?i)\b(?P<dest>localhost(?::\d+|/)[^" + _STOP + r"]*)"),
    ("url", r"(?i)\b(?P<dest>[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?::\d+)?/[^" + _STOP + r"]*)"),
    ("url", r"(?i)\b(?P<dest>[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}:\d+)"),
    # e-mail addresses: Markdown renderers make them mailto: links.
    ("url", r"(?<![\w.+-])(?P<dest>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"),
)


@cache
def _compiled() -> tuple[tuple[Kind, re.Pattern[str]], ...]:
    return tuple((kind, re.compile(pattern)) for kind, pattern in _PATTERNS)


@dataclass(frozen=True)
class Link:
    """One link-like span of a text: ``text[start:end]``, what kind it is, and the address it points to."""

    start: int
    end: int
    kind: Kind
    url: str  # the destination as written ("" for an image or a tag: those are never allowed)


def _tidy(url: str) -> str:
    """A bare URL without the punctuation that ends the sentence around it."""
    return url.rstrip(".,;:!?)]*_")


def find_links(text: str) -> list[Link]:
    """Every link-like span of ``text``, in order; overlapping finds are all kept (a tag and the URL inside it).

    A bare URL ends before the punctuation that ends its sentence ("see https://a.org/x." is "https://a.org/x").
    """
    return list(_links_in(text))


@lru_cache(maxsize=8192)
def _links_in(text: str) -> tuple[Link, ...]:
    """``find_links``, remembered: an answer checks each candidate sentence of the passages it draws on, twice,
    and the same passages come back turn after turn."""
    found: list[Link] = []
    for kind, pattern in _compiled():
        for match in pattern.finditer(text):
            dest = match.groupdict().get("dest")
            if dest is None:
                found.append(Link(match.start(), match.end(), kind, ""))
            elif kind == "url":
                url = _tidy(dest)
                found.append(Link(match.start(), match.start("dest") + len(url), kind, url))
            else:
                found.append(Link(match.start(), match.end(), kind, dest.strip()))
    found.sort(key=lambda link: (link.start, -link.end))
    # A bare form inside a longer URL ("huggingface.co/models" in "https://huggingface.co/models") is that URL.
    kept: list[Link] = []
    for link in found:
        inside = any(k.kind == "url" and k.start <= link.start and link.end <= k.end for k in kept)
        if link.kind != "url" or not inside:
            kept.append(link)
    return tuple(kept)


def _host(url: str) -> tuple[str, str, bool] | None:
    """(scheme, host, has user info) of an absolute or scheme-relative URL, as a browser reads the host; None if
    it has no host. Browsers treat "\\" like "/", decode %xx and map full-width characters in host names."""
    url = url.replace("\\", "/")
    match = re.match(r"(?i)(?:([a-z][a-z0-9+.-]*):)?//([^/?#]*)", url)
    if match is None:
        return None
    authority = unicodedata.normalize("NFKC", unquote(match.group(2)))
    userinfo, _, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        host = hostport[: hostport.find("]") + 1] if "]" in hostport else hostport
    else:
        host = hostport.split(":", 1)[0]
    return (match.group(1) or "").lower(), host.lower().rstrip("."), bool(userinfo)


def is_local_host(host: str) -> bool:
    """An IP literal or a name for this machine: any host whose last label is a number ("127.1",
    "0x7f000001", "2130706433", which browsers parse as IPv4 addresses), an IPv6 literal, or localhost."""
    if host.startswith("[") or host == "localhost" or host.endswith(".localhost"):
        return True
    last = host.rsplit(".", 1)[-1]
    return bool(re.fullmatch(r"0x[0-9a-f]*|[0-9]+", last))


def _absolute(link: Link) -> str | None:
    """The http(s) URL a link opens ("www.x.org/a" opens "http://www.x.org/a"), or None when it opens
    something else: another scheme, a path on the serving site, or nothing."""
    url = link.url
    if link.kind in ("image", "html") or not url:
        return None
    if url.startswith("//") or url.startswith("\\\\"):
        return None
    scheme = re.match(r"(?i)([a-z][a-z0-9+.-]*):(//)?", url)
    if scheme and (scheme.group(2) or scheme.group(1).lower() in SCHEMES):  # "host.org:8443" has no scheme
        return url if scheme.group(1).lower() in ("http", "https") else None
    if link.kind != "url":
        return None  # a Markdown destination without a scheme is a path on whatever site shows it
    if "@" in url and "/" not in url:
        return None  # an e-mail address: a mailto: link
    return f"http://{url}"


def is_bundled_source(source: str, owner: str | None) -> bool:
    """Whether a chunk (its ``source`` and ``owner``) is the study notes that ship with the package.

    The one place that decides whose links count as "the notes' own": the bundled file is indexed under
    its own name in the shared library, which refuses any other file of that name; a user's upload of
    the same name has the user as its owner, and an unknown owner (None) is nobody's notes.
    """
    return owner == SHARED and source == bundled_notes_path().name


def allowed(link: Link, question_urls: frozenset[str], source: str = "", owner: str | None = None) -> bool:
    """Whether ``link`` (found in a document from ``source``) may be shown to a user who asked with ``question_urls``.

    Images, tags, reference definitions, non-http schemes, paths on the serving site, local hosts and URLs
    with a user name never are. An http(s) link may be when the user wrote that same link, or when it is
    an https link of the bundled notes to one of ``NOTES_LINK_HOSTS``.
    """
    if link.kind == "definition":
        return False
    absolute = _absolute(link)
    if absolute is None:
        return False
    parts = _host(absolute)
    if parts is None:
        return False
    scheme, host, userinfo = parts
    if not host or userinfo or is_local_host(host):
        return False
    if link.url in question_urls:
        return True
    return scheme == "https" and host in NOTES_LINK_HOSTS and is_bundled_source(source, owner)


def question_links(question: str) -> frozenset[str]:
    """The addresses the user wrote, as ``allowed`` compares them."""
    return frozenset(link.url for link in find_links(question) if link.url)


def foreign_links(text: str, question: str = "", source: str = "", owner: str | None = None) -> list[str]:
    """The links of ``text`` (from ``owner``'s document named ``source``) that may not be shown, as written."""
    urls = question_links(question)
    return [
        text[link.start : link.end] for link in find_links(text) if not allowed(link, urls, source, owner)
    ]


def without_foreign_links(text: str, question: str = "", source: str = "", owner: str | None = None) -> str:
    """``text`` with each link that may not be shown replaced by ``LINK_REMOVED``: for names and openings shown
    as they are (section titles, an overview's first sentences), where dropping the sentence is not an option."""
    urls = question_links(question)
    spans = [(link.start, link.end) for link in find_links(text) if not allowed(link, urls, source, owner)]
    if not spans:
        return text
    out: list[str] = []
    at = 0
    for start, end in sorted(spans):
        if end <= at:
            continue
        out.append(text[at : max(at, start)])
        out.append(LINK_REMOVED if start >= at else "")
        at = end
    out.append(text[at:])
    return "".join(out)


@dataclass(frozen=True)
class ShownCitation:
    """A citation as every front end shows it: its section path and its quote, safe to print."""

    section: str
    quote: str


def shown_citation(citation: Citation) -> ShownCitation:
    """``citation``'s section path and quote as a reader is shown them (the page, MCP, the notes overview):
    the quote's Markdown stripped as answers strip it (``plain_text``: a link or an image is its text, its
    target dropped) and its white space run together; then in both, any link this reader may not see that
    is left (a bare URL, an HTML tag) replaced (``without_foreign_links``)."""

    def shown(text: str) -> str:
        return without_foreign_links(text, source=citation.source, owner=citation.owner)

    return ShownCitation(shown(citation.section), shown(" ".join(plain_text(citation.quote).split())))
