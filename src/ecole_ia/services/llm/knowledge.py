"""What the local model "knows" when the prompt gives it no passage: a small French
knowledge set, listed here in full.

- the school: the 25 entries of the school's FAQ page (`ecole_ia.datasets.faq`, parsed by
  the chatbot's `school_faq()`): hours, holidays, absences, work-study, certification...;
- the vineyard: the observatory, downy mildew (mildiou) and the rules the course's
  datasets follow (`VINEYARD` below);
- the help desk: accounts, printing, passwords, the course's tools (`HELP_DESK` below);
- the model itself (`ABOUT` below).

An entry answers when the TF-IDF similarity (word stems) of the question with the entry's
question and answer reaches `THRESHOLD`; otherwise the model says it does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

THRESHOLD = 0.2


@dataclass(frozen=True)
class Fact:
    """One entry of the knowledge set: a question, its answer, where it comes from."""

    question: str
    answer: str
    source: str


VINEYARD: tuple[Fact, ...] = (
    Fact("Qu'est-ce que le mildiou de la vigne ?",
         "Le mildiou est une maladie de la vigne causée par un micro-organisme, Plasmopara "
         "viticola : il attaque les feuilles et les grappes quand il fait chaud et humide.",
         "vignoble"),
    Fact("Quand le mildiou se déclare-t-il ? Quelle est la règle des 3-10 ?",
         "Selon la règle des 3-10, les contaminations primaires du mildiou deviennent possibles "
         "quand les pousses dépassent 10 cm, après au moins 10 mm de pluie en 48 heures et avec "
         "une température moyenne d'au moins 10 °C.",
         "vignoble"),
    Fact("Quels capteurs mesurent les parcelles du vignoble ?",
         "Les capteurs des parcelles mesurent chaque heure la température de l'air, "
         "l'humidité relative, l'humidité du sol, la pluie et l'humectation des feuilles.",
         "vignoble"),
    Fact("Qu'est-ce que l'Observatoire des vignes de Gironde ?",
         "L'Observatoire des vignes de Gironde, fictif, publie les mesures météo quotidiennes "
         "de cinq stations : Bègles, Saint-Émilion, Pauillac, Cadillac et Margaux.",
         "vignoble"),
    Fact("Quels cépages trouve-t-on dans le Bordelais ?",
         "Les principaux cépages rouges du Bordelais sont le merlot, le cabernet-sauvignon et le "
         "cabernet franc ; en blanc, le sémillon et le sauvignon.",
         "vignoble"),
)

HELP_DESK: tuple[Fact, ...] = (
    Fact("J'ai oublié mon mot de passe, comment le réinitialiser ?",
         "Pour réinitialiser votre mot de passe, utilisez le lien « Mot de passe oublié » de la "
         "plateforme de la formation ; si vous ne recevez pas l'e-mail, demandez à l'équipe "
         "pédagogique.",
         "assistance"),
    Fact("Comment imprimer un document à l'école ?",
         "L'imprimante de l'école est à l'accueil : envoyez votre document à l'imprimante "
         "partagée depuis votre ordinateur prêté, puis retirez-le à l'accueil.",
         "assistance"),
    Fact("Comment installer l'environnement du cours (Python, Jupyter) ?",
         "Depuis votre copie du dépôt ecole-ia, lancez `python3 tasks.py start` : la commande "
         "prépare l'environnement .venv avec Python, JupyterLab et les bibliothèques du cours.",
         "assistance"),
    Fact("Comment récupérer un exercice et le vérifier ?",
         "Copiez l'exercice avec `ecole-ia fetch <module>`, travaillez dans ~/ecole-ia, puis "
         "lancez `ecole-ia check` dans le dossier de l'exercice pour voir ce qui passe les "
         "tests visibles.",
         "assistance"),
)

ABOUT: tuple[Fact, ...] = (
    Fact("Qui es-tu ? Quel modèle es-tu ?",
         "Je suis le modèle de langage local de l'École IA : un simulateur déterministe qui "
         "parle le protocole d'OpenAI, pour apprendre sans réseau et sans frais.",
         "modele"),
)


@cache
def facts() -> tuple[Fact, ...]:
    """The whole knowledge set: the school's FAQ, then the vineyard, the help desk, the model."""
    from ecole_ia.chatbot.faq import school_faq

    school = tuple(Fact(e.question, e.answer, f"faq#{e.source}") for e in school_faq())
    return school + VINEYARD + HELP_DESK + ABOUT


@cache
def _index():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from .grounding import stems

    vectorizer = TfidfVectorizer(analyzer=stems, sublinear_tf=True)
    matrix = vectorizer.fit_transform([f"{f.question} {f.question} {f.answer}"
                                       for f in facts()])
    return vectorizer, matrix


def lookup(question: str) -> tuple[Fact | None, float]:
    """The best entry for `question` and its score; None when under `THRESHOLD`."""
    vectorizer, matrix = _index()
    scores = (matrix @ vectorizer.transform([question]).T).toarray().ravel()
    best = int(scores.argmax())
    score = float(scores[best])
    return (facts()[best] if score >= THRESHOLD else None), score
