"""Seeded, offline generator of hourly vineyard sensor telemetry (Bordeaux, spring)."""

from __future__ import annotations

import numpy as np
import pandas as pd

SENSOR_COLUMNS = [
    "temp_air_c", "humidite_air_pct", "humectation_feuille_pct", "pluie_mm",
    "temp_sol_c", "humidite_sol_pct",
]
MISSING_RATE = 0.02   # share of sensor cells lost at random (radio glitches)
FAULT_RATE = 0.003    # share of rows with an impossible reading, per faulty column
DROPOUT_HOURS = 24    # one device goes silent for about a day (flat battery)


def load_vineyard_sensors(seed: int = 2024, days: int = 28, devices: int = 4,
                          start: str = "2024-05-01") -> pd.DataFrame:
    """Hourly readings of `devices` field sensors over `days` days, from `start` (00:00).

    One row per (device, hour), sorted by time then device, with a fresh RangeIndex:

    ======================== ============== =============================================
    column                   dtype          meaning (unit)
    ======================== ============== =============================================
    horodatage               datetime64     start of the hour, naive local time
    parcelle                 str            plot: first half of devices "Parcelle A", rest "B"
    capteur                  str            device id, "VIGNE-01", "VIGNE-02", ...
    temp_air_c               float64        air temperature (°C)
    humidite_air_pct         float64        relative air humidity (%)
    humectation_feuille_pct  float64        leaf wetness, 0 = dry, 100 = soaked (%)
    pluie_mm                 float64        rain fallen during the hour (mm)
    temp_sol_c               float64        soil temperature at 10 cm (°C)
    humidite_sol_pct         float64        volumetric soil moisture (%)
    ======================== ============== =============================================

    Physics (simplified): a diurnal air temperature cycle (about 10 °C at dawn, 24 °C
    mid-afternoon) warming by about 0.15 °C a day; air humidity falls as it warms; a few
    rain events (3 to 24 hours, shared by all devices with local variation) cool the air,
    wet the leaves and raise soil moisture, which then dries slowly; leaves also get wet
    from dew on humid nights and stay wet for hours; soil temperature is a damped, lagged
    copy of air temperature. Values are rounded to 1 decimal.

    Anomalies, on purpose (the lessons find them):
    - missing values: about 2 % of the cells of each sensor column are NaN, and one device
      has NaN in every sensor column for 24 consecutive hours (a third of shorter frames;
      its rows are kept): about 3 % of each sensor column with the default sizes;
    - faulty readings: about 0.3 % of rows (at least one) have ``temp_air_c`` equal to
      -40.0 or 85.0 (sensor error codes), and as many have ``humidite_air_pct`` above 100.
    Valid readings stay within -10..45 °C and 0..100 %.

    The same seed always gives the same frame; no network and no file are used. Downy
    mildew (mildiou) risk can later be derived per day and device from these columns
    (leaf wetness hours, rain, mild temperature) without changing this function.
    """
    if days < 1 or devices < 1:
        raise ValueError(f"days and devices must be at least 1 (got days={days}, "
                         f"devices={devices})")
    rng = np.random.default_rng(seed)
    hours = pd.date_range(start, periods=days * 24, freq="h")
    weather = _shared_weather(rng, hours)
    frame = _device_readings(rng, hours, weather, devices)
    _add_anomalies(rng, frame, devices)
    frame[SENSOR_COLUMNS] = frame[SENSOR_COLUMNS].round(1)
    return frame


