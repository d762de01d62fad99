"""Text helpers shared by the chatbot: normalisation and tokens, as taught in cb-01 and cb-02.

    from ecole_ia.chatbot.text import normalize, tokenize
    normalize("  Où est la CAFÉTÉRIA ?")     # "ou est la cafeteria ?"
    tokenize("l’attestation, svp !")           # ["l", "attestation", "svp"]

`normalize` keeps punctuation (the entity patterns need "14:30", "12/03", "@" and "2.04");
`tokenize` then cuts words with `\\w+`, so apostrophes and hyphens split words.
"""

from __future__ import annotations

import re
import unicodedata

# Longer messages are cut to this many characters before they are analysed: a help-desk
# question fits easily, and the cost of the classifier stays bounded.
MAX_MESSAGE_LENGTH = 1000

# First words that make a message a question even without a question mark ("c quand la
# certif", "comment justifier une absence"). Normalised, like the tokens they are compared to.
QUESTION_WORDS = frozenset({
    "comment", "combien", "quand", "qd", "ou", "pourquoi", "quel", "quelle", "quels",
    "quelles", "que", "quoi", "koi", "qui", "est", "c", "cest", "peut", "puis", "faut", "dois",
    "y",
})
# Words that make a message a question wherever they are.
QUESTION_ANYWHERE = frozenset({"comment", "combien", "pourquoi", "quand", "qd", "koi", "quoi"})

_WORD = re.compile(r"\w+")


def strip_accents(text: str) -> str:
    """`text` without combining accents: "Bègles, ça" -> "Begles, ca" (NFD, then drop marks)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.combining(c) == 0)


def normalize(text: str) -> str:
    """Lowercase, no accents, straight apostrophes, one space between words; punctuation kept.

    >>> normalize("  Aujourd’hui   À 14H30 !")
    "aujourd'hui a 14h30 !"
    """
    text = text.replace("\u2019", "'").replace("\u02bc", "'")
    return " ".join(strip_accents(text.lower()).split())


def tokenize(text: str) -> list[str]:
    """The words of the normalised text (`\\w+`): no punctuation, [] for a text without words."""
    return _WORD.findall(normalize(text))


def has_words(text: str) -> bool:
    """True when the text holds at least one letter or digit ("?!..." and "" hold none)."""
    return _WORD.search(text) is not None


def is_question(text: str) -> bool:
    """True when the message asks something rather than states it.

    A question mark anywhere, a first word such as "comment" or "quand", or a word such as
    "combien" anywhere. "Je serai absente lundi" is a statement; "absente lundi ?" and
    "c quand la certif" are questions. A rule of thumb, right on the corpus's messages most
    of the time, used to tell "report my absence" from "what do I do when I am absent?".
    """
    if "?" in text:
        return True
    words = tokenize(text)
    if not words:
        return False
    return words[0] in QUESTION_WORDS or any(w in QUESTION_ANYWHERE for w in words)


def truncate(text: str, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """`text` cut to at most `limit` characters (unchanged when shorter)."""
    return text if len(text) <= limit else text[:limit]
