"""Tests of ecole_ia.datasets.telemetrie: one sensor's messages, irregular in time (ds-18)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecole_ia.datasets.mildiou import load_mildiou_season
from ecole_ia.datasets.telemetrie import SENSOR_COLUMNS, load_releves_capteur


@pytest.fixture(scope="module")
def messages() -> pd.DataFrame:
    return load_releves_capteur()


def test_columns_dtypes_order_and_reproducibility(messages):
    assert list(messages.columns) == ["horodatage", "capteur", *SENSOR_COLUMNS]
    assert pd.api.types.is_datetime64_dtype(messages["horodatage"])
    assert set(messages["capteur"]) == {"VIGNE-01"}
    for column in SENSOR_COLUMNS:
        assert messages[column].dtype == np.float64, column
    assert isinstance(messages.index, pd.RangeIndex) and messages.index.start == 0
    assert messages["horodatage"].is_monotonic_increasing
    assert messages.equals(load_releves_capteur())
    assert not messages.equals(load_releves_capteur(seed=7))
    assert not messages.equals(load_releves_capteur(capteur="VIGNE-02"))


def test_times_are_irregular_and_each_message_falls_in_its_hour(messages):
    """Received 0 to 45 minutes after the hour: resample('h') gives back the season's hours."""
    minutes = messages["horodatage"].dt.minute
    assert minutes.between(0, 44).all() and minutes.nunique() > 40
    assert (messages["horodatage"].dt.second > 0).mean() > 0.9
    season = load_mildiou_season()
    device = season[season["capteur"] == "VIGNE-01"].set_index("horodatage")
    hourly = messages.drop(columns="capteur").set_index("horodatage").resample("h").mean()
    received = hourly["humidite_sol_pct"].dropna()
    assert received.equals(device["humidite_sol_pct"].reindex(received.index))
    assert hourly.index[0] == pd.Timestamp("2024-04-15 00:00")
    assert hourly.index[-1] == pd.Timestamp("2024-09-30 23:00")


def test_lost_repeated_and_rejected_messages(messages):
    """About 4 % lost, 2 % repeated, silent days sent nothing, no impossible value left."""
    hours = messages["horodatage"].dt.floor("h")
    repeated = messages.duplicated()
    assert 0.01 < repeated.mean() < 0.035
    assert hours[~repeated].is_unique
    missing_hours = 169 * 24 - hours.nunique()
    assert 169 * 24 * 0.04 < missing_hours < 169 * 24 * 0.15
    assert not messages[SENSOR_COLUMNS].isna().all(axis=1).any()
    assert (messages["temp_air_c"].dropna().between(-10, 45)).all()
    assert (messages["humidite_air_pct"].dropna() <= 100).all()
    gaps = pd.Series(1, index=hours.drop_duplicates()).resample("h").sum() == 0
    longest = gaps.groupby((~gaps).cumsum()).sum().max()
    assert longest >= 24  # a flat battery: a day without a message


def test_unknown_device_is_refused():
    with pytest.raises(ValueError, match="VIGNE-01 to VIGNE-06"):
        load_releves_capteur(capteur="VIGNE-09")
