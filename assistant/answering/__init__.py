"""Answer composition from retrieved passages."""

from assistant.answering.base import Answer
from assistant.answering.extractive import ExtractiveAnswerer

__all__ = ["Answer", "ExtractiveAnswerer"]