def _shared_weather(rng: np.random.Generator, hours: pd.DatetimeIndex) -> dict:
    """Hourly weather of the whole vineyard: air temperature, humidity and rain."""
    n = len(hours)
    # Rain events: start, duration and intensity drawn at random; at least one event.
    rain = np.zeros(n)
    for _ in range(max(1, rng.poisson(n / 24 / 6))):
        begin, length = rng.integers(0, n), rng.integers(3, 25)
        stop = min(n, begin + length)
        rain[begin:stop] += rng.gamma(2.0, 0.6, size=stop - begin)
    # Clouds linger around rain: a smoothed rain indicator between 0 and 1.
    cloud = np.convolve((rain > 0).astype(float), np.ones(7) / 7, mode="same")
    # Warmer or cooler days (each day keeps part of the previous one's anomaly),
    # interpolated hour by hour so that there is no jump at midnight.
    anomaly = np.zeros(n // 24 + 2)
    for d in range(1, len(anomaly)):
        anomaly[d] = 0.7 * anomaly[d - 1] + rng.normal(0, 1.2)
    day = np.arange(n) / 24
    swings = np.interp(day, np.arange(len(anomaly)) - 0.5, anomaly)
    daily_cycle = np.cos(2 * np.pi * (hours.hour.to_numpy() - 15) / 24)  # peak at 15:00
    temp = 15 + 0.15 * day + swings + 7 * (1 - 0.6 * cloud) * daily_cycle - 2 * cloud
    humidity = 100 - 3.3 * (temp - 9) + 20 * cloud
    return {"temp": temp, "humidity": humidity, "rain": rain}


def _device_readings(rng: np.random.Generator, hours: pd.DatetimeIndex, weather: dict,
                     devices: int) -> pd.DataFrame:
    """Every device's readings: the shared weather plus local offsets and noise.

    Arrays are (hours, devices); flattening them gives rows sorted by time then device.
    """
    n = len(hours)
    shape = (n, devices)
    temp = weather["temp"][:, None] + rng.normal(0, 0.4, devices) + rng.normal(0, 0.3, shape)
    humidity = np.clip(weather["humidity"][:, None] + rng.normal(0, 3, shape), 25, 100)
    rain = weather["rain"][:, None] * rng.uniform(0.85, 1.15, devices)
    rain = np.clip(rain * (1 + rng.normal(0, 0.1, shape)), 0, None)
    # Stateful quantities evolve hour by hour, for all devices at once.
    wetness, soil_temp, soil_moist = (np.zeros(shape) for _ in range(3))
    wet, s_temp = np.zeros(devices), np.full(devices, weather["temp"][:24].mean())
    moist = 24 + rng.normal(0, 3, devices)  # soils differ from one spot to another
    for t in range(n):
        dew = np.clip((humidity[t] - 88) * 10, 0, 100)  # humid nights leave dew on leaves
        wet = np.maximum.reduce([np.where(rain[t] > 0.1, 100.0, 0.0), dew, 0.8 * wet])
        s_temp = s_temp + 0.1 * (temp[t] - s_temp)  # soil follows the air, late and softly
        drying = 0.004 * (moist - 12) * (1 + (temp[t] - 10) / 20)
        moist = np.minimum(moist - drying + 0.8 * rain[t], 45)  # excess water drains away
        wetness[t], soil_temp[t], soil_moist[t] = wet, s_temp, moist
    wetness = np.clip(wetness + rng.normal(0, 3, shape), 0, 100)
    soil_moist = soil_moist + rng.normal(0, 0.2, shape)
    names = [f"VIGNE-{i + 1:02d}" for i in range(devices)]
    plots = ["Parcelle A" if i < (devices + 1) // 2 else "Parcelle B" for i in range(devices)]
    return pd.DataFrame({
        "horodatage": np.repeat(hours.to_numpy(), devices),
        "parcelle": np.tile(plots, n),
        "capteur": np.tile(names, n),
        "temp_air_c": temp.ravel(), "humidite_air_pct": humidity.ravel(),
        "humectation_feuille_pct": wetness.ravel(), "pluie_mm": rain.ravel(),
        "temp_sol_c": (soil_temp + rng.normal(0, 0.15, shape)).ravel(),
        "humidite_sol_pct": soil_moist.ravel(),
    })


def _add_anomalies(rng: np.random.Generator, frame: pd.DataFrame, devices: int) -> None:
    """Missing cells, a one-day dropout of one device, and impossible readings (in place)."""
    n_rows = len(frame)
    for column in SENSOR_COLUMNS:
        frame.loc[rng.random(n_rows) < MISSING_RATE, column] = np.nan
    # Rows are time-major: device d at hour t is row t * devices + d.
    n_hours = n_rows // devices
    length = min(DROPOUT_HOURS, max(1, n_hours // 3))
    first = rng.integers(0, n_hours - length + 1)
    silent = (first + np.arange(length)) * devices + rng.integers(0, devices)
    frame.loc[silent, SENSOR_COLUMNS] = np.nan
    n_faults = max(1, round(FAULT_RATE * n_rows))
    for column, values in [("temp_air_c", rng.choice([-40.0, 85.0], n_faults)),
                           ("humidite_air_pct", rng.uniform(100.5, 130, n_faults))]:
        present = np.flatnonzero(frame[column].notna().to_numpy())
        frame.loc[rng.choice(present, n_faults, replace=False), column] = values
