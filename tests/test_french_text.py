"""Tests of ecole_ia.datasets.french: the French stop-word list of the chatbot lessons."""

from __future__ import annotations

import unicodedata
from importlib import resources

from ecole_ia.datasets.french import STOPWORDS_RESOURCE, load_french_stopwords


def test_the_list_loads_as_a_frozenset_of_strings():
    """Does the list load from the package, as a frozenset of non-empty strings?"""
    words = load_french_stopwords()
    assert type(words) is frozenset
    assert 120 <= len(words) <= 250, len(words)
    assert all(type(w) is str and w for w in words)


def test_words_are_lowercase_and_clean():
    """Is every word lowercase, without spaces, comments or stray punctuation?"""
    for word in load_french_stopwords():
        assert word == word.lower(), word
        assert word == word.strip() and " " not in word, repr(word)
        assert not word.startswith("#"), word
        assert all(c.isalpha() for c in word), word
        assert word == unicodedata.normalize("NFC", word), f"{word!r} is not in NFC form"


def test_common_function_words_are_there():
    """Are articles, prepositions, pronouns and elision pieces in the list?"""
    words = load_french_stopwords()
    for word in ["le", "la", "les", "de", "des", "du", "un", "une", "et", "à", "je", "vous",
                 "est", "l", "d", "j", "qu", "n", "ne", "pas"]:
        assert word in words, word


def test_content_words_are_not_stop_words():
    """Do words that carry a message's meaning stay out of the list?"""
    words = load_french_stopwords()
    for word in ["attestation", "wifi", "cafétéria", "absence", "horaires", "bonjour", "merci",
                 "quand", "comment", "pourquoi", "combien"]:
        assert word not in words, word


def test_the_file_has_a_comment_header_and_no_duplicates():
    """Does the file start with a '#' comment and list each word once?"""
    text = resources.files("ecole_ia").joinpath(STOPWORDS_RESOURCE).read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("#")
    words = [line for line in lines if line and not line.startswith("#")]
    assert len(words) == len(set(words)) == len(load_french_stopwords())


def test_each_call_gives_an_equal_list():
    """Are two calls equal (a frozenset, so no caller can change another's list)?"""
    assert load_french_stopwords() == load_french_stopwords()
