"""Keep a chat template's opening in llama.cpp's KV cache without losing reproducibility.

Every chat prompt to SmolLM2 starts with the same tokens (its default system
turn and the user header, about thirty). Re-reading them on every call cost
generate_text a tenth of its speed against raw llama-cpp-python, which reuses
whatever prefix its cache holds. Reusing an arbitrary prefix is not an option:
how much is reused then depends on the previous prompt, the rest is evaluated
in a differently shaped batch, and greedy or seeded output changes in about one
run in sixty (measured). So the opening is evaluated once on its own, kept,
and every prompt evaluates its own remainder from that same position: the same
prompt always makes the same computation.

Only chat templates that llama-cpp-python renders from the GGUF's Jinja
template are handled; anything else, or a prompt whose tokens do not start
with the opening, starts from an empty cache as before.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

_state_lock = threading.Lock()
# Keyed by the Llama itself, weakly: a new Llama at a dead one's address must not inherit its state.
_openings: weakref.WeakKeyDictionary[Any, list[int]] = weakref.WeakKeyDictionary()  # [] = do not reuse
_primed: weakref.WeakSet[Any] = weakref.WeakSet()  # caches holding exactly the opening, evaluated alone
_formatters: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def prompt_tokens(llm: Any, content: str) -> list[int] | None:
    """The tokens llama-cpp-python will evaluate for one user message, or None if not known."""
    formatter = _formatter(llm)
    if formatter is None:
        return None
    result = formatter(messages=[{"role": "user", "content": content}])
    # As llama-cpp-python's chat handler tokenizes the rendered prompt.
    return list(llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True))


def opening(llm: Any) -> list[int]:
    """Tokens every one-message chat prompt starts with; [] when the template is not ours to read."""
    with _state_lock:
        if llm in _openings:
            return _openings[llm]
    a, b = prompt_tokens(llm, "A"), prompt_tokens(llm, "zebra 42")
    shared: list[int] = []
    if a is not None and b is not None:
        for x, y in zip(a, b, strict=False):
            if x != y:
                break
            shared.append(x)
        shared = shared[:-1]  # the last shared token might merge with some message's first characters
    with _state_lock:
        _openings[llm] = shared
    return shared


def start(llm: Any, content: str) -> list[int] | None:
    """Prepare ``llm`` to answer ``content``; the prompt's tokens when the kept opening is reused, else None.

    Call it under the lock that serialises the Llama, right before
    ``create_chat_completion``; then pass what it returned to ``finish``.
    """
    head = opening(llm)
    tokens = prompt_tokens(llm, content) if head else None
    if not head or tokens is None or tokens[: len(head)] != head or len(tokens) <= len(head):
        llm.reset()
        _primed.discard(llm)
        return None
    if llm not in _primed:
        llm.reset()
        llm.eval(head)  # the opening alone, once: every later prompt builds on this same cache
        _primed.add(llm)
    llm.n_tokens = len(head)  # keep the opening; llama-cpp-python evaluates the rest from here
    return tokens


def finish(llm: Any, expected: list[int] | None) -> None:
    """Check that llama-cpp-python evaluated the ``expected`` prompt; if not, stop reusing for this Llama."""
    if expected is None:
        return
    if list(llm.input_ids[: len(expected)]) != expected:
        with _state_lock:
            _openings[llm] = []
        _primed.discard(llm)


def _formatter(llm: Any) -> Any:
    """The Jinja chat formatter llama-cpp-python builds for this GGUF, or None."""
    if llm not in _formatters:
        _formatters[llm] = _build_formatter(llm)
    return _formatters[llm]


def _build_formatter(llm: Any) -> Any:
    template = (getattr(llm, "metadata", None) or {}).get("tokenizer.chat_template")
    if getattr(llm, "chat_format", None) != "chat_template.default" or not template:
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    def text(token: int) -> str:
        return llm._model.token_get_text(token) if token != -1 else ""

    return Jinja2ChatFormatter(
        template=template,
        eos_token=text(llm.token_eos()),
        bos_token=text(llm.token_bos()),
        stop_token_ids=[llm.token_eos()],
    )
