"""The chat page end to end: a real Agent behind the Gradio app, driven in headless Chromium.

The app runs in a thread on 127.0.0.1 with a free port and its own data home.
Playwright waits on page elements (never on fixed sleeps). Screenshots are kept
under test-output/ for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from clarifying import clarifying
from page_support import ANSWER_TIMEOUT_MS, ask, running_page, shot

pytestmark = pytest.mark.slow

# Records the length of the last answer bubble at every DOM change, to prove it grew while streaming.
WATCH_STREAM = """
() => {
  window.__lengths = [];
  const chat = document.querySelector('#chat');
  new MutationObserver(() => {
    const rows = chat.querySelectorAll('.bot-row');
    if (rows.length) window.__lengths.push(rows[rows.length - 1].innerText.length);
  }).observe(chat, {subtree: true, childList: true, characterData: true});
}
"""

# The answer text of the last bot bubble: the message that carries the "Sources" list, cut before it.
LAST_ANSWER = """
() => {
  const rows = document.querySelectorAll('#chat .bot-row');
  const parts = [...rows[rows.length - 1].querySelectorAll('.message-content')].map(e => e.innerText);
  const answer = parts.find(t => t.includes('Sources')) ?? parts[parts.length - 1] ?? '';
  return answer.split('Sources')[0].trim();
}
"""


@pytest.fixture(scope="module")
def server(shared_agent: object) -> Iterator[SimpleNamespace]:
    """The suite's warm Agent (its own tmp data home); each browser is a new user, so nothing crosses."""
    with running_page(shared_agent) as page:
        yield page


