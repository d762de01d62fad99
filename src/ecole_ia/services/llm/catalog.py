"""The local service's models, their context windows and their (fictitious) prices.

Prices are in euros per 1,000 tokens, input (the prompt) and output (the answer) apart, as
hosted providers publish them. They are made up for the lessons, in the range of small and
mid-size hosted models in 2026; a real provider's prices change and must be read on its
own page on the day.

    from ecole_ia.services.llm.catalog import cost
    cost(reponse.usage, "ecole-ia-chat")      # 0.000213 (euros), from usage's token counts
"""

from __future__ import annotations

from dataclasses import dataclass

CREATED = 1767225600          # 2026-01-01T00:00:00Z, the `created` of every model
OWNER = "ecole-ia"


@dataclass(frozen=True)
class ModelCard:
    """One model of the service: what it does, how much it reads, what it costs.

    kind: "chat" (for /v1/chat/completions) or "embedding" (for /v1/embeddings).
    context_window: the most tokens a request may hold (prompt plus max_tokens).
    input_per_1k, output_per_1k: euros per 1,000 tokens (embeddings bill input only).
    dimensions: the length of an embedding vector (embedding models only).
    """

    id: str
    kind: str
    context_window: int
    input_per_1k: float
    output_per_1k: float = 0.0
    dimensions: int | None = None


MODELS: dict[str, ModelCard] = {card.id: card for card in (
    ModelCard("ecole-ia-chat", "chat", context_window=8192,
              input_per_1k=0.0025, output_per_1k=0.0100),
    ModelCard("ecole-ia-chat-mini", "chat", context_window=4096,
              input_per_1k=0.0002, output_per_1k=0.0008),
    ModelCard("ecole-ia-embed", "embedding", context_window=2048,
              input_per_1k=0.00002, dimensions=256),
)}
DEFAULT_CHAT_MODEL = "ecole-ia-chat"
DEFAULT_EMBEDDING_MODEL = "ecole-ia-embed"

# The price table as a plain mapping: model -> (input, output) in euros per 1,000 tokens.
PRICES: dict[str, tuple[float, float]] = {
    card.id: (card.input_per_1k, card.output_per_1k) for card in MODELS.values()}


def cost(usage, model: str, prices: dict[str, tuple[float, float]] | None = None) -> float:
    """What a request costs, in euros: prompt tokens at the input price plus completion
    tokens at the output price, per 1,000 tokens.

    usage: the response's `usage` (an openai `CompletionUsage` or embeddings `Usage`) or a
        dict with `prompt_tokens` and optionally `completion_tokens`.
    model: a key of `prices` (default: this service's `PRICES`); pass your own table to
        price a hosted provider's models. Unrounded: round when you print.
    """
    table = PRICES if prices is None else prices
    if model not in table:
        raise KeyError(f"no price for model {model!r}; known: {', '.join(table)}")
    get = usage.get if isinstance(usage, dict) else lambda name, default=0: getattr(
        usage, name, default)
    prompt = get("prompt_tokens", 0) or 0
    completion = get("completion_tokens", 0) or 0
    input_price, output_price = table[model]
    return (prompt * input_price + completion * output_price) / 1000
