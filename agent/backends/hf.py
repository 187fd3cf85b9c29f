"""Causal language models through transformers (``gpt2``, ``EleutherAI/gpt-neo-125m``, a folder on disk).

We use langchain-huggingface's ``ChatHuggingFace`` over a ``HuggingFacePipeline``.
Two gaps are filled here: it refuses tool messages and any conversation that
does not end with a user turn (the agent loop sends both after a tool ran),
and base models such as gpt2 carry no chat template, so a plain
"User:/Assistant:" one is set. Weights come from disk first; the Hub is tried
only when the model is not there and the Hub is not switched off.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_huggingface import ChatHuggingFace, HuggingFacePipeline

if TYPE_CHECKING:
    from langchain_core.language_models.base import LangSmithParams
    from transformers import Pipeline

# For base models: readable by a model that never saw a chat format, and it ends where the reply starts.
DEFAULT_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}\n\n"
    "{% elif message['role'] == 'user' %}User: {{ message['content'] }}\n"
    "{% elif message['role'] == 'assistant' %}Assistant: {{ message['content'] }}\n"
    "{% else %}Tool result: {{ message['content'] }}\n"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)


class HubModelMissing(ValueError):
    """The model is neither on disk nor reachable."""


def _hub_offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def _from_pretrained(loader: Any, model_id: str) -> Any:
    """Load from the local cache or folder; fall back to the Hub only when it is allowed."""
    try:
        return loader.from_pretrained(model_id, local_files_only=True)
    except OSError as local_error:
        if _hub_offline():
            raise HubModelMissing(
                f"hf model {model_id!r} is not on disk and HF_HUB_OFFLINE is set; "
                "give a folder with config.json, or a model id already in the Hugging Face cache"
            ) from local_error
        try:
            return loader.from_pretrained(model_id)
        except OSError as hub_error:
            raise HubModelMissing(f"hf model {model_id!r} could not be loaded: {hub_error}") from hub_error


@cache
def load_pipeline(model_id: str, max_new_tokens: int = 512) -> Pipeline:
    """One text-generation pipeline per model and length in this process."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

    tokenizer = _from_pretrained(AutoTokenizer, model_id)
    model = _from_pretrained(AutoModelForCausalLM, model_id)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = DEFAULT_CHAT_TEMPLATE
    return pipeline(
        "text-generation",
        model=model,
        tokenizer=tokenizer,
        max_new_tokens=max_new_tokens,
        min_new_tokens=1,  # an empty reply helps nobody; random tiny models emit EOS first otherwise
        return_full_text=False,
    )


class ChatTransformers(ChatHuggingFace):
    """``ChatHuggingFace`` that accepts tool results and conversations ending on any turn."""

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """Name the model in traces (ChatHuggingFace leaves ``ls_model_name`` out)."""
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_model_name"] = kwargs.get("model") or self.model_id or ""
        return params

    def _to_chat_prompt(self, messages: list[BaseMessage]) -> str:
        if not messages:
            raise ValueError("At least one message must be provided")
        dicts = [self._to_chatml_format(m) for m in messages]
        return self.tokenizer.apply_chat_template(dicts, tokenize=False, add_generation_prompt=True)

    def _to_chatml_format(self, message: BaseMessage) -> dict:
        if isinstance(message, SystemMessage):
            role = "system"
        elif isinstance(message, AIMessage):
            role = "assistant"
        elif isinstance(message, HumanMessage):
            role = "user"
        elif isinstance(message, ToolMessage):
            # Most small models' templates know no "tool" role; ours and ChatML-style ones render it.
            role = "tool"
        else:
            role = "user"
        return {"role": role, "content": message.text}


def build_hf_chat(model_id: str, *, n_threads: int = 2, max_tokens: int = 512) -> ChatTransformers:
    """A chat model over a causal LM on disk or in the Hugging Face cache."""
    del n_threads  # torch's thread count is process-wide; the agent sets it once
    pipe = load_pipeline(model_id, max_new_tokens=max_tokens)
    llm = HuggingFacePipeline(pipeline=pipe, model_id=model_id)
    return ChatTransformers(llm=llm, tokenizer=pipe.tokenizer, model_id=model_id, max_tokens=max_tokens)
