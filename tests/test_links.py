"""Links in documents: only the user's own, or the bundled notes' https links to known hosts, reach the user.

Every form a browser or a Markdown renderer would follow or fetch is planted in an indexed document
(scheme-relative, IP hosts, data:/javascript:, Markdown images, HTML tags...); none may appear in an
answer, in its quoted sources, in the notes overview or in an MCP result. A link the user wrote may be
answered with, and so may the bundled notes' own https://huggingface.co/models.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from knowledge.answer import AnswerStyle, Composer
from knowledge.links import LINK_REMOVED, NOTES_LINK_HOSTS, find_links, foreign_links, without_foreign_links
from knowledge.loader import bundled_notes_path, chunk_text
from knowledge.types import SHARED, Chunk, Citation, ScoredChunk

if TYPE_CHECKING:
    from knowledge.notes import NotesKnowledge

BUNDLED = bundled_notes_path().name

# Each form, as a document might carry it. None of them may ever be shown, whoever wrote it.
NEVER = {
    "scheme-relative image": "![m](//host.example/x.png)",
    "scheme-relative bare": "//evil.example.net/x.png",
    "img tag, IP host": '<img src="//127.0.0.1:7960/x.png">',
    "IP host with scheme": "http://127.0.0.1:7960/x",
    "IP host bare": "10.0.0.1/x",
    "IP host, no path": "192.168.1.20",
    "localhost": "localhost:7960/gradio_api/queue/join",
    "hex IP": "http://0x7f000001/admin",
    "short IP": "http://127.1/admin",
    "full-width IP": "http://１２７.0.0.1/x",
    "percent-encoded IP": "http://%31%32%37.0.0.1/x",
    "IPv6": "http://[::1]:7960/x",
    "data URL": "data:image/png;base64,iVBORw0KGgo=",
    "javascript URL": "javascript:alert(document.cookie)",
    "javascript Markdown link": "[click](javascript:alert(1))",
    "vbscript": "vbscript:msgbox(1)",
    "file URL": "file:///etc/passwd",
    "mailto": "mailto:someone@evil.example.com",
    "e-mail": "write to someone@evil.example.com",
    "user info": "https://huggingface.co@evil.example.net/login",
    "relative Markdown link": "[log out](/logout)",
    "relative Markdown image": "![x](x.png)",
    "image of a trusted host": "![hub](https://huggingface.co/front/thumbnail.png)",
    "reference definition": "[logo]: //evil.example.net/logo.png",
    "reference image": "![logo][logo]",
    "iframe": '<iframe src="https://evil.example.com/"></iframe>',
    "anchor tag": '<a href="https://evil.example.com/">here</a>',
    "style url": '<div style="background:url(https://evil.example.com/x.png)">x</div>',
    "video poster": '<video poster="https://evil.example.com/p.png">',
    "cut-off tag attribute": 'src="https://evil.example.com/x.png">',
    "other scheme with //": "steam://run/1",
    "websocket": "wss://evil.example.com/socket",
}
# Forms the user may write and then see quoted, but only when they wrote them.
FOREIGN_UNLESS_WRITTEN = {
    "https": "https://evil.example.com/login?steal=1",
    "http": "http://evil.example.com/x",
    "www": "www.evil.example.net/vocab",
    "bare host with path": "evil.example.com/login",
    "host with port": "evil.example.com:8443",
    "autolink": "<https://evil.example.com/a>",
    "Markdown link": "[docs](https://evil.example.com/docs)",
}
NOT_LINKS = [
    "**GPT-2:**  The model takes in text and generates text.",
    "Note: this is important.",
    "The training data: 40GB of text.",
    "There are four sizes: **117M**, **345M**, **762M**, and **1.5B** parameters.",
    "Tokens such as <s> and </s> mark the start and the end.",
    "It scored 0.87 on the test set, e.g. better than 0.80.",
    "Use a ratio of 1:4 for the split.",
    "For 0 < a < 1 the table shrinks; the url (its address) is not needed.",
    "Tags such as < img > written with spaces are text, not HTML.",
]


@pytest.mark.parametrize("form", list(NEVER.values()), ids=list(NEVER))
def test_dangerous_forms_are_foreign_even_when_the_user_wrote_them(form: str) -> None:
    sentence = f"The merge step is explained at {form} in detail."
    assert foreign_links(sentence, question=f"What does {form} say?"), form
    assert foreign_links(sentence, question="", source=BUNDLED), form
    shown = without_foreign_links(sentence)
    assert LINK_REMOVED in shown
    assert not find_links(shown.replace(LINK_REMOVED, "")), shown


@pytest.mark.parametrize("form", list(FOREIGN_UNLESS_WRITTEN.values()), ids=list(FOREIGN_UNLESS_WRITTEN))
def test_web_links_are_foreign_unless_the_user_wrote_them(form: str) -> None:
    sentence = f"The merge step is explained at {form} in detail."
    assert foreign_links(sentence, "What does the merge step do?")
    assert foreign_links(sentence, "What does the merge step do?", source="upload.md")
    written = [link.url for link in find_links(form) if link.url][0]
    assert foreign_links(sentence, f"I read {written} - what does the merge step do?") == []


def test_only_the_bundled_notes_own_https_links_to_known_hosts_are_allowed() -> None:
    own = "Explore the [Model Hub](https://huggingface.co/models) to compare models."
    assert frozenset({"huggingface.co"}) == NOTES_LINK_HOSTS
    assert foreign_links(own, "", source=BUNDLED, owner=SHARED) == []
    assert foreign_links(own, "", source="study-notes-copy.md", owner=SHARED)  # not the notes' own
    assert foreign_links(own, "", source=BUNDLED, owner="mallory")  # a user's upload of the same name
    assert foreign_links(own, "", source=BUNDLED)  # a document whose owner is not known
    assert foreign_links(own.replace("https://", "http://"), "", source=BUNDLED, owner=SHARED)  # https only
    evil = own.replace("huggingface.co", "huggingface.co.evil.net")
    assert foreign_links(evil, "", source=BUNDLED, owner=SHARED)
    assert foreign_links(own.replace("huggingface.co", "evil.example.com"), "", source=BUNDLED, owner=SHARED)


@pytest.mark.parametrize("text", NOT_LINKS)
def test_bold_labels_and_prose_are_not_links(text: str) -> None:
    assert find_links(text) == [], text


def test_no_sentence_of_the_bundled_notes_is_taken_for_a_link() -> None:
    text = bundled_notes_path().read_text(encoding="utf-8")
    chunks = chunk_text(text, BUNDLED)
    assert chunks and all(foreign_links(c.text, "", BUNDLED, SHARED) == [] for c in chunks)
    # Their one link is in a heading, so it is the section's name, not a passage.
    assert [text[link.start : link.end] for link in find_links(text) if link.kind == "url"] == [
        "https://huggingface.co/models"
    ]


# --- the composer, on passages that carry each form ------------------------------------------------

MARKERS = (
    "//",
    "127.0.0.1",
    "evil.example",
    "javascript:",
    "vbscript:",
    "data:",
    "<img",
    "![",
    "](",
    "<iframe",
)


def _chunk(text: str, source: str, section: str = "Tokenizers") -> Chunk:
    return Chunk(f"{source}-{abs(hash(text))}", text, section, source, 0, len(text))


@pytest.fixture(scope="module")
def composer() -> Composer:
    from knowledge.embeddings import embed

    return Composer(embed)


def _compose(
    composer: Composer, question: str, chunk: Chunk, detail: str = "detailed"
) -> tuple[str, list[str]]:
    from knowledge.embeddings import embed_one

    ranked = [ScoredChunk(chunk, 1.0, dense=0.9)]
    answer = composer.compose(embed_one(question), question, ranked, AnswerStyle.named(detail))
    return answer.text, [c.quote for c in answer.citations]


@pytest.mark.parametrize(
    "form", [*NEVER.values(), *FOREIGN_UNLESS_WRITTEN.values()], ids=[*NEVER, *FOREIGN_UNLESS_WRITTEN]
)
def test_a_passage_sentence_with_a_link_never_reaches_the_answer_or_its_quote(
    composer: Composer, form: str
) -> None:
    text = (
        "Byte pair encoding merges the most frequent pair of symbols. "
        f"Byte pair encoding is shown at {form} with pictures. "
        "Byte pair encoding repeats merges until the vocabulary is full."
    )
    chunk = _chunk(text, "upload.md")
    answer, quotes = _compose(composer, "What does byte pair encoding merge?", chunk)
    assert "most frequent pair" in answer  # the passage did answer
    for shown in (answer, *quotes):
        assert form not in shown and "pictures" not in shown, shown
    # A quote that skips the planted sentence is split in two, each still the source's own text.
    assert all(q in text for q in quotes) and len(quotes) == 2, quotes


def test_a_link_the_user_wrote_may_be_in_the_answer(composer: Composer) -> None:
    link = "https://example.org/bpe"
    chunk = _chunk(f"The byte pair encoding reference lives at {link} for everyone.", "upload.md")
    answer, quotes = _compose(
        composer, f"I found {link} - where does the byte pair encoding reference live?", chunk
    )
    assert link in answer and link in quotes[0]
    answer, _ = _compose(composer, "Where does the byte pair encoding reference live?", chunk)
    assert link not in answer


def test_the_notes_own_hub_link_may_be_in_the_answer(composer: Composer) -> None:
    link = "https://huggingface.co/models"
    text = f"You can browse and compare pretrained models on the Model Hub at {link} for free."
    answer, _ = _compose(composer, "Where can I browse pretrained models?", _chunk(text, BUNDLED))
    assert link in answer
    answer, _ = _compose(
        composer, "Where can I browse pretrained models?", _chunk(text, "study-notes-copy.md")
    )
    assert link not in answer


# --- end to end: a planted document, retrieval, answers, the overview ------------------------------

PLANTED = """# Planted

