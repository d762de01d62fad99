"""Tests of ecole_ia.datasets.surveillance: daily inputs of the mildiou model in service, with
drifts that can be switched on (ds-17)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecole_ia.datasets.surveillance import (CANICULE_C, CANICULE_DAYS, DELAI_VERITE_JOURS,
                                            RECALIBRAGE_PCT, VARIABLES, load_saison)


def test_columns_dtypes_order_and_reproducibility():
    saison = load_saison(2023)
    assert list(saison.columns) == ["jour", "capteur", *VARIABLES, "risque_mildiou", "date_verite"]
    assert len(saison) == 169 * 6
    assert saison["jour"].min() == pd.Timestamp("2023-04-15")
    assert saison["jour"].max() == pd.Timestamp("2023-09-30")
    assert saison["jour"].is_monotonic_increasing
    assert set(saison["capteur"]) == {f"VIGNE-0{i}" for i in range(1, 7)}
    assert saison["heures_humectation"].dtype == np.int64
    assert saison["heures_humectation"].between(0, 24).all()
    assert set(saison["risque_mildiou"]) == {0, 1}
    assert 0.25 < saison["risque_mildiou"].mean() < 0.6
    assert saison["humidite_air_pct"].between(30, 100).all()
    assert (saison["date_verite"] - saison["jour"] == pd.Timedelta(days=DELAI_VERITE_JOURS)).all()
    assert saison.equals(load_saison(2023))
    assert not saison.equals(load_saison(2022))
    assert not saison.equals(load_saison(2023, seed=5))


def test_the_drifts_change_what_they_say_and_only_from_their_date():
    calme = load_saison(2024)
    panne = load_saison(2024, recalibrage="2024-08-05")
    avant = calme["jour"] < "2024-08-05"
    assert panne[avant].equals(calme[avant])
    ecart = panne.loc[~avant, "humidite_air_pct"] - calme.loc[~avant, "humidite_air_pct"]
    sous_le_plafond = calme.loc[~avant, "humidite_air_pct"] <= 100 - RECALIBRAGE_PCT
    assert np.allclose(ecart[sous_le_plafond], RECALIBRAGE_PCT)
    # The recalibration only changes what the sensors report, not the vines' true risk.
    assert panne["risque_mildiou"].equals(calme["risque_mildiou"])
    assert panne["temp_moy_c"].equals(calme["temp_moy_c"])

    chaud = load_saison(2024, canicule="2024-07-08")
    pendant = chaud["jour"].between("2024-07-08", pd.Timestamp("2024-07-08")
                                    + pd.Timedelta(days=CANICULE_DAYS - 1))
    hausse = chaud.loc[pendant, "temp_moy_c"].mean() - calme.loc[pendant, "temp_moy_c"].mean()
    assert abs(hausse - CANICULE_C) < 0.5
    assert chaud.loc[pendant, "humidite_air_pct"].mean() < calme.loc[pendant, "humidite_air_pct"].mean() - 5
    assert chaud[chaud["jour"] < "2024-07-08"].equals(calme[calme["jour"] < "2024-07-08"])
