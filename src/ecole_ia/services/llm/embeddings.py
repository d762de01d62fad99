"""Embeddings of the local service: deterministic vectors where similar French texts are
close, computed with scikit-learn and nothing downloaded.

A text is lowercased, its accents and apostrophes normalised, then cut into character
n-grams of 3 to 5 letters inside word boundaries (`HashingVectorizer(analyzer="char_wb")`,
2**18 buckets). The n-grams are weighted by IDF learned once from the course's French
corpora (the intents corpus and the school's FAQ: frequent n-grams such as " de " weigh
little), projected to 256 dimensions by a fixed sparse random projection (4 entries of ±1/2 per
n-gram bucket, placed by a hash seeded with 2024; Johnson-Lindenstrauss: cosines are kept
up to about ±0.06) and normalised to length 1, so
the dot product of two vectors is their cosine similarity.

Why not a pretrained model: none that installs from PyPI with its weights is trained for
French (the shipped ones, such as WordLlama's, mostly saw English); character n-grams
catch French inflections ("inscription", "inscrire") and typos ("wiffi") without one.
They do not catch synonyms without shared letters ("manger" and "cafétéria"): a lesson can
show that limit. `dimensions` (as in the OpenAI API) keeps the first N components and
normalises again.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .grounding import fold

DIMENSIONS = 256
BUCKETS = 2 ** 18
SEED = 2024


PER_BUCKET = 4                 # non-zero entries per row of the projection


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a fixed, well-spread hash of uint64 values (numpy only, so
    the projection is the same on every machine and every numpy version)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def projection_matrix():
    """The fixed sparse random projection, BUCKETS x DIMENSIONS: each bucket adds ±1/2 to
    PER_BUCKET dimensions chosen by a hash of (SEED, bucket, slot)."""
    import scipy.sparse as sp

    keys = (np.arange(BUCKETS * PER_BUCKET, dtype=np.uint64)
            + np.uint64(SEED) * np.uint64(BUCKETS * PER_BUCKET))
    hashed = _mix(keys)
    columns = (hashed % np.uint64(DIMENSIONS)).astype(np.int64)
    signs = np.where((hashed >> np.uint64(32)) & np.uint64(1), 1.0, -1.0) / np.sqrt(PER_BUCKET)
    rows = np.repeat(np.arange(BUCKETS), PER_BUCKET)
    return sp.csr_matrix((signs, (rows, columns)), shape=(BUCKETS, DIMENSIONS))


@cache
def _pipeline():
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

    hashing = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), n_features=BUCKETS,
                                alternate_sign=False, norm=None, preprocessor=fold)
    idf = TfidfTransformer(sublinear_tf=True).fit(hashing.transform(_corpus()))
    return hashing, idf, projection_matrix()


def _corpus() -> list[str]:
    from ecole_ia.chatbot.faq import school_faq
    from ecole_ia.datasets.intents import load_intents

    faq = [f"{entry.question} {entry.answer}" for entry in school_faq()]
    return list(load_intents()["texte"]) + faq


def embed(texts: list[str], dimensions: int = DIMENSIONS) -> np.ndarray:
    """One unit-length float32 row per text (an empty text gives a zero vector)."""
    hashing, idf, projection = _pipeline()
    vectors = (idf.transform(hashing.transform(texts)) @ projection).toarray()[:, :dimensions]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)
