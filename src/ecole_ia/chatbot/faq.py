"""Retrieval in the school's saved FAQ page, as built in cb-06: TF-IDF on character
n-grams of question + answer, cosine similarity, a threshold and a margin, the source shown.

    from ecole_ia.chatbot.faq import FaqIndex
    index = FaqIndex.from_html()                 # the shipped page, 25 entries
    found = index.answer("c koi le code du wiffi")
    found.sources                                # ('wifi',)
    index.answer("Raconte-moi une blague").found # False: best score under the threshold
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

# cb-06, section 7: 0.2 answered most reworded questions and refused most off-topic ones;
# answers within 0.05 of the best one are offered too.
DEFAULT_THRESHOLD = 0.2
DEFAULT_MARGIN = 0.05


@dataclass(frozen=True)
class FaqEntry:
    """One question-answer pair of the page; `source` is its section's `id` (the anchor)."""

    question: str
    answer: str
    source: str


@dataclass(frozen=True)
class FaqAnswer:
    """The entries retained for a message, best first (empty when nothing is close enough)."""

    entries: tuple[FaqEntry, ...]
    scores: tuple[float, ...]

    @property
    def found(self) -> bool:
        return bool(self.entries)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(entry.source for entry in self.entries)


class _FaqParser(HTMLParser):
    """One entry per `<section id=...>`: the `<h2>` is the question, the `<p>`s the answer."""

    def __init__(self):
        super().__init__()
        self.entries: list[FaqEntry] = []
        self._current: dict[str, str] | None = None
        self._field: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "section" and attributes.get("id"):
            self._current = {"question": "", "answer": "", "source": attributes["id"]}
        elif self._current is not None and tag == "h2":
            self._field = "question"
        elif self._current is not None and tag == "p":
            self._field = "answer"

    def handle_endtag(self, tag):
        if tag in ("h2", "p"):
            self._field = None
        elif tag == "section" and self._current is not None:
            self.entries.append(FaqEntry(" ".join(self._current["question"].split()),
                                         " ".join(self._current["answer"].split()),
                                         self._current["source"]))
            self._current = None

    def handle_data(self, data):
        if self._current is not None and self._field is not None:
            self._current[self._field] += " " + data


def parse_faq(html: str) -> list[FaqEntry]:
    """The entries of a FAQ page, in page order; text outside sections is ignored."""
    parser = _FaqParser()
    parser.feed(html)
    parser.close()
    return parser.entries


@lru_cache(maxsize=1)
def school_faq() -> tuple[FaqEntry, ...]:
    """The entries of the school's saved FAQ page (`faq_html()`), parsed once per process:
    the bot, the dialogue manager and the tests all read the page through here."""
    from ecole_ia.datasets.faq import faq_html

    return tuple(parse_faq(faq_html()))


def format_answer(found: FaqAnswer) -> str:
    """Aliénor's text for a FaqAnswer, each answer followed by its source; "" if none."""
    lines = ["Plusieurs réponses peuvent vous aider :"] if len(found.entries) > 1 else []
    lines += [f"{entry.answer} (Source : FAQ, section #{entry.source})" for entry in found.entries]
    return "\n".join(lines)


class FaqIndex:
    """A TF-IDF index over the entries' question + answer; row i is entries[i]."""

    def __init__(self, entries: list[FaqEntry], threshold: float = DEFAULT_THRESHOLD,
                 margin: float = DEFAULT_MARGIN):
        if not entries:
            raise ValueError("a FAQ index needs at least one entry")
        self.entries = list(entries)
        self.threshold = threshold
        self.margin = margin
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))
        self.matrix = self.vectorizer.fit_transform(
            [entry.question + " " + entry.answer for entry in self.entries])

    @classmethod
    def from_html(cls, html: str | None = None, **settings) -> FaqIndex:
        """An index of the given page, by default the school's saved FAQ (`school_faq()`)."""
        return cls(list(school_faq()) if html is None else parse_faq(html), **settings)

    def entry(self, source: str) -> FaqEntry:
        """The entry whose anchor is `source` (KeyError if none)."""
        for entry in self.entries:
            if entry.source == source:
                return entry
        raise KeyError(source)

    def search(self, message: str, k: int = 3) -> list[tuple[str, float]]:
        """The k closest entries as (source, score), best first; ties keep the page order."""
        scores = cosine_similarity(self.vectorizer.transform([message]), self.matrix)[0]
        ranked = sorted(zip(self.entries, scores), key=lambda pair: pair[1], reverse=True)
        return [(entry.source, float(score)) for entry, score in ranked[:max(k, 0)]]

    def answer(self, message: str) -> FaqAnswer:
        """No entry when the best score is under the threshold; otherwise every entry at or
        above the threshold and within `margin` of the best score, best first."""
        ranked = self.search(message, len(self.entries))
        best = ranked[0][1]
        if best < self.threshold:
            return FaqAnswer((), ())
        kept = [(source, score) for source, score in ranked
                if score >= self.threshold and score >= best - self.margin]
        return FaqAnswer(tuple(self.entry(source) for source, _ in kept),
                         tuple(score for _, score in kept))
