"""LLM clients for generated answers, built from the settings (imported only when configured)."""

from __future__ import annotations

from assistant.config import ConfigError, Settings


def openai_compatible_llm(settings: Settings):
    """Any OpenAI-compatible chat server (vLLM, Ollama, LM Studio, OpenAI, Azure) through llama-index."""
    if not settings.openai_base_url or not settings.openai_model:
        raise ConfigError("answer_backend 'openai' needs openai_base_url and openai_model")
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=settings.openai_model,
        api_base=settings.openai_base_url,
        api_key=settings.openai_api_key or "not-needed",
        is_chat_model=True,
        timeout=settings.llm_timeout,
        max_retries=1,
        temperature=0.1,
    )
