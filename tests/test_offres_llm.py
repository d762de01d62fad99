"""The hosted-offer comparison of cb-09: its figures are sourced, dated and honest about gaps."""

import math

import pandas as pd

from ecole_ia.datasets.offres_llm import NUMERIC, OFFICIAL_DOMAINS, RELEVE_LE, load_offres_llm


def test_shape_and_types():
    offres = load_offres_llm()
    assert list(offres.index) == ["openai", "azure", "mistral-experiment", "mistral-scale", "local"]
    for column in NUMERIC:
        assert offres[column].dtype == float
    assert set(offres["releve_le"]) == {RELEVE_LE}
    assert set(offres["hebergement_ue"]) <= {"oui", "option", "non", "non vérifié"}
    assert set(offres["entrainement_par_defaut"]) <= {"oui", "non", "non vérifié"}


def test_every_figure_has_an_official_source_or_says_it_is_missing():
    offres = load_offres_llm()
    for offer, row in offres.iterrows():
        for column in ("source_prix", "source_donnees", "source_hebergement"):
            assert row[column] == "" or row[column].startswith(OFFICIAL_DOMAINS), (offer, column)
        priced = not math.isnan(row["prix_entree_million"])
        assert priced == (not math.isnan(row["prix_sortie_million"])), offer
        if offer == "local":
            assert row["tarif"] == "simulé" and "Simulé" in row["remarque"]
        elif priced:
            assert row["source_prix"], offer
        else:
            assert row["tarif"] == "non vérifié" and "non retrouvé" in row["remarque"], offer
        if row["hebergement_ue"] in ("oui", "option") and offer != "local":
            assert row["source_hebergement"], offer
        if row["entrainement_par_defaut"] in ("oui", "non") and offer != "local":
            assert row["source_donnees"], offer


def test_returns_a_fresh_frame():
    first = load_offres_llm()
    first.loc["openai", "prix_entree_million"] = 99.0
    assert load_offres_llm().loc["openai", "prix_entree_million"] == 0.45
    assert isinstance(first, pd.DataFrame)
