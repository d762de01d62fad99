"""The school's saved FAQ page for the FAQ-retrieval lesson (cb-06), read from the package.

    from ecole_ia.datasets.faq import faq_html
    page = faq_html()                 # str: a whole HTML page, about 25 questions

Each question/answer pair sits in `<section id="..." class="faq">` with the question in an
`<h2>` and the answer in one or more `<p>`; the section's `id` is the anchor a chatbot shows
as the source of its answer ("#horaires"). The header and footer also hold `<p>` elements
outside any section. No network is used; the page holds no personal data.
"""

from __future__ import annotations

from importlib import resources

FAQ_RESOURCE = "data/faq_ecole.html"


def faq_html() -> str:
    """The saved FAQ page, as one str (UTF-8 text, read verbatim)."""
    return resources.files("ecole_ia").joinpath(FAQ_RESOURCE).read_text(encoding="utf-8")
