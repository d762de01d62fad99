"""Tests of ecole_ia.datasets.faq: the school's saved FAQ page used by cb-06."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from ecole_ia.datasets.faq import faq_html


class _Pairs(HTMLParser):
    """Collects (id, question, answer) from <section id> / <h2> / <p> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[dict[str, str]] = []
        self.current: dict[str, str] | None = None
        self.field: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "section" and "id" in attributes:
            self.current = {"id": attributes["id"], "question": "", "reponse": ""}
        elif self.current is not None and tag == "h2":
            self.field = "question"
        elif self.current is not None and tag == "p":
            self.field = "reponse"

    def handle_endtag(self, tag):
        if tag in ("h2", "p"):
            self.field = None
        elif tag == "section" and self.current is not None:
            self.pairs.append({k: " ".join(v.split()) for k, v in self.current.items()})
            self.current = None

    def handle_data(self, data):
        if self.current is not None and self.field is not None:
            self.current[self.field] += " " + data


@pytest.fixture(scope="module")
def pairs() -> list[dict[str, str]]:
    parser = _Pairs()
    parser.feed(faq_html())
    parser.close()
    return parser.pairs


def test_page_is_a_french_html_page():
    page = faq_html()
    assert isinstance(page, str)
    assert page.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in page and "</html>" in page
    assert "é" in page and "\ufffd" not in page


def test_at_least_twenty_pairs_with_unique_ids(pairs):
    assert len(pairs) >= 20, len(pairs)
    ids = [pair["id"] for pair in pairs]
    assert len(set(ids)) == len(ids), ids
    assert all(i and i == i.lower() and " " not in i for i in ids), ids


def test_no_empty_question_or_answer(pairs):
    for pair in pairs:
        assert pair["question"].endswith("?"), pair
        assert len(pair["reponse"]) >= 40, pair
    questions = [pair["question"] for pair in pairs]
    assert len(set(questions)) == len(questions)


def test_topics_the_lesson_relies_on(pairs):
    ids = {pair["id"] for pair in pairs}
    assert {"horaires", "alternance", "stages", "certification", "ordinateur", "wifi",
            "absences", "cafeteria", "accessibilite"} <= ids
    certification = next(p for p in pairs if p["id"] == "certification")
    assert "37827" in certification["reponse"]
