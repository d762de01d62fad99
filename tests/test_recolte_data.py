"""Tests of ecole_ia.datasets.recolte: the cooperative's plots and seasons (ds-06 brief)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecole_ia.datasets.recolte import CEPAGES, PLOTS, load_campagnes, load_parcelles

SHEET = ["annee", "parcelle", "grappes_par_pied", "poids_grappe_g", "mildiou_pct",
         "pluie_juil_aout_mm", "jours_chauds", "grele", "recolte_kg"]


def test_the_register_has_one_row_per_plot_and_its_announced_defects():
    plots = load_parcelles()
    assert list(plots.columns) == ["parcelle", "commune", "cepage", "surface_ha",
                                   "densite_pieds_ha", "annee_plantation"]
    assert len(plots) == PLOTS and plots["parcelle"].is_unique
    assert plots["densite_pieds_ha"].dtype == np.int64
    assert (plots["surface_ha"] > 20).sum() == 2          # two surfaces in ares
    assert plots["surface_ha"][plots["surface_ha"] <= 20].max() < 6
    spellings = plots["cepage"].str.strip().str.lower().str.replace("-", " ")
    assert set(spellings.str.replace("é", "e")) <= {c.lower().replace("é", "e") for c in CEPAGES}
    assert plots["cepage"].nunique() > len(CEPAGES)       # written several ways
    pd.testing.assert_frame_equal(plots, load_parcelles())


def test_the_history_is_seeded_with_its_defects_and_plausible_yields():
    history = load_campagnes()
    assert list(history.columns) == SHEET
    assert history.duplicated().sum() >= 1
    clean = history.drop_duplicates()
    assert len(clean) == 8 * PLOTS and not clean.duplicated(["annee", "parcelle"]).any()
    assert (history["poids_grappe_g"] < 5).sum() >= 1     # weights in kg
    for column in ["grappes_par_pied", "poids_grappe_g", "mildiou_pct", "recolte_kg"]:
        assert 0 < history[column].isna().mean() < 0.1, column
    surfaces = load_parcelles()["surface_ha"]
    surfaces = surfaces.where(surfaces <= 20, surfaces / 100)
    per_ha = clean["recolte_kg"] / clean["parcelle"].map(dict(zip(load_parcelles()["parcelle"],
                                                                   surfaces)))
    assert 5000 < per_ha.mean() < 8000 and per_ha.min() > 1000
    pd.testing.assert_frame_equal(history, load_campagnes())


def test_a_season_depends_only_on_its_seed_and_year():
    alone = load_campagnes(annees=[2020], doublons=False)
    within = load_campagnes(annees=range(2017, 2025), doublons=False)
    pd.testing.assert_frame_equal(alone, within[within["annee"] == 2020].reset_index(drop=True))
    other = load_campagnes(seed=7, annees=[2020], doublons=False)
    assert not np.allclose(other["grappes_par_pied"].fillna(0), alone["grappes_par_pied"].fillna(0))
    assert list(other["parcelle"]) == list(alone["parcelle"])
