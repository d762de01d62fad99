"""Tests of ecole_ia.datasets.mildiou: the downy mildew season and its daily risk labels."""

from __future__ import annotations

import builtins
import socket

import numpy as np
import pandas as pd
import pytest

from ecole_ia.datasets.mildiou import (
    LABEL_NOISE,
    daily_conditions,
    load_mildiou_season,
    mildiou_labels,
    mildiou_rule,
)
from ecole_ia.datasets.vineyard import load_vineyard_sensors

SENSORS = ["temp_air_c", "humidite_air_pct", "humectation_feuille_pct", "pluie_mm",
           "temp_sol_c", "humidite_sol_pct"]
COLUMNS = ["horodatage", "parcelle", "capteur", *SENSORS]
DAILY = ["jour", "capteur", "temp_moy_c", "pluie_mm", "pluie_48h_mm", "heures_humectation",
         "degres_heures"]


@pytest.fixture(scope="module")
def season() -> pd.DataFrame:
    return load_mildiou_season()


@pytest.fixture(scope="module")
def labels(season) -> pd.DataFrame:
    return mildiou_labels(season)


def valid(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without its deliberately faulty readings (NaN stays NaN)."""
    faulty = ~frame["temp_air_c"].between(-10, 45) & frame["temp_air_c"].notna()
    faulty |= frame["humidite_air_pct"] > 100
    return frame[~faulty]


# -- the season ------------------------------------------------------------------------------


def test_default_season_shape_columns_and_dtypes(season):
    """15 April to 30 September, 6 devices, hourly: the vineyard generator's columns."""
    assert season.shape == (169 * 24 * 6, 9)
    assert list(season.columns) == COLUMNS
    assert pd.api.types.is_datetime64_dtype(season["horodatage"])
    for column in ["parcelle", "capteur"]:
        assert pd.api.types.is_string_dtype(season[column]), column
    for column in SENSORS:
        assert season[column].dtype == np.float64, column
    assert isinstance(season.index, pd.RangeIndex) and season.index.start == 0
    assert season["horodatage"].min() == pd.Timestamp("2024-04-15 00:00")
    assert season["horodatage"].max() == pd.Timestamp("2024-09-30 23:00")
    assert season.groupby("parcelle")["capteur"].nunique().to_dict() == {
        "Parcelle A": 3, "Parcelle B": 3}


@pytest.mark.parametrize("days, devices", [(169, 6), (10, 2), (3, 1), (15, 4)])
def test_one_row_per_device_and_hour_sorted_by_time(days, devices):
    """Whatever the size, one row per (device, hour), sorted by time then device."""
    df = load_mildiou_season(seed=3, days=days, devices=devices, start="2025-05-02")
    assert df.shape == (days * 24 * devices, 9)
    assert not df.duplicated(["horodatage", "capteur"]).any()
    expected_hours = pd.date_range("2025-05-02", periods=days * 24, freq="h")
    assert (df["horodatage"].drop_duplicates().to_numpy() == expected_hours.to_numpy()).all()
    assert df.equals(df.sort_values(["horodatage", "capteur"], ignore_index=True))


def test_valid_readings_are_plausible_and_rounded(season):
    """Set aside the faulty readings: every value lies in a physical range, at 0.1."""
    ok = valid(season)
    bounds = {"temp_air_c": (-5, 40), "humidite_air_pct": (0, 100),
              "humectation_feuille_pct": (0, 100), "pluie_mm": (0, 15),
              "temp_sol_c": (0, 35), "humidite_sol_pct": (5, 50)}
    for column, (low, high) in bounds.items():
        assert ok[column].dropna().between(low, high).all(), column
    values = season[SENSORS].to_numpy()
    present = values[~np.isnan(values)]
    assert np.allclose(present, np.round(present, 1))


def test_temperature_follows_the_bordeaux_season(season):
    """Monthly means near the normals: cool April, warm July and August, milder September."""
    ok = valid(season)
    monthly = ok.groupby(ok["horodatage"].dt.month)["temp_air_c"].mean()
    assert 10 <= monthly[4] <= 15
    assert 18 <= monthly[7] <= 24 and 18 <= monthly[8] <= 24
    assert monthly[9] < monthly[8]
    assert monthly[7] - monthly[4] > 5
    by_hour = ok.groupby(ok["horodatage"].dt.hour)["temp_air_c"].mean()
    assert by_hour.loc[13:16].mean() - by_hour.loc[3:6].mean() > 8, "a daily cycle is expected"


def test_no_jump_between_weeks(season):
    """The generator is called week by week, yet nothing restarts at the joins: air
    temperature changes there about as much as from one hour to the next elsewhere, and
    soil moisture, without rain, only changes slowly (no reset to a fresh value)."""
    ok = valid(season).sort_values(["capteur", "horodatage"])
    temp_change = ok.groupby("capteur")["temp_air_c"].diff().abs()
    assert temp_change.quantile(0.999) < 6
    weeks = np.linspace(0, 169, 169 // 7 + 1).round().astype(int)[1:-1]  # 7 or 8 days each
    first_hours = pd.Timestamp("2024-04-15") + pd.to_timedelta(weeks, unit="D")
    joins = ok["horodatage"].isin(first_hours)
    assert joins.sum() > 100
    assert temp_change[joins].max() < 7
    soil_change = ok.groupby("capteur")["humidite_sol_pct"].diff().abs()
    dry = ok["pluie_mm"] == 0
    assert soil_change[dry].max() < 1.5


def test_soil_dries_in_summer_and_gets_wet_with_rain(season):
    """Soil moisture is recomputed over the season: it rises with rain, falls without."""
    ordered = season.sort_values(["capteur", "horodatage"])
    change = ordered.groupby("capteur")["humidite_sol_pct"].diff()
    rainy = ordered["pluie_mm"] > 0.5
    assert change[rainy].mean() > 0.3
    assert change[ordered["pluie_mm"] == 0].mean() < 0


def test_anomalies_of_the_vineyard_generator_are_kept(season):
    """Missing values, silent days and impossible readings remain for the lessons to clean."""
    rates = season[SENSORS].isna().mean()
    assert rates.between(0.01, 0.08).all(), rates.to_dict()
    silent = season[SENSORS].isna().all(axis=1)
    assert silent.sum() >= 24 * 10, "about one silent day of one device per week"
    temp = season["temp_air_c"]
    faulty = temp.notna() & ~temp.between(-10, 45)
    assert faulty.sum() >= 24 and set(temp[faulty]) <= {-40.0, 85.0}
    assert (season["humidite_air_pct"] > 100).sum() >= 24


def test_same_seed_same_season_other_seed_other_values():
    """Deterministic for a seed; another seed gives other weather."""
    one = load_mildiou_season(seed=11, days=20, devices=3)
    pd.testing.assert_frame_equal(one, load_mildiou_season(seed=11, days=20, devices=3))
    other = load_mildiou_season(seed=12, days=20, devices=3)
    assert one.shape == other.shape
    assert (one["temp_air_c"] != other["temp_air_c"]).mean() > 0.5
    assert not one["pluie_mm"].equals(other["pluie_mm"])


def test_built_on_the_vineyard_generator():
    """The first week's rain and leaf wetness are the vineyard generator's, unchanged."""
    seed = int(np.random.SeedSequence(5).generate_state(2)[0])
    week = load_vineyard_sensors(seed=seed, days=7, devices=2, start="2024-05-01")
    season = load_mildiou_season(seed=5, days=14, devices=2, start="2024-05-01")
    first = season.iloc[:len(week)]
    for column in ["horodatage", "capteur", "pluie_mm", "humectation_feuille_pct"]:
        pd.testing.assert_series_equal(first[column], week[column])


def test_invalid_sizes_are_refused():
    with pytest.raises(ValueError, match="days"):
        load_mildiou_season(days=0)
    with pytest.raises(ValueError, match="devices"):
        load_mildiou_season(devices=0)


def test_runs_offline_without_files(monkeypatch):
    """No network and no file access at all."""
    def forbidden(*args, **kwargs):
        raise AssertionError("the mildiou generator must not use the network or files")

    monkeypatch.setattr(socket, "socket", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(builtins, "open", forbidden)
    readings = load_mildiou_season(seed=5, days=8, devices=2)
    assert len(mildiou_labels(readings)) == 16


# -- daily conditions and the rule ------------------------------------------------------------


def hourly(rows):
    """A small hourly frame from (timestamp, device, temp, wetness, rain) tuples."""
    frame = pd.DataFrame(rows, columns=["horodatage", "capteur", "temp_air_c",
                                        "humectation_feuille_pct", "pluie_mm"])
    frame["horodatage"] = pd.to_datetime(frame["horodatage"])
    return frame


def test_daily_conditions_on_clean_hand_made_readings():
    """Mean, sums, wet hours (> 50 %), degree-hours and 48-hour rain, computed by hand."""
    frame = hourly([
        ("2024-06-01 00:00", "A", 12.0, 80.0, 1.0),
        ("2024-06-01 01:00", "A", 14.0, 50.0, 2.0),   # exactly 50 %: not wet
        ("2024-06-01 02:00", "A", 16.0, 90.0, 0.0),
        ("2024-06-02 00:00", "A", 20.0, 100.0, 7.5),
        ("2024-06-02 01:00", "A", 22.0, 10.0, 0.0),
    ])
    daily = daily_conditions(frame)
    assert list(daily.columns) == DAILY
    assert daily["heures_humectation"].dtype == np.int64
    expected = pd.DataFrame({
        "jour": pd.to_datetime(["2024-06-01", "2024-06-02"]),
        "capteur": ["A", "A"],
        "temp_moy_c": [14.0, 21.0],
        "pluie_mm": [3.0, 7.5],
        "pluie_48h_mm": [3.0, 10.5],
        "heures_humectation": [2, 1],
        "degres_heures": [28.0, 20.0],
    })
    pd.testing.assert_frame_equal(daily, expected, check_dtype=False)


def test_daily_conditions_clean_errors_and_fill_gaps_from_other_devices():
    """An impossible or missing reading is replaced by the other devices' mean at that hour."""
    frame = hourly([
        ("2024-06-01 00:00", "A", 85.0, 80.0, np.nan),
        ("2024-06-01 00:00", "B", 10.0, 70.0, 2.0),
        ("2024-06-01 00:00", "C", 14.0, np.nan, 4.0),
    ])
    daily = daily_conditions(frame)
    assert list(daily["capteur"]) == ["A", "B", "C"]
    assert daily["temp_moy_c"].tolist() == [12.0, 10.0, 14.0]
    assert daily["pluie_mm"].tolist() == [3.0, 2.0, 4.0]
    assert daily["heures_humectation"].tolist() == [1, 1, 1]   # C gets (80 + 70) / 2 = 75 %
    assert daily["degres_heures"].tolist() == [12.0, 10.0, 14.0]


def test_rule_gives_the_documented_label_at_each_threshold():
    """The 3-10 rule and the wet degree-hours rule, just below and at their thresholds."""
    cases = pd.DataFrame([
        # temp, rain 48 h, degree-hours, expected
        (10.0, 10.0, 0.0, 1),      # 3-10: exactly 10 mm and 10 °C
        (9.9, 10.0, 0.0, 0),       # too cold for the 3-10 rule
        (15.0, 9.9, 149.9, 0),     # not enough rain, not enough degree-hours
        (15.0, 2.0, 150.0, 1),     # secondary: 150 degree-hours and 2 mm
        (15.0, 1.9, 400.0, 0),     # long wet period but no rain to splash the spores
        (8.0, 3.0, 160.0, 1),      # secondary infection needs no 10 °C mean
        (np.nan, 30.0, np.nan, 0),  # missing values: conditions not met
    ], columns=["temp_moy_c", "pluie_48h_mm", "degres_heures", "attendu"])
    rule = mildiou_rule(cases)
    assert rule.name == "risque_mildiou" and rule.dtype == np.int64
    assert rule.tolist() == cases["attendu"].tolist()


def test_rule_applied_to_the_season_agrees_with_labels_without_noise(season):
    """noise=0 gives exactly the rule applied to the daily conditions of the readings."""
    clean = mildiou_labels(season, noise=0)
    expected = mildiou_rule(daily_conditions(season))
    assert clean["risque_mildiou"].tolist() == expected.tolist()


# -- the labels ------------------------------------------------------------------------------


def test_labels_shape_dtypes_and_order(season, labels):
    """One label per device and day, 0 or 1, sorted by day then device."""
    assert labels.shape == (169 * 6, 3)
    assert list(labels.columns) == ["jour", "capteur", "risque_mildiou"]
    assert pd.api.types.is_datetime64_dtype(labels["jour"])
    assert labels["risque_mildiou"].dtype == np.int64
    assert set(labels["risque_mildiou"]) == {0, 1}
    assert not labels.duplicated(["jour", "capteur"]).any()
    assert labels.equals(labels.sort_values(["jour", "capteur"], ignore_index=True))
    assert (labels["jour"] == labels["jour"].dt.normalize()).all()


def test_noise_rate_is_the_documented_one(season, labels):
    """About 8 % of the labels differ from the rule (binomial, 1014 labels: within 3 %)."""
    clean = mildiou_labels(season, noise=0)["risque_mildiou"]
    flipped = (labels["risque_mildiou"] != clean).mean()
    assert LABEL_NOISE == 0.08
    assert 0.05 <= flipped <= 0.11, flipped
    rates = []
    for seed in range(5):
        other = mildiou_labels(season, seed=seed)["risque_mildiou"]
        rates.append((other != clean).mean())
    assert abs(np.mean(rates) - LABEL_NOISE) < 0.015, rates
    everything = mildiou_labels(season, noise=1.0)["risque_mildiou"]
    assert (everything == 1 - clean).all()


def test_positive_rate_is_in_the_stated_range():
    """Between 25 % and 45 % of the labels are 1, for several seeds."""
    for seed in [2024, 2025, 0, 1]:
        readings = load_mildiou_season(seed=seed)
        rate = mildiou_labels(readings, seed=seed)["risque_mildiou"].mean()
        assert 0.25 <= rate <= 0.45, (seed, rate)


def test_labels_are_deterministic_and_depend_on_the_seed(season, labels):
    pd.testing.assert_frame_equal(labels, mildiou_labels(season))
    other = mildiou_labels(season, seed=7)
    assert not labels["risque_mildiou"].equals(other["risque_mildiou"])


def test_labels_follow_the_weather(season, labels):
    """Something real to learn: rainy, wet days are much more often at risk."""
    daily = daily_conditions(season)
    rainy = daily["pluie_48h_mm"] >= 10
    assert labels["risque_mildiou"][rainy].mean() > 0.8
    assert labels["risque_mildiou"][daily["pluie_48h_mm"] < 0.5].mean() < 0.15


def test_invalid_noise_is_refused(season):
    with pytest.raises(ValueError, match="noise"):
        mildiou_labels(season, noise=1.5)
