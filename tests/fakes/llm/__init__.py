"""OpenAI-compatible LLM stub for tests (see `stub.py`)."""

from tests.fakes.llm.stub import (
    REASONS,
    LLMStub,
    RecordedRequest,
    Responder,
    count_tokens,
    default_responder,
    injection_order,
    obedient_responder,
)

__all__ = [
    "REASONS",
    "LLMStub",
    "RecordedRequest",
    "Responder",
    "count_tokens",
    "default_responder",
    "injection_order",
    "obedient_responder",
]
