"""The AI layer: DeepSeek through the `openai` SDK, prompts, the output guard, the tasks."""

from services.ai.client import AIClient, AIConfig, Completion
from services.ai.errors import AICallError, AIConfigError, AIError, AIInvalidOutput
from services.ai.guard import GuardResult, check_text
from services.ai.pricing import Pricing
from services.ai.prompting import (
    ChatInfo,
    ChatMessageInfo,
    ProductInfo,
    ProductRulesInfo,
    QuestionInfo,
    ReviewInfo,
    StoreInfo,
)
from services.ai.reasons import COMPLAINT_REASONS
from services.ai.tasks import AITasks, ChatTagResult, ComplaintDraft, ReplyDraft

__all__ = [
    "COMPLAINT_REASONS",
    "AICallError",
    "AIClient",
    "AIConfig",
    "AIConfigError",
    "AIError",
    "AIInvalidOutput",
    "AITasks",
    "ChatInfo",
    "ChatMessageInfo",
    "ChatTagResult",
    "ComplaintDraft",
    "Completion",
    "GuardResult",
    "Pricing",
    "ProductInfo",
    "ProductRulesInfo",
    "QuestionInfo",
    "ReplyDraft",
    "ReviewInfo",
    "StoreInfo",
    "check_text",
]
