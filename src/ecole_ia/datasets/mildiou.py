"""Seeded, offline downy mildew (mildiou) season: hourly vineyard telemetry and daily labels.

    from ecole_ia.datasets.mildiou import load_mildiou_season, mildiou_labels
    releves = load_mildiou_season()            # 15 April to 30 September, 6 devices, hourly
    etiquettes = mildiou_labels(releves)       # one risk label (0 or 1) per device and day

The readings are made by :func:`ecole_ia.datasets.vineyard.load_vineyard_sensors`, called week
by week, then moved to the temperatures of a Bordeaux season. The labels follow a documented
agronomic rule (:func:`mildiou_rule`) with seeded noise, so that a model has something real
but imperfect to learn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .vineyard import load_vineyard_sensors

SEASON_START = "2024-04-15"   # shoots reach about 10 cm in mid-April around Bordeaux
SEASON_DAYS = 169             # 15 April to 30 September included
DEVICES = 6
CHUNK_DAYS = 7                # the vineyard generator is called once per week of the season

# The vineyard generator's own temperature trend, removed before adding the season's.
_BASE_TEMP_C = 15.0
_TREND_C_PER_DAY = 0.15
# Approximate monthly mean air temperatures near Bordeaux (°C), placed on the 15th.
MONTHLY_MEAN_TEMP_C = {3: 10.4, 4: 12.9, 5: 16.4, 6: 19.8, 7: 21.7, 8: 21.8, 9: 18.7, 10: 15.0}

VALID_TEMP_C = (-10.0, 45.0)  # outside: a sensor error code, not a temperature
WET_LEAF_PCT = 50.0           # a leaf is wet when leaf wetness is above this
PRIMARY_RAIN_MM = 10.0        # "règle des 3-10": 10 mm of rain in 48 h ...
PRIMARY_TEMP_C = 10.0         # ... with a daily mean temperature of at least 10 °C
SECONDARY_DEGREE_HOURS = 150.0  # wet-leaf degree-hours of the day (°C x h)
SECONDARY_RAIN_MM = 2.0       # rain in 48 h that splashes the spores onto the leaves
LABEL_NOISE = 0.08            # share of labels flipped at random


def load_mildiou_season(seed: int = 2024, devices: int = DEVICES, start: str = SEASON_START,
                        days: int = SEASON_DAYS) -> pd.DataFrame:
    """Hourly readings of `devices` field sensors over a vine season of `days` days.

    Same columns, dtypes, order (time, then device) and RangeIndex as
    :func:`~ecole_ia.datasets.vineyard.load_vineyard_sensors`: ``horodatage``, ``parcelle``,
    ``capteur``, ``temp_air_c``, ``humidite_air_pct``, ``humectation_feuille_pct``,
    ``pluie_mm``, ``temp_sol_c``, ``humidite_sol_pct``. By default, 15 April to 30 September
    2024 (169 days) for 6 devices (``VIGNE-01`` to ``VIGNE-03`` in "Parcelle A", ``VIGNE-04``
    to ``VIGNE-06`` in "Parcelle B"): 24,336 rows.

    How it is made:

    - the season is cut into weeks (``days // 7`` pieces of 7 or 8 days; one piece if shorter)
      and :func:`load_vineyard_sensors` is called once per piece, with a seed drawn from
      `seed`; its weather (rain events, dew, leaf wetness, air humidity), its missing values
      (about 2 % of cells, plus one device silent for 24 h each week) and its impossible
      readings (air temperatures of -40.0 or 85.0, air humidities above 100 %) are kept;
    - air and soil temperatures are moved from that generator's spring warming to a Bordeaux
      season: the daily mean follows monthly normals (about 13 °C in April, 22 °C in July
      and August, 19 °C in September), with the same daily cycle (about 7 °C each side) and
      day-to-day swings; error codes are left untouched;
    - soil moisture is recomputed over the whole season, hour by hour, with the generator's
      formula (rain wets the soil, warmth dries it), so that it does not restart every week;
      its missing values stay where they were.

    The same seed always gives the same frame; no network and no file are used.
    """
    if days < 1 or devices < 1:
        raise ValueError(f"days and devices must be at least 1 (got days={days}, "
                         f"devices={devices})")
    first_day = pd.Timestamp(start).normalize()
    pieces = max(1, days // CHUNK_DAYS)
    bounds = np.linspace(0, days, pieces + 1).round().astype(int)
    seeds = np.random.SeedSequence(seed).generate_state(pieces + 1)
    frames = []
    for i in range(pieces):
        piece_start = first_day + pd.Timedelta(days=int(bounds[i]))
        frame = load_vineyard_sensors(seed=int(seeds[i]), days=int(bounds[i + 1] - bounds[i]),
                                      devices=devices, start=str(piece_start.date()))
        elapsed_days = (frame["horodatage"] - piece_start) / pd.Timedelta(days=1)
        shift = (seasonal_mean_temp(frame["horodatage"]) - _BASE_TEMP_C
                 - _TREND_C_PER_DAY * elapsed_days.to_numpy())
        for column in ["temp_air_c", "temp_sol_c"]:
            valid = frame[column].between(*VALID_TEMP_C).to_numpy()
            frame.loc[valid, column] = (frame.loc[valid, column] + shift[valid]).round(1)
        frames.append(frame)
    season = pd.concat(frames, ignore_index=True)
    rng = np.random.default_rng(seeds[-1])
    season["humidite_sol_pct"] = _season_soil_moisture(rng, season, devices)
    return season


def seasonal_mean_temp(timestamps) -> np.ndarray:
    """Mean air temperature (°C) expected on these dates: the monthly normals of
    MONTHLY_MEAN_TEMP_C, placed on the 15th of their month and joined by straight lines
    (the same curve every year)."""
    times = pd.DatetimeIndex(timestamps)
    day_of_year = times.day_of_year.to_numpy() + times.hour.to_numpy() / 24
    months = sorted(MONTHLY_MEAN_TEMP_C)
    anchors = [pd.Timestamp(2023, m, 15).day_of_year for m in months]
    return np.interp(day_of_year, anchors, [MONTHLY_MEAN_TEMP_C[m] for m in months])


def _season_soil_moisture(rng: np.random.Generator, season: pd.DataFrame,
                          devices: int) -> np.ndarray:
    """Soil moisture (%) recomputed over the whole season, NaN where it was missing."""
    shape = (len(season) // devices, devices)  # rows are time-major: (hour, device)
    temp = season["temp_air_c"].where(season["temp_air_c"].between(*VALID_TEMP_C))
    temp = temp.to_numpy().reshape(shape)
    hourly = np.nanmean(np.where(np.isnan(temp).all(axis=1, keepdims=True), 15.0, temp), axis=1)
    temp = np.where(np.isnan(temp), hourly[:, None], temp)
    rain = np.nan_to_num(season["pluie_mm"].to_numpy().reshape(shape))
    moist = 24 + rng.normal(0, 3, devices)
    result = np.empty(shape)
    for t in range(shape[0]):
        drying = 0.004 * (moist - 12) * (1 + (temp[t] - 10) / 20)
        moist = np.minimum(moist - drying + 0.8 * rain[t], 45)
        result[t] = moist
    result = (result + rng.normal(0, 0.2, shape)).ravel().round(1)
    return np.where(season["humidite_sol_pct"].isna(), np.nan, result)


def daily_conditions(readings: pd.DataFrame) -> pd.DataFrame:
    """Per device and day, the weather that matters for downy mildew.

    `readings` has at least the columns ``horodatage``, ``capteur``, ``temp_air_c``,
    ``humectation_feuille_pct`` and ``pluie_mm`` (as made by :func:`load_mildiou_season`).
    Readings are first cleaned: air temperatures outside -10..45 °C become missing; then
    every missing value is replaced by the mean of the other devices at the same hour (the
    vines felt the weather even when a sensor was silent); a value missing on every device
    stays missing and is skipped.

    One row per (day, device), sorted by day then device, with a fresh RangeIndex:

    =================== ========= ==================================================
    column              dtype     meaning
    =================== ========= ==================================================
    jour                datetime  the day (midnight)
    capteur             str       device id
    temp_moy_c          float64   mean air temperature of the day (°C)
    pluie_mm            float64   rain of the day (mm)
    pluie_48h_mm        float64   rain of the day and of the day before (mm); on the
                                  first day of the data, the rain of that day only
    heures_humectation  int64     hours with leaf wetness above 50 %
    degres_heures       float64   sum of the air temperatures of those wet hours
                                  (°C x h): wet hours x their mean temperature
    =================== ========= ==================================================
    """
    columns = ["temp_air_c", "humectation_feuille_pct", "pluie_mm"]
    frame = readings[["horodatage", "capteur", *columns]].copy()
    temp = frame["temp_air_c"]
    frame["temp_air_c"] = temp.where(temp.between(*VALID_TEMP_C))
    others = frame.groupby("horodatage")[columns].transform("mean")
    frame[columns] = frame[columns].fillna(others)
    wet = frame["humectation_feuille_pct"] > WET_LEAF_PCT
    frame["jour"] = frame["horodatage"].dt.normalize()
    frame["mouillee"] = wet.astype("int64")
    frame["temp_mouillee"] = frame["temp_air_c"].where(wet)
    daily = frame.groupby(["jour", "capteur"]).agg(
        temp_moy_c=("temp_air_c", "mean"),
        pluie_mm=("pluie_mm", "sum"),
        heures_humectation=("mouillee", "sum"),
        degres_heures=("temp_mouillee", "sum"),
    ).reset_index()
    previous = daily[["jour", "capteur", "pluie_mm"]].rename(columns={"pluie_mm": "veille"})
    previous["jour"] = previous["jour"] + pd.Timedelta(days=1)
    daily = daily.merge(previous, on=["jour", "capteur"], how="left")
    daily["pluie_48h_mm"] = daily["pluie_mm"] + daily["veille"].fillna(0.0)
    order = ["jour", "capteur", "temp_moy_c", "pluie_mm", "pluie_48h_mm",
             "heures_humectation", "degres_heures"]
    daily["heures_humectation"] = daily["heures_humectation"].astype("int64")
    return daily[order].sort_values(["jour", "capteur"], ignore_index=True)


def mildiou_rule(daily: pd.DataFrame) -> pd.Series:
    """The documented risk rule, without noise: 1 on a day when downy mildew can infect.

    `daily` has the columns of :func:`daily_conditions`. A day is at risk (1) when

    - **primary infection, "règle des 3-10"**: at least 10 mm of rain in 48 h
      (``pluie_48h_mm >= 10``) and a mean temperature of at least 10 °C
      (``temp_moy_c >= 10``); the third "10", shoots of at least 10 cm, holds for the whole
      season, which starts in mid-April;
    - **or secondary infection**: leaves wet long enough and warm enough, at least 150 wet-leaf
      degree-hours in the day (``degres_heures >= 150``, e.g. 10 wet hours at 15 °C), with at
      least 2 mm of rain in 48 h (``pluie_48h_mm >= 2``) to splash the spores onto the leaves.

    Otherwise 0. Missing values count as "condition not met". Returns an int64 Series named
    ``risque_mildiou`` with the index of `daily`.
    """
    primary = (daily["pluie_48h_mm"] >= PRIMARY_RAIN_MM) & (daily["temp_moy_c"] >= PRIMARY_TEMP_C)
    secondary = ((daily["degres_heures"] >= SECONDARY_DEGREE_HOURS)
                 & (daily["pluie_48h_mm"] >= SECONDARY_RAIN_MM))
    return (primary | secondary).astype("int64").rename("risque_mildiou")


def mildiou_labels(readings: pd.DataFrame, seed: int = 2024,
                   noise: float = LABEL_NOISE) -> pd.DataFrame:
    """Daily downy mildew risk labels of `readings`, as a grower would record them.

    The rule of :func:`mildiou_rule` is applied to :func:`daily_conditions` of `readings`;
    then each label is flipped independently with probability `noise` (default 0.08, i.e.
    about 8 % of the labels are wrong), with a generator seeded by `seed`. The flips stand
    for what the sensors do not see: spores brought from a neighbouring plot, an infection
    that did not take, an observation error. With the default season, about a third of the
    labels are 1 (between 25 % and 45 % for any seed).

    Returns one row per (day, device), sorted by day then device, with a fresh RangeIndex:
    ``jour`` (datetime), ``capteur`` (str) and ``risque_mildiou`` (int64, 0 or 1).
    `noise=0` gives the rule itself.
    """
    if not 0 <= noise <= 1:
        raise ValueError(f"noise is a probability between 0 and 1 (got {noise})")
    daily = daily_conditions(readings)
    clean = mildiou_rule(daily).to_numpy()
    flips = np.random.default_rng(seed).random(len(daily)) < noise
    labels = daily[["jour", "capteur"]].copy()
    labels["risque_mildiou"] = np.where(flips, 1 - clean, clean).astype("int64")
    return labels
