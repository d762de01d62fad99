"""Tests of ecole_ia.datasets.faq: the school's saved FAQ page used by cb-06."""

from __future__ import annotations

import pytest

from ecole_ia.chatbot.faq import FaqEntry, school_faq
from ecole_ia.datasets.faq import faq_html


@pytest.fixture(scope="module")
def pairs() -> tuple[FaqEntry, ...]:
    """The page's question-answer pairs, read by the bot's own parser (parsed once)."""
    return school_faq()


def test_page_is_a_french_html_page():
    page = faq_html()
    assert isinstance(page, str)
    assert page.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in page and "</html>" in page
    assert "é" in page and "\ufffd" not in page


def test_at_least_twenty_pairs_with_unique_ids(pairs):
    assert len(pairs) >= 20, len(pairs)
    ids = [pair.source for pair in pairs]
    assert len(set(ids)) == len(ids), ids
    assert all(i and i == i.lower() and " " not in i for i in ids), ids


def test_no_empty_question_or_answer(pairs):
    for pair in pairs:
        assert pair.question.endswith("?"), pair
        assert len(pair.answer) >= 40, pair
    questions = [pair.question for pair in pairs]
    assert len(set(questions)) == len(questions)


def test_topics_the_lesson_relies_on(pairs):
    ids = {pair.source for pair in pairs}
    assert {"horaires", "alternance", "stages", "certification", "ordinateur", "wifi",
            "absences", "cafeteria", "accessibilite"} <= ids
    certification = next(p for p in pairs if p.source == "certification")
    assert "37827" in certification.answer