def _open(browser: object, server: SimpleNamespace) -> object:
    """A fresh browser context (its own localStorage, so its own user) with the page loaded."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(server.url)
    expect(page.locator("#answer-status")).to_contain_text("Ready", timeout=60_000)
    return page


@pytest.fixture
def page(browser: object, server: SimpleNamespace) -> Iterator[object]:
    page = _open(browser, server)
    yield page
    page.context.close()


def test_question_gets_a_streamed_answer_with_a_citation(page: object, test_output: Path) -> None:
    from playwright.sync_api import expect

    page.evaluate(WATCH_STREAM)
    ask(page, "What is positional encoding?")
    last = page.locator("#chat .bot-row").last
    expect(last).to_contain_text("Sources")
    expect(last.locator("li").filter(has_text=re.compile("Positional Encoding", re.I)).first).to_be_visible()
    expect(last.locator("li").first).to_contain_text("“")  # the quoted span of the notes
    expect(last).to_contain_text("search_notes")  # the tool step, folded above the answer
    lengths = page.evaluate("window.__lengths")
    growing = sorted({n for n in lengths if n > 0})
    assert len(growing) >= 3, f"the answer arrived in one piece, not streamed: {lengths}"
    shot(page, test_output, "streamed-answer")


def test_attention_demo_shows_its_heatmap_inline(
    page: object, server: SimpleNamespace, test_output: Path
) -> None:
    from playwright.sync_api import expect

    ask(page, "show me attention in 'The cat sat on the mat'")
    last = page.locator("#chat .bot-row").last
    expect(last).to_contain_text("attention_demo")
    image = last.locator("img").first
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=image.element_handle())
    response = page.request.get(image.get_attribute("src"))
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    shot(page, test_output, "attention-demo")

    page.reload()  # the figure and the sources come back with the conversation
    expect(page.locator("#answer-status")).to_contain_text("conversation restored (1 answer)", timeout=60_000)
    restored = page.locator("#chat .bot-row").last
    expect(restored).to_contain_text("attention_demo")
    expect(restored).to_contain_text("Sources")
    image = restored.locator("img").first
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=image.element_handle())


def test_files_outside_the_artifacts_folder_are_refused(server: SimpleNamespace) -> None:
    private = server.home / "uploads" / "private-note.md"
    private.parent.mkdir(exist_ok=True)
    private.write_text("not for the web")
    for path in (private, Path("/etc/passwd"), Path(__file__)):
        response = httpx.get(f"{server.url}/gradio_api/file={path}")
        assert response.status_code == 403, path


def test_dislike_with_a_comment_makes_the_next_answer_shorter_and_survives_reload(
    page: object, test_output: Path
) -> None:
    from playwright.sync_api import expect

    question = "What is self-attention?"
    ask(page, question)
    first = page.evaluate(LAST_ANSWER)
    page.locator("#feedback-comment textarea").fill("too long")
    page.locator("#chat .message-buttons-left").last.get_by_role("button", name="Dislike", exact=True).click()
    expect(page.locator("#feedback-status")).to_contain_text("Feedback recorded (👎), with your comment")
    expect(page.locator("#feedback-comment textarea")).to_have_value("")
    ask(page, question)
    second = page.evaluate(LAST_ANSWER)
    assert 0 < len(second) < len(first), (first, second)
    thumbs = page.locator("#chat .message-buttons-left")  # the new turn streams in as plain messages,
    expect(thumbs.first.get_by_role("button", name="Disliked", exact=True)).to_be_visible()  # rating kept
    page.locator("#chat .message-buttons-left").last.get_by_role("button", name="Like", exact=True).click()
    expect(page.locator("#feedback-status")).to_contain_text("Feedback recorded (👍). Add a comment")
    page.locator("#feedback-comment textarea").fill("better, thanks")
    page.locator("#feedback-send").click()
    expect(page.locator("#feedback-status")).to_contain_text("Feedback recorded (👍), with your comment")
    shot(page, test_output, "after-dislike")

    page.reload()
    expect(page.locator("#answer-status")).to_contain_text(
        "conversation restored (2 answers)", timeout=60_000
    )
    expect(page.locator("#chat .user-row")).to_have_count(2)
    for answer in (page.locator("#chat .bot-row").first, page.locator("#chat .bot-row").last):
        expect(answer).to_contain_text("Sources")  # the citations come back, not only the text
        expect(answer.locator("li").first).to_contain_text("“")
        expect(answer).to_contain_text("search_notes")  # and the tool step above the answer
    thumbs = page.locator("#chat .message-buttons-left")
    expect(thumbs.first.get_by_role("button", name="Disliked", exact=True)).to_be_visible()
    expect(thumbs.last.get_by_role("button", name="Liked", exact=True)).to_be_visible()
    shot(page, test_output, "after-reload")


def test_reasons_are_offered_under_the_flag_and_one_click_records_it(
    page: object, server: SimpleNamespace, test_output: Path
) -> None:
    from playwright.sync_api import expect

    from agent.ui.reasons import REASONS

    ask(page, "What is a neuron?")
    flag = page.locator("#chat .message-buttons-left").last.locator(".extra-feedback")
    flag.hover()  # the reasons open under the flag, beside the thumbs
    options = flag.locator(".extra-feedback-option")
    expect(options).to_have_text([reason.label for reason in REASONS])
    shot(page, test_output, "feedback-reasons")
    options.filter(has_text="Too long").click()
    expect(page.locator("#feedback-status")).to_contain_text("Feedback recorded (👎 Too long)")
    last = server.agent.feedback_service.store.events()[-1]  # stored before the status line says so
    assert (last.score, last.comment) == (-1, "too long")


def test_uploaded_document_is_indexed_and_cited(
    page: object, server: SimpleNamespace, tmp_path: Path, test_output: Path
) -> None:
    _upload_andask(page, tmp_path, test_output)
    # The uploads are this browser's user's alone: the shared library (what a new user sees) has neither.
    assert not {"kestrel-attention.md", "lectures.pdf"} & set(server.agent.knowledge.sources())
    # Gradio's cached copies (refused ones included) are gone; the kept copies are in the user's own folder.
    names = {"kestrel-attention.md", "lectures.pdf", "slides.pptx"}
    assert not [p for p in (server.home / "gradio-cache").rglob("*") if p.name in names]
    kept = {p.name for p in (server.home / "uploads").rglob("*") if p.is_file()}
    assert {"kestrel-attention.md", "lectures.pdf"} <= kept and "slides.pptx" not in kept


def _upload_andask(page: object, tmp_path: Path, test_output: Path) -> None:
    from playwright.sync_api import expect

    from bench.documents import invented_term, lecture_pdf

    upload = page.locator("#upload input[type=file]")
    slides = tmp_path / "slides.pptx"
    slides.write_bytes(b"PK\x03\x04 not a document we read")
    upload.set_input_files(str(slides))
    expect(page.locator("#upload-status")).to_contain_text("slides.pptx: only .md, .markdown, .txt, .pdf")

    doc = tmp_path / "kestrel-attention.md"
    doc.write_text(
        "# Kestrel attention\n\n"
        "Kestrel attention is an attention variant in which every token attends only to the tokens "
        "at prime-numbered positions. Kestrel attention was invented for these tests and appears in no "
        "other notes, so an answer about it must come from this document.\n"
    )
    upload.set_input_files(str(doc))
    expect(page.locator("#upload-status")).to_contain_text(
        "Indexed kestrel-attention.md", timeout=ANSWER_TIMEOUT_MS
    )
    ask(page, "What is Kestrel attention?")
    last = page.locator("#chat .bot-row").last
    expect(last.locator("li").filter(has_text="kestrel-attention.md").first).to_be_visible()
    expect(last).to_contain_text("prime-numbered positions")
    shot(page, test_output, "upload-answer")

    pdf = tmp_path / "lectures.pdf"
    pdf.write_bytes(lecture_pdf(3))
    upload.set_input_files(str(pdf))
    expect(page.locator("#upload-status")).to_contain_text("Indexed lectures.pdf", timeout=ANSWER_TIMEOUT_MS)
    ask(page, f"What is the {invented_term(2)} schedule?")
    last = page.locator("#chat .bot-row").last
    expect(last.locator("li").filter(has_text="lectures.pdf, p. 2").first).to_be_visible()
    shot(page, test_output, "upload-pdf-answer")


def test_two_browsers_keep_separate_conversations(
    browser: object, server: SimpleNamespace, test_output: Path
) -> None:
    from playwright.sync_api import expect

    alice = _open(browser, server)
    bob = _open(browser, server)
    try:
        ask(alice, "What is a neuron?")
        bob.reload()
        expect(bob.locator("#answer-status")).to_contain_text("Ready.", timeout=60_000)
        expect(bob.locator("#chat .user-row")).to_have_count(0)
        ask(bob, "What is backpropagation?")
        alice.reload()
        expect(alice.locator("#answer-status")).to_contain_text(
            "conversation restored (1 answer)", timeout=60_000
        )
        expect(alice.locator("#chat .user-row")).to_have_text(["What is a neuron?"])
        expect(bob.locator("#chat .user-row")).to_have_text(["What is backpropagation?"])
        shot(alice, test_output, "two-users-alice")
        shot(bob, test_output, "two-users-bob")
    finally:
        alice.context.close()
        bob.context.close()


def test_new_conversation_starts_empty_and_keeps_the_user(page: object) -> None:
    from playwright.sync_api import expect

    ask(page, "What is a transformer?")
    page.locator("#new-conversation").click()
    expect(page.locator("#answer-status")).to_contain_text("New conversation")
    expect(page.locator("#chat .user-row")).to_have_count(0)
    page.reload()
    expect(page.locator("#answer-status")).to_contain_text("Ready.", timeout=60_000)
    expect(page.locator("#chat .user-row")).to_have_count(0)


def test_a_clarifying_question_offers_buttons_and_a_click_answers_it(
    page: object, server: SimpleNamespace, test_output: Path
) -> None:
    from playwright.sync_api import expect

    message, choices = clarifying(server.agent)
    expect(page.locator("#choice-0")).to_be_hidden()
    ask(page, message)
    buttons = [page.locator(f"#choice-{i}") for i in range(3)]
    for button, choice in zip(buttons, choices, strict=False):
        expect(button).to_be_visible()
        expect(button).to_have_text(choice.label)
    expect(buttons[2]).to_be_hidden()
    shot(page, test_output, "clarifying-choices")

    answers = page.locator("#chat .bot-row").count()
    buttons[0].click()
    expect(page.locator("#chat .user-row").last).to_have_text(choices[0].message)
    expect(page.locator("#chat .bot-row")).to_have_count(answers + 1, timeout=30_000)
    status = page.locator("#answer-status")
    expect(status).to_contain_text(re.compile("Answered|Failed"), timeout=ANSWER_TIMEOUT_MS)
    expect(status).to_contain_text("Answered", timeout=1)
    if choices[0].intent in {d.name for d in server.agent.declarations}:
        expect(page.locator("#chat .bot-row").last).to_contain_text(choices[0].intent)  # its tool step
    for button in buttons:
        expect(button).to_be_hidden()
    shot(page, test_output, "clarifying-picked")


def test_the_examples_show_each_tools_showcase(page: object, server: SimpleNamespace) -> None:
    from playwright.sync_api import expect

    examples = page.locator("#examples")
    showcases = [d.showcase for d in server.agent.declarations]
    for showcase in showcases:  # Gradio shortens long examples on their buttons
        expect(examples.get_by_role("button", name=showcase[:40]).first).to_be_visible()
    longest = max(showcases, key=len)
    examples.get_by_role("button", name=longest[:40]).first.click()
    expect(page.locator("#message textarea")).to_have_value(longest)
