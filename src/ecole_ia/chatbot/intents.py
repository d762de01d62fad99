"""Aliénor's intent classifier: TF-IDF on words and on character n-grams, then a logistic
regression, trained on the course's corpus (cb-03), with a confidence threshold.

    from ecole_ia.chatbot.intents import IntentClassifier
    classifier = IntentClassifier.from_corpus()        # trained on the 504 messages
    classifier.predict("le wiffi marche pô")           # IntentPrediction(intent='wifi', ...)
    classifier.predict("Raconte-moi une blague").intent  # None: under the threshold, unknown

Design (measured on `train_test_split_intents()`, see tests/test_chatbot.py): cb-03 compared
words, characters and both with its settings; here both are kept, words on normalised text
(accents and case removed, so "reseau" and "Réseau" are one word) with sublinear TF, which
five-fold cross-validation on the training part found as good as characters alone while the
word features make the weights easier to read. The solver (lbfgs) is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from threadpoolctl import threadpool_limits

from .text import normalize

# cb-03, section 8: the threshold that kept most messages understood with few errors.
DEFAULT_THRESHOLD = 0.3


@dataclass(frozen=True)
class IntentPrediction:
    """What the classifier says about one message.

    `intent` is the predicted intent, or None ("intention inconnue") when `confidence`, the
    highest probability, is under the threshold; `best` is the most probable intent anyway.
    """

    intent: str | None
    confidence: float
    best: str

    @property
    def known(self) -> bool:
        return self.intent is not None


def build_pipeline(C: float = 10.0) -> Pipeline:
    """A new, untrained pipeline: word TF-IDF + character n-gram TF-IDF, logistic regression."""
    return make_pipeline(
        make_union(
            TfidfVectorizer(preprocessor=normalize, sublinear_tf=True),
            TfidfVectorizer(preprocessor=normalize, analyzer="char_wb", ngram_range=(2, 5),
                            sublinear_tf=True),
        ),
        LogisticRegression(C=C, max_iter=2000),
    )


class IntentClassifier:
    """A trained intent pipeline and its threshold; `predict` never raises on a str."""

    def __init__(self, pipeline: Pipeline, threshold: float = DEFAULT_THRESHOLD):
        self.pipeline = pipeline
        self.threshold = threshold

    @classmethod
    def train(cls, texts: Iterable[str], intents: Iterable[str],
              threshold: float = DEFAULT_THRESHOLD) -> IntentClassifier:
        """A classifier trained on parallel lists of messages and their intents."""
        texts, intents = list(texts), [str(i) for i in intents]
        if not texts or len(texts) != len(intents):
            raise ValueError("train needs as many intents as messages, and at least one of each")
        # One BLAS thread: on these small matrices, extra threads only fight each other (the
        # fit took 5 s instead of 0.5 s on a busy 2-core machine).
        with threadpool_limits(limits=1):
            pipeline = build_pipeline().fit(texts, intents)
        return cls(pipeline, threshold)

    @classmethod
    def from_corpus(cls, threshold: float = DEFAULT_THRESHOLD) -> IntentClassifier:
        """A classifier trained on the whole shipped corpus (`load_intents()`)."""
        from ecole_ia.datasets.intents import load_intents

        corpus = load_intents()
        return cls.train(corpus["texte"], corpus["intention"], threshold)

    @property
    def intents(self) -> tuple[str, ...]:
        """The intents the classifier knows, in alphabetical order (`classes_`)."""
        return tuple(str(c) for c in self.pipeline.classes_)

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        """One prediction per message, in order; [] for no message."""
        texts = list(texts)
        if not texts:
            return []
        with threadpool_limits(limits=1):
            probabilities = self.pipeline.predict_proba(texts)
        classes = self.intents
        predictions = []
        for row in probabilities:
            index = int(row.argmax())
            confidence = float(row[index])
            best = classes[index]
            intent = best if confidence >= self.threshold else None
            predictions.append(IntentPrediction(intent, confidence, best))
        return predictions

    def predict(self, text: str) -> IntentPrediction:
        """The prediction for one message (intent None when under the threshold)."""
        return self.predict_many([text])[0]