## Kernels

A kernel maps inputs into a feature space ![m](//127.0.0.1:7960/k.png) where classes separate. Kernels let linear models fit curved boundaries.

## Dropout

Dropout zeroes random activations during training <img src="//127.0.0.1:7960/d.png">. Dropout reduces overfitting in large networks.

## Momentum

Momentum keeps a running average of past gradients, see http://10.0.0.1/momentum for a plot. Momentum speeds up training in narrow valleys.

## Batch normalisation

Batch normalisation rescales activations with data:image/png;base64,iVBORw0KGgo= inside each batch. Batch normalisation keeps activations in a stable range.

## Weight decay

Weight decay [shrinks weights](javascript:alert(1)) a little at every step. Weight decay discourages very large weights.
"""
QUESTIONS = [
    "What does a kernel do?",
    "What does dropout zero?",
    "What does momentum keep?",
    "What does batch normalisation rescale?",
    "What does weight decay discourage?",
]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> NotesKnowledge:
    from knowledge.notes import NotesKnowledge

    folder = tmp_path_factory.mktemp("planted")
    doc = folder / "planted.md"
    doc.write_text(PLANTED, encoding="utf-8")
    knowledge = NotesKnowledge(folder / "home", index_bundled=False)
    assert knowledge.index([doc]).added == 5
    return knowledge


@pytest.mark.parametrize("question", QUESTIONS)
def test_answers_from_a_planted_document_carry_none_of_its_links(
    planted: NotesKnowledge, question: str
) -> None:
    from agent.ui.render import citations_markdown

    answer = planted.answer(question, AnswerStyle.named("detailed")).answer
    assert answer.in_scope and answer.citations, question
    for shown in (answer.text, *(c.quote for c in answer.citations)):
        assert not any(marker in shown for marker in MARKERS), shown
    markdown = citations_markdown(answer.citations)
    assert not any(marker in markdown for marker in MARKERS), markdown


def test_the_notes_overview_shows_no_planted_link(planted: NotesKnowledge, tmp_path: Path) -> None:
    from tools.base import ToolContext
    from tools.notes_overview import notes_overview

    result = notes_overview(ToolContext(tmp_path, knowledge=planted))
    assert len(result.citations) == 5
    assert not any(marker in result.text for marker in MARKERS), result.text
    # the openings are shown: a bare URL, a data URI and an HTML tag replaced, a Markdown link or image as its text
    assert result.text.count(LINK_REMOVED) == 3
    assert "feature space m where" in result.text and "shrinks weights a little" in result.text


def test_quotes_on_the_page_and_over_mcp_are_inert() -> None:
    from agent.ui.mcp_tools import format_result
    from agent.ui.render import citations_markdown
    from tools.base import ToolResult

    hostile = Citation(
        'Intro <img src="//127.0.0.1/s.png">',
        "![x](//evil.example.net/f.png).md",
        0,
        10,
        'See ![m](//host.example/x.png) and <img src="//127.0.0.1:7960/x.png"> and [go](javascript:alert(1)).',
        "c1",
    )
    markdown = citations_markdown([hostile])
    for marker in ("<img", "![", "](", "127.0.0.1", "javascript:", "//"):
        assert marker not in markdown, markdown
    text = format_result(ToolResult(text="Answer.", citations=[hostile]))
    for marker in ("<img", "![", "127.0.0.1", "javascript:", "//"):
        assert marker not in text, text
    # The bundled notes' own link stays in their quotes, as text.
    own = Citation("Hub", BUNDLED, 0, 10, "Browse https://huggingface.co/models today.", "c2")
    assert "huggingface.co/models" in citations_markdown([own])


def test_the_page_and_mcp_show_a_citation_alike() -> None:
    """One reading of a citation for every front end: the page only escapes it for Markdown on top."""
    from agent.ui.mcp_tools import format_result
    from agent.ui.render import citations_markdown
    from tools.base import ToolResult

    citation = Citation(
        "Notes > *Attention*",
        "notes.md",
        0,
        10,
        "Attention  **weighs** tokens; see [the demo](https://evil.example/a) or\nhttps://evil.example/b.",
        "c1",
    )
    mcp = format_result(ToolResult(text="Answer.", citations=[citation]))
    page = citations_markdown([citation.to_dict()])  # a stored reply's citation comes back as a dict
    assert f'- Notes > *Attention*: "Attention weighs tokens; see the demo or {LINK_REMOVED}."' in mcp
    assert "Attention weighs tokens; see the demo or \\(link removed\\)." in page
    assert "evil.example" not in mcp + page
    # a citation a client sends with only some fields is still drawn
    assert "**A > B**" in citations_markdown([{"section": "A > B", "quote": "Short.", "page": None}])
