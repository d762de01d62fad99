"""Long French documents and question sets for the search lessons (cb-13, cb-14), read from the
package; no network.

    from ecole_ia.datasets.documents import load_document, load_questions
    sections = load_document("livret")        # list of dicts: source, titre, texte
    questions = load_questions("livret")      # DataFrame: question, source, jeu

Two documents, written for the course in Markdown (`data/documents/*.md`):

- ``"livret"``: the school's welcome booklet (15 sections: calendar, hours, attendance, premises,
  equipment, assessment, work-study...), consistent with the FAQ page of
  :mod:`ecole_ia.datasets.faq`;
- ``"guide-mildiou"``: the (fictional) Observatoire des vignes de Gironde's guide to downy
  mildew (mildiou) on a vineyard: the disease, its symptoms, the sensors, the alerts, the
  treatments and their rules.

Each section starts with a level-2 heading carrying its anchor, ``## Titre {#source}`` (the
header attribute of Pandoc and kramdown); paragraphs are separated by blank lines. The text
before the first section (title and note) is not part of any section.

Each document has a question set (`data/documents/questions_*.csv`): questions written the way
people type (typos, missing accents, SMS forms, synonyms of the document's words), each with
the one section that answers it (`source`) and its split (`jeu`: ``"validation"`` to choose
settings, ``"test"`` to measure once at the end). No text holds personal data.
"""

from __future__ import annotations

import re
from importlib import resources

import pandas as pd

DOCUMENTS = {"livret": "livret_accueil", "guide-mildiou": "guide_mildiou"}
FOLDER = "data/documents"
_HEADING = re.compile(r"^## (?P<titre>.+?) \{#(?P<source>[a-z0-9-]+)\}\s*$")


def _file(name: str, suffix: str) -> str:
    if name not in DOCUMENTS:
        raise KeyError(f"unknown document {name!r}; known: {', '.join(DOCUMENTS)}")
    stem = DOCUMENTS[name] if suffix == ".md" else f"questions_{DOCUMENTS[name]}"
    path = resources.files("ecole_ia").joinpath(f"{FOLDER}/{stem}{suffix}")
    return path.read_text(encoding="utf-8")


def document_markdown(name: str) -> str:
    """The document `name` ("livret" or "guide-mildiou") as its Markdown text, verbatim."""
    return _file(name, ".md")


def load_document(name: str) -> list[dict[str, str]]:
    """The sections of document `name`, in the document's order.

    One dict per ``## Titre {#source}`` heading, with keys ``source`` (the anchor, unique,
    lowercase ASCII and hyphens), ``titre`` (the heading without its anchor) and ``texte``
    (the section's paragraphs, each on one line, joined by a blank line ``"\\n\\n"``).
    """
    sections: list[dict[str, str]] = []
    paragraphs: list[list[str]] = []
    for line in document_markdown(name).splitlines():
        heading = _HEADING.match(line)
        if heading:
            if sections:
                sections[-1]["texte"] = _join(paragraphs)
            sections.append({"source": heading["source"], "titre": heading["titre"], "texte": ""})
            paragraphs = [[]]
        elif sections:
            if line.strip():
                paragraphs[-1].append(line.strip())
            elif paragraphs[-1]:
                paragraphs.append([])
    if sections:
        sections[-1]["texte"] = _join(paragraphs)
    return sections


def _join(paragraphs: list[list[str]]) -> str:
    return "\n\n".join(" ".join(lines) for lines in paragraphs if lines)


def load_questions(name: str) -> pd.DataFrame:
    """The question set of document `name`: columns ``question``, ``source`` (the section
    that answers it) and ``jeu`` (``"validation"`` or ``"test"``), all str, in the file's
    order, RangeIndex. Texts are read verbatim (no stripping, no lowercasing)."""
    from io import StringIO

    frame = pd.read_csv(StringIO(_file(name, ".csv")), sep=";", dtype=str,
                        keep_default_na=False)
    return frame[["question", "source", "jeu"]]
