"""Seeded, offline daily inputs of a downy mildew (mildiou) risk model in service, season by
season, with drifts that really happen (ds-17, monitoring a model in production).

    from ecole_ia.datasets.surveillance import load_saison
    entrainement = load_saison(2023)                      # the season the model learnt from
    production = load_saison(2024, canicule="2024-07-08", recalibrage="2024-08-05")

One row per device and day, 15 April to 30 September, 6 devices (``VIGNE-01`` to
``VIGNE-06``). What the model reads is what the sensors report; the label is what the grower
sees on the vines about ten days later (the incubation of downy mildew), from the true
weather:

- ``temp_moy_c``: daily mean air temperature, a Bordeaux season (:func:`seasonal_mean_temp`
  of the mildiou module) plus weather that lasts a few days (an AR(1) anomaly) and a small
  difference per device;
- ``pluie_48h_mm``: rain of the day and the day before (rain falls about one day in four);
- ``humidite_air_pct``: daily mean air humidity, higher after rain and on cool days;
- ``heures_humectation``: hours with wet leaves, from the humidity;
- ``risque_mildiou`` (0 or 1): drawn from a logistic function of the true humidity, rain,
  wet hours and temperature (so a model can learn it, but not perfectly);
- ``date_verite``: ``jour`` + 10 days, when the label becomes known.

Two drifts can be switched on, from a date to the end of the season unless said otherwise:

- ``canicule``: a heat wave of CANICULE_DAYS days from that date: +CANICULE_C °C, drier air,
  fewer wet hours, less rain. The world changes; the labels follow the true weather.
- ``recalibrage``: from that date, every humidity sensor was recalibrated by the maintenance
  contractor and reads RECALIBRAGE_PCT points too high (capped at 100). Only what the model
  reads changes; the label still follows the true humidity, so the model's alerts go wrong.

The same arguments always give the same frame; no network and no file are used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .mildiou import seasonal_mean_temp

DEVICES = 6
SEASON_DAYS = 169             # 15 April to 30 September
DELAI_VERITE_JOURS = 10       # the grower sees the symptoms about ten days later
CANICULE_DAYS = 21
CANICULE_C = 6.0
RECALIBRAGE_PCT = 15.0
VARIABLES = ["temp_moy_c", "humidite_air_pct", "pluie_48h_mm", "heures_humectation"]


def load_saison(annee: int = 2023, seed: int | None = None, canicule: str | None = None,
                recalibrage: str | None = None, devices: int = DEVICES) -> pd.DataFrame:
    """Daily rows of one season (`annee`, 15 April to 30 September), sorted by day then device.

    Columns: ``jour`` (datetime64), ``capteur`` (str), ``temp_moy_c``, ``humidite_air_pct``,
    ``pluie_48h_mm`` (float64, one decimal), ``heures_humectation`` (int64, 0 to 24),
    ``risque_mildiou`` (int64, 0 or 1), ``date_verite`` (datetime64). `seed` defaults to
    `annee`. `canicule` and `recalibrage` are dates (text) where a drift starts (see the
    module's docstring); None for none.
    """
    rng = np.random.default_rng(annee if seed is None else seed)
    days = pd.date_range(f"{annee}-04-15", periods=SEASON_DAYS, freq="D")
    n = len(days)
    anomaly = np.zeros(n)
    for t in range(1, n):
        anomaly[t] = 0.6 * anomaly[t - 1] + rng.normal(0, 1.2)
    rain = np.where(rng.random(n) < 0.25, rng.gamma(1.5, 6.0, n), 0.0)
    heat = np.zeros(n, dtype=bool)
    if canicule is not None:
        start = np.searchsorted(days, pd.Timestamp(canicule))
        heat[start:start + CANICULE_DAYS] = True
        # a generator of its own: the days before the heat wave stay those of the calm season
        dry = np.random.default_rng([annee if seed is None else seed, 1]).random(n) >= 0.3
        rain = np.where(heat & dry, 0.0, rain)
    rain48 = rain + np.r_[0.0, rain[:-1]]
    shape = (n, devices)
    temp = (seasonal_mean_temp(days)[:, None] + anomaly[:, None] + CANICULE_C * heat[:, None]
            + rng.normal(0, 0.4, devices) + rng.normal(0, 0.6, shape))
    humidity = (68 + 1.1 * np.minimum(rain48, 20)[:, None] - 1.0 * anomaly[:, None]
                - 10 * heat[:, None] + rng.normal(0, 5, shape))
    humidity = np.clip(humidity, 30, 100)
    wet = np.clip(np.round((humidity - 58) / 2.2 + rng.normal(0, 1.5, shape)), 0, 24)
    rain48_dev = np.maximum(rain48[:, None] + rng.normal(0, 0.5, shape), 0)
    score = (0.16 * (humidity - 72) + 0.12 * (rain48_dev - 6) + 0.12 * (wet - 7)
             - 0.25 * np.maximum(temp - 24, 0) - 0.5 * np.maximum(12 - temp, 0))
    label = (rng.random(shape) < 1 / (1 + np.exp(-score))).astype("int64")
    seen = humidity.copy()
    if recalibrage is not None:
        start = np.searchsorted(days, pd.Timestamp(recalibrage))
        seen[start:] = np.minimum(seen[start:] + RECALIBRAGE_PCT, 100)
    frame = pd.DataFrame({
        "jour": np.repeat(days.to_numpy(), devices),
        "capteur": np.tile([f"VIGNE-{d + 1:02d}" for d in range(devices)], n),
        "temp_moy_c": temp.ravel().round(1),
        "humidite_air_pct": seen.ravel().round(1),
        "pluie_48h_mm": rain48_dev.ravel().round(1),
        "heures_humectation": wet.ravel().astype("int64"),
        "risque_mildiou": label.ravel(),
    })
    frame["date_verite"] = frame["jour"] + pd.Timedelta(days=DELAI_VERITE_JOURS)
    return frame
