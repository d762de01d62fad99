"""Tests of ecole_ia.datasets: the seeded vineyard telemetry the data-science lessons use."""

from __future__ import annotations

import builtins
import socket

import numpy as np
import pandas as pd
import pytest

from ecole_ia.datasets import load_vineyard_sensors

SENSORS = ["temp_air_c", "humidite_air_pct", "humectation_feuille_pct", "pluie_mm",
           "temp_sol_c", "humidite_sol_pct"]
COLUMNS = ["horodatage", "parcelle", "capteur", *SENSORS]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return load_vineyard_sensors()


def valid(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without its deliberately faulty readings (NaN stays NaN)."""
    faulty = ~frame["temp_air_c"].between(-10, 45) & frame["temp_air_c"].notna()
    faulty |= frame["humidite_air_pct"] > 100
    return frame[~faulty]


def test_columns_and_dtypes(frame):
    """Are the documented columns there, in order, with the documented dtypes?"""
    assert list(frame.columns) == COLUMNS
    assert pd.api.types.is_datetime64_dtype(frame["horodatage"])
    assert frame["horodatage"].dt.tz is None, "naive local time expected"
    for column in ["parcelle", "capteur"]:
        assert pd.api.types.is_string_dtype(frame[column]), column
    for column in SENSORS:
        assert frame[column].dtype == np.float64, column
    assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0


@pytest.mark.parametrize("days, devices", [(28, 4), (3, 4), (1, 1), (5, 3)])
def test_one_row_per_device_and_hour_sorted_by_time(days, devices):
    """Is there exactly one row per (device, hour), sorted by time then device?"""
    df = load_vineyard_sensors(seed=3, days=days, devices=devices, start="2024-04-15")
    assert df.shape == (days * 24 * devices, 9)
    assert not df.duplicated(["horodatage", "capteur"]).any()
    assert df["horodatage"].min() == pd.Timestamp("2024-04-15 00:00")
    assert df["horodatage"].max() == pd.Timestamp("2024-04-15 23:00") + pd.Timedelta(days=days - 1)
    assert df.equals(df.sort_values(["horodatage", "capteur"], ignore_index=True))
    assert sorted(df["capteur"].unique()) == [f"VIGNE-{i:02d}" for i in range(1, devices + 1)]


def test_devices_are_spread_over_two_plots(frame):
    """Does each device belong to one plot, with two plots of two devices each?"""
    plots = frame.groupby("capteur")["parcelle"].unique()
    assert all(len(p) == 1 for p in plots)
    assert frame.groupby("parcelle")["capteur"].nunique().to_dict() == {
        "Parcelle A": 2, "Parcelle B": 2}


def test_valid_readings_are_plausible(frame):
    """Once faulty readings are set aside, do all values lie in physical ranges?"""
    ok = valid(frame)
    bounds = {"temp_air_c": (-5, 40), "humidite_air_pct": (0, 100),
              "humectation_feuille_pct": (0, 100), "pluie_mm": (0, 15),
              "temp_sol_c": (0, 35), "humidite_sol_pct": (5, 60)}
    for column, (low, high) in bounds.items():
        assert ok[column].dropna().between(low, high).all(), column
    values = frame[SENSORS].to_numpy()
    assert np.allclose(values[~np.isnan(values)], np.round(values[~np.isnan(values)], 1))


def test_air_temperature_follows_a_daily_cycle(frame):
    """Is it about 10 °C at dawn and 24 °C mid-afternoon?"""
    ok = valid(frame)
    by_hour = ok.groupby(ok["horodatage"].dt.hour)["temp_air_c"].median()
    assert 7 <= by_hour.loc[4:6].mean() <= 14
    assert 20 <= by_hour.loc[14:16].mean() <= 28


def test_air_warms_over_the_weeks():
    """Averaged over ten seeds, is the last week warmer than the first by a few degrees?"""
    warming = []
    for seed in range(10):
        ok = valid(load_vineyard_sensors(seed=seed))
        weekly = ok.groupby((ok["horodatage"].dt.day - 1) // 7)["temp_air_c"].mean()
        warming.append(weekly.iloc[-1] - weekly.iloc[0])
    assert np.mean(warming) > 1.5


def test_air_humidity_falls_when_it_warms(frame):
    """Is air humidity strongly anti-correlated with air temperature?"""
    ok = valid(frame)
    assert ok["temp_air_c"].corr(ok["humidite_air_pct"]) < -0.7


def test_soil_temperature_is_a_damped_lagged_copy_of_air_temperature(frame):
    """Does soil temperature swing less than air temperature, and peak later in the day?"""
    ok = valid(frame)
    by_hour = ok.groupby(ok["horodatage"].dt.hour)[["temp_air_c", "temp_sol_c"]].mean()
    air, soil = by_hour["temp_air_c"], by_hour["temp_sol_c"]
    assert soil.max() - soil.min() < 0.6 * (air.max() - air.min())
    assert soil.idxmax() > air.idxmax()


def test_rain_wets_leaves_and_soil_then_soil_dries(frame):
    """Does soil moisture rise during rainy hours and fall slowly otherwise?"""
    ordered = frame.sort_values(["capteur", "horodatage"])
    change = ordered.groupby("capteur")["humidite_sol_pct"].diff()
    rainy = ordered["pluie_mm"] > 0
    assert rainy.sum() >= 10, "a few rain events expected"
    assert change[rainy].mean() > 0.3
    assert -0.5 < change[ordered["pluie_mm"] == 0].mean() < 0
    assert ordered.loc[rainy, "humectation_feuille_pct"].median() > 90


def test_missing_values_are_a_few_percent_plus_one_dropout(frame):
    """Are a few % of sensor cells NaN, and is one device silent for about a day?"""
    assert frame[["horodatage", "parcelle", "capteur"]].notna().all().all()
    rates = frame[SENSORS].isna().mean()
    assert rates.between(0.01, 0.06).all(), rates.to_dict()
    silent = frame[SENSORS].isna().all(axis=1)
    per_device = silent.groupby(frame["capteur"]).sum()
    assert (per_device >= 20).sum() == 1, per_device.to_dict()
    device = per_device.idxmax()
    hours = frame.loc[silent & (frame["capteur"] == device), "horodatage"]
    longest = (hours.diff() != pd.Timedelta(hours=1)).cumsum().value_counts().max()
    assert 20 <= longest <= 30


def test_faulty_readings_are_rare_and_impossible(frame):
    """Are about 0.3 % of air temperatures -40 or 85, and as many humidities above 100?"""
    temp = frame["temp_air_c"]
    faulty_temp = temp.notna() & ~temp.between(-10, 45)
    assert 3 <= faulty_temp.sum() <= 20
    assert set(temp[faulty_temp]) <= {-40.0, 85.0}
    faulty_humidity = frame["humidite_air_pct"] > 100
    assert 3 <= faulty_humidity.sum() <= 20
    assert frame.loc[faulty_humidity, "humidite_air_pct"].max() <= 130


def test_small_frames_still_have_a_rain_event_and_faults():
    """Does a 3-day frame still have rain, missing values and at least one fault of each?"""
    df = load_vineyard_sensors(seed=7, days=3)
    assert (df["pluie_mm"] > 0).any()
    assert df[SENSORS].isna().any().all()
    assert (~df["temp_air_c"].between(-10, 45) & df["temp_air_c"].notna()).sum() >= 1
    assert (df["humidite_air_pct"] > 100).sum() >= 1


def test_same_seed_same_frame_other_seed_other_values():
    """Does a seed always give the same frame, and another seed different values?"""
    pd.testing.assert_frame_equal(load_vineyard_sensors(seed=11, days=5),
                                  load_vineyard_sensors(seed=11, days=5))
    one, other = load_vineyard_sensors(seed=11, days=5), load_vineyard_sensors(seed=12, days=5)
    assert one.shape == other.shape
    assert (one["temp_air_c"] != other["temp_air_c"]).mean() > 0.5


def test_invalid_sizes_are_refused_with_a_clear_message():
    """Does asking for zero days or zero devices raise a ValueError naming the argument?"""
    with pytest.raises(ValueError, match="days"):
        load_vineyard_sensors(days=0)
    with pytest.raises(ValueError, match="devices"):
        load_vineyard_sensors(devices=0)


def test_runs_offline_without_files(monkeypatch):
    """Does the generator work with no network and no file access at all?"""
    def forbidden(*args, **kwargs):
        raise AssertionError("load_vineyard_sensors must not use the network or files")

    monkeypatch.setattr(socket, "socket", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(builtins, "open", forbidden)
    assert load_vineyard_sensors(seed=5, days=2).shape == (192, 9)
