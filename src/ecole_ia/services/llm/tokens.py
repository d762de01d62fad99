"""Token counts of the local service, with a real tokenizer read from disk (no download).

The tokenizer is Llama 2's (SentencePiece byte-fallback BPE, 32,000 tokens), in the
`tokenizer.json` format of Hugging Face's `tokenizers` library. The `wordllama` package
ships that file (it needs it for its own embeddings), so `pip install` brings it and
nothing is fetched at run time. French costs more tokens than English with it, as with most
tokenizers: "Bonjour, à quelle heure ?" is 9 tokens.

    from ecole_ia.services.llm.tokens import count_tokens
    count_tokens("Bonjour, à quelle heure ?")         # 9

How a chat request is counted (documented, like OpenAI's own cookbook formula):
every message costs 4 tokens of framing plus its role, content (text parts of a list
content), `name` and tool calls (function name and arguments); the answer's priming adds
3; `tools` add the tokens of their JSON. The answer (`completion_tokens`) is its content,
or the name and arguments of its tool calls.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path

TOKENIZER_PACKAGE = "wordllama"
TOKENIZER_FILE = "tokenizers/l2_supercat_tokenizer_config.json"
TOKENIZER_NAME = "llama-2 (32 000 tokens, via wordllama)"
MESSAGE_OVERHEAD = 4
REPLY_PRIMING = 3


@cache
def tokenizer():
    """The `tokenizers.Tokenizer`, loaded once per process (about 0.3 s)."""
    from tokenizers import Tokenizer

    # find_spec locates the package without running its __init__ (which sets up logging).
    spec = importlib.util.find_spec(TOKENIZER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {TOKENIZER_PACKAGE} package, which ships the tokenizer, is "
                           "not installed: pip install -e . (it is a dependency of ecole-ia)")
    path = Path(next(iter(spec.submodule_search_locations))) / TOKENIZER_FILE
    return Tokenizer.from_file(str(path))


def encode(text: str):
    """The `tokenizers.Encoding` of `text`, without the beginning-of-text token."""
    return tokenizer().encode(text, add_special_tokens=False)


def count_tokens(text: str) -> int:
    """How many tokens `text` is (0 for "")."""
    return len(encode(text).ids) if text else 0


def decode(ids: list[int]) -> str:
    """The text of token ids (for the embeddings endpoint, which accepts token arrays)."""
    return tokenizer().decode(list(ids))


def truncate(text: str, max_tokens: int) -> tuple[str, bool]:
    """`text` cut after its first `max_tokens` tokens, and whether it was cut.

    Cuts at the end of a token in the original string (the tokenizer's offsets), so the
    kept text is exactly a prefix of `text`.
    """
    encoding = encode(text)
    if len(encoding.ids) <= max_tokens:
        return text, False
    if max_tokens <= 0:
        return "", True
    return text[:encoding.offsets[max_tokens - 1][1]], True


def content_text(content) -> str:
    """The text of a message's content: a str, or the text parts of a list of parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(part.get("text", "") for part in content
                     if isinstance(part, dict) and part.get("type") == "text")


def count_message_tokens(message: dict) -> int:
    """The tokens one chat message costs (see the module docstring)."""
    total = MESSAGE_OVERHEAD + count_tokens(str(message.get("role", "")))
    total += count_tokens(content_text(message.get("content")))
    if message.get("name"):
        total += count_tokens(str(message["name"]))
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        total += count_tokens(str(function.get("name", "")))
        total += count_tokens(str(function.get("arguments", "")))
    return total


def count_prompt_tokens(messages: list[dict], tools: list[dict] | None = None) -> int:
    """The prompt tokens of a chat request: its messages, the reply priming, its tools."""
    total = sum(count_message_tokens(m) for m in messages) + REPLY_PRIMING
    if tools:
        total += count_tokens(json.dumps(tools, ensure_ascii=False))
    return total
