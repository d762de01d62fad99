"""French text resources for the chatbot lessons, read from the package (no network).

    from ecole_ia.datasets.french import load_french_stopwords
    mots_vides = load_french_stopwords()      # frozenset of about 160 lowercase words
"""

from __future__ import annotations

from importlib import resources

STOPWORDS_RESOURCE = "data/stopwords_fr.txt"


def load_french_stopwords() -> frozenset[str]:
    """The course's hand-written French stop-word list, as a frozenset of lowercase words.

    Words keep their accents ("à", "très", "été" forms of "être"), and include the pieces
    left by elision ("l", "d", "qu", "n"...), since a regex tokeniser splits "l'attestation"
    into "l" and "attestation". Negation words ("ne", "n", "pas") are in the list, like in
    most stop-word lists: callers that need negation (intent detection) remove them from the
    set. Lines starting with "#" and blank lines of the file are ignored.
    """
    text = resources.files("ecole_ia").joinpath(STOPWORDS_RESOURCE).read_text(encoding="utf-8")
    words = (line.strip() for line in text.splitlines())
    return frozenset(word for word in words if word and not word.startswith("#"))
