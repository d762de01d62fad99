"""Seeded, offline messages of one vineyard field sensor, as its radio network delivers them:
irregular times, lost and repeated messages (ds-18, time series).

    from ecole_ia.datasets.telemetrie import load_releves_capteur
    releves = load_releves_capteur()                 # VIGNE-01, 15 April to 30 September
    autre = load_releves_capteur(seed=7, capteur="VIGNE-04")

How the messages are made (every number below is a constant of this module):

- the hourly readings of one device come from
  :func:`ecole_ia.datasets.mildiou.load_mildiou_season` (same `seed`, 6 devices);
- impossible readings of that season (air temperatures outside -10..45 °C, air humidities
  above 100 %) are dropped as NaN: the gateway rejects them;
- an hour where the device measured nothing (its weekly flat battery, about 24 h) sends no
  message, and about 4 % of the other messages are lost on the way;
- a message leaves some minutes after the hour it measures (0 to 45 min, to the second):
  ``horodatage`` is the time it was received, no longer a round hour;
- about 2 % of the messages are received twice (the same row, one after the other).

Rows are sorted by ``horodatage`` (a repeated message keeps its time), with a RangeIndex.
The same arguments always give the same frame; no network and no file are used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .mildiou import SEASON_DAYS, SEASON_START, VALID_TEMP_C, load_mildiou_season

SENSOR_COLUMNS = ["temp_air_c", "humidite_air_pct", "humectation_feuille_pct", "pluie_mm",
                  "temp_sol_c", "humidite_sol_pct"]
LOST_RATE = 0.04         # share of the messages lost on the way
REPEAT_RATE = 0.02       # share of the messages received twice
MAX_DELAY_S = 45 * 60    # a message leaves 0 to 45 minutes after its hour


def load_releves_capteur(seed: int = 2024, capteur: str = "VIGNE-01", days: int = SEASON_DAYS,
                         start: str = SEASON_START) -> pd.DataFrame:
    """The messages received from device `capteur` (``VIGNE-01`` to ``VIGNE-06``).

    Columns: ``horodatage`` (datetime64, time of reception), ``capteur`` (str), then the
    sensors of :func:`load_mildiou_season` (float64, NaN where a reading was missing or
    impossible): ``temp_air_c``, ``humidite_air_pct``, ``humectation_feuille_pct``,
    ``pluie_mm``, ``temp_sol_c``, ``humidite_sol_pct``. The reading of hour H is received
    between H and H + 45 min, so ``resample("h")`` puts each message back in its hour.
    """
    season = load_mildiou_season(seed=seed, days=days, start=start)
    if capteur not in set(season["capteur"]):
        raise ValueError(f"unknown device {capteur!r}: VIGNE-01 to VIGNE-06")
    frame = season.loc[season["capteur"] == capteur, ["horodatage", "capteur", *SENSOR_COLUMNS]]
    frame = frame.reset_index(drop=True)
    temp = frame["temp_air_c"]
    frame["temp_air_c"] = temp.where(temp.between(*VALID_TEMP_C) | temp.isna())
    humidity = frame["humidite_air_pct"]
    frame["humidite_air_pct"] = humidity.where(humidity <= 100)
    device = int(capteur.rsplit("-", 1)[1])
    rng = np.random.default_rng(np.random.SeedSequence([seed, device]))
    silent = frame[SENSOR_COLUMNS].isna().all(axis=1).to_numpy()
    lost = rng.random(len(frame)) < LOST_RATE
    delays = rng.integers(0, MAX_DELAY_S, len(frame))
    repeated = rng.random(len(frame)) < REPEAT_RATE
    frame["horodatage"] = frame["horodatage"] + pd.to_timedelta(delays, unit="s")
    keep = ~(silent | lost)
    counts = np.where(keep, 1 + repeated, 0)
    return frame.loc[frame.index.repeat(counts)].reset_index(drop=True)
