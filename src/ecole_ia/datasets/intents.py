"""Aliénor's labelled French intent corpus for the chatbot lessons, read from the package.

    from ecole_ia.datasets.intents import load_intents, train_test_split_intents
    exemples = load_intents()                   # about 500 rows: texte, intention
    entrainement, test = train_test_split_intents()

The corpus holds short messages that adult learners send to the school's help-desk bot,
labelled with one of twelve intents (INTENTS). They are written the way people type on a
phone: typos, missing accents, SMS forms ("svp", "c quand", "jsp"), capital letters, very
short ("wifi") to long messages. No message holds personal data. No network is used.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd
from sklearn.model_selection import train_test_split

INTENTS_RESOURCE = "data/intents_fr.csv"
INTENTS = (
    "absence", "alternance", "attestation", "au_revoir", "cafeteria", "examen",
    "horaires", "inscription", "ordinateur", "salutation", "stage", "wifi",
)


def load_intents() -> pd.DataFrame:
    """The corpus as a DataFrame with columns `texte` and `intention` (both str), RangeIndex.

    Rows come in the file's order (shuffled once when the file was written, so intents are
    mixed). Texts are read verbatim: no stripping, no lowercasing, no accent removal; strings
    such as "NA" stay strings.
    """
    path = resources.files("ecole_ia").joinpath(INTENTS_RESOURCE)
    with path.open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle, sep=";", dtype=str, keep_default_na=False)
    return frame[["texte", "intention"]]


def train_test_split_intents(seed: int = 0,
                             test_size: float = 0.25) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified split of load_intents() into (training, test) frames, each with a RangeIndex.

    Same rows, in the same order, as sklearn's
    `train_test_split(load_intents(), test_size=test_size, stratify=..., random_state=seed)`,
    so a lesson that calls sklearn directly gets the same split.
    """
    frame = load_intents()
    training, test = train_test_split(frame, test_size=test_size,
                                      stratify=frame["intention"], random_state=seed)
    return training.reset_index(drop=True), test.reset_index(drop=True)
