"""Chat-model backends behind one setting (``ATTENTIVE_LLM`` / ``--llm``).

Every backend is a LangChain ``BaseChatModel``, so the loop never asks which
one it has. A spec is ``SCHEME:TARGET``; each scheme maps to one builder in
``BACKENDS``, so a new backend plugs in by adding one entry, never by touching
the loop. Builders import their heavy libraries lazily: parsing a spec or
describing it for the settings panel loads nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

SPEC_FORMS = (
    "llamacpp:PATH.gguf",
    "llamacpp:embedded (or just 'embedded')",
    "hf:MODEL_ID_OR_FOLDER",
    "openai:BASE_URL#MODEL",
)

# Key set in a model's ``metadata`` by our builders; read by backend_supports_native_tools.
NATIVE_TOOLS_KEY = "attentive_native_tools"


class BackendSpecError(ValueError):
    """A backend spec that names no known scheme or a target that cannot work."""


@dataclass(frozen=True)
class BackendSpec:
    """A parsed ``SCHEME:TARGET[#MODEL]`` string."""

    scheme: str
    target: str
    model: str | None = None


@dataclass(frozen=True)
class BackendOptions:
    """Knobs every builder receives; a builder ignores those it has no use for."""

    n_threads: int = 2
    max_tokens: int = 512


Builder = Callable[[BackendSpec, BackendOptions], "BaseChatModel"]


@dataclass(frozen=True)
class Backend:
    """One registry entry: how to build the model and what the loop may expect of it."""

    build: Builder
    engine: str
    native_tools: bool  # True: the model picks tools itself; False: the router picks for it


def _valid_forms() -> str:
    return "valid forms: " + ", ".join(SPEC_FORMS)


def parse_spec(spec: str) -> BackendSpec:
    """Split a spec into scheme, target and (for ``openai``) model, checking its shape only."""
    text = spec.strip()
    if text == "embedded":
        text = "llamacpp:embedded"
    scheme, sep, rest = text.partition(":")
    scheme = scheme.lower()
    if not sep or scheme not in BACKENDS:
        raise BackendSpecError(f"unknown LLM backend {spec!r}; {_valid_forms()}")
    rest = rest.strip()
    if not rest:
        raise BackendSpecError(f"LLM backend {spec!r} names no model; {_valid_forms()}")
    if scheme == "openai":
        base_url, hash_, model = rest.rpartition("#")
        if not hash_ or not base_url or not model:
            raise BackendSpecError(
                f"openai backend needs BASE_URL#MODEL, e.g. openai:http://127.0.0.1:8000/v1#smollm2; got {spec!r}"
            )
        if not base_url.startswith(("http://", "https://")):
            raise BackendSpecError(f"openai BASE_URL must start with http:// or https://, got {base_url!r}")
        return BackendSpec(scheme, base_url, model)
    return BackendSpec(scheme, rest)


def resolve_gguf(target: str) -> Path:
    """The GGUF file a ``llamacpp`` target names; ``embedded`` is the bundled SmolLM2."""
    if target == "embedded":
        from knowledge.embedded_models import smollm2_gguf_path

        return smollm2_gguf_path()
    path = Path(target).expanduser()
    if not path.is_file():
        raise BackendSpecError(f"llamacpp model file not found: {path} (give a .gguf file or 'embedded')")
    return path.resolve()


def _build_llamacpp(spec: BackendSpec, options: BackendOptions) -> BaseChatModel:
    from agent.backends.llamacpp import build_llamacpp_chat

    return build_llamacpp_chat(
        resolve_gguf(spec.target), n_threads=options.n_threads, max_tokens=options.max_tokens
    )


def _build_hf(spec: BackendSpec, options: BackendOptions) -> BaseChatModel:
    from agent.backends.hf import build_hf_chat

    return build_hf_chat(spec.target, n_threads=options.n_threads, max_tokens=options.max_tokens)


def _build_openai(spec: BackendSpec, options: BackendOptions) -> BaseChatModel:
    from agent.backends.openai import build_openai_chat

    api_key = os.environ.get("OPENAI_API_KEY") or "not-needed"
    return build_openai_chat(spec.target, spec.model or "", api_key=api_key, max_tokens=options.max_tokens)


BACKENDS: dict[str, Backend] = {
    "llamacpp": Backend(_build_llamacpp, engine="llama.cpp", native_tools=False),
    "hf": Backend(_build_hf, engine="transformers", native_tools=False),
    "openai": Backend(_build_openai, engine="OpenAI-compatible server", native_tools=True),
}


def load_chat_model(spec: str, *, n_threads: int = 2, max_tokens: int = 512) -> BaseChatModel:
    """The chat model a spec names, e.g. ``llamacpp:embedded`` or ``openai:http://host/v1#model``."""
    parsed = parse_spec(spec)
    backend = BACKENDS[parsed.scheme]
    model = backend.build(parsed, BackendOptions(n_threads=n_threads, max_tokens=max_tokens))
    model.metadata = {**(model.metadata or {}), NATIVE_TOOLS_KEY: backend.native_tools}
    return model


def backend_supports_native_tools(model: BaseChatModel | str) -> bool:
    """Whether the loop can let this model pick tools itself; small local models cannot."""
    if isinstance(model, str):
        return BACKENDS[parse_spec(model).scheme].native_tools
    flag = (model.metadata or {}).get(NATIVE_TOOLS_KEY)
    if flag is not None:
        return bool(flag)
    return type(model).__module__.startswith("langchain_openai")


def describe(spec: str, native_tools: bool | None = None) -> str:
    """One line for the settings panel: which engine runs which model, and who picks the tools.

    ``native_tools`` is what the agent actually does (``ATTENTIVE_TOOL_CHOICE`` may override the
    backend); left out, the backend's own default is described. Nothing is loaded.
    """
    parsed = parse_spec(spec)
    backend = BACKENDS[parsed.scheme]
    if parsed.scheme == "llamacpp" and parsed.target == "embedded":
        try:
            from knowledge.embedded_models import smollm2_gguf_path

            what = f"{smollm2_gguf_path().name} (embedded)"
        except RuntimeError:
            what = "SmolLM2-135M-Instruct (embedded, not installed)"
    elif parsed.scheme == "llamacpp":
        what = Path(parsed.target).name
    elif parsed.model:
        what = f"{parsed.model} at {parsed.target}"
    else:
        what = parsed.target
    native = backend.native_tools if native_tools is None else native_tools
    tools = "native tool calling" if native else "tools chosen by the router"
    return f"{backend.engine} · {what} · {tools}"


__all__ = [
    "BACKENDS",
    "SPEC_FORMS",
    "Backend",
    "BackendOptions",
    "BackendSpec",
    "BackendSpecError",
    "backend_supports_native_tools",
    "describe",
    "load_chat_model",
    "parse_spec",
]
