"""Seeded, offline harvest records of a wine cooperative: its plots and, each season, the
August sampling sheets and the grapes each plot delivered (the ds-06 brief).

    from ecole_ia.datasets.recolte import load_parcelles, load_campagnes
    parcelles = load_parcelles()                           # 60 plots of the members
    historique = load_campagnes(annees=range(2017, 2025))  # one row per plot and season
    fiches = load_campagnes(annees=[2025]).drop(columns="recolte_kg")

How a season is made (every number below is a constant of this module):

- each plot has a grape variety, a surface, a planting density and a planting year, and a
  hidden "terroir" factor (soil, exposure) that raises or lowers its bunches and its bunch
  weight every season by the same amount (about 8 % each);
- each season has its weather, shared by the four communes with local variation: rain in
  July and August, hot days (above 32 °C), downy mildew pressure, a fertility of the year
  (more or fewer bunches everywhere) and a growth of the berries after véraison that the
  measured weather explains only in part (about 5 % left unexplained);
- in August a member counts the bunches on a few vines and weighs a few bunches at
  véraison: the sheet records these means, with the sampling error of a small sample (about
  6 % each), the share of bunches with mildew and any hail after the count;
- the harvest of a plot is its productive vines (density minus the missing vines, more
  numerous in old plots; young vines bear less) x bunches per vine x final bunch weight
  (the véraison weight x the berry growth, which rain raises and heat lowers), minus what
  mildew and hail destroyed, x the surface, with a little noise (harvest losses, weighing).

Defects, on purpose (cleaning is part of the work): in the plots, the variety is written
several ways ("Merlot", "merlot ", "MERLOT"...) and two surfaces are in ares instead of
hectares (x 100); in the sheets, about 5 % of the bunch counts, 5 % of the bunch weights and
3 % of the mildew shares are missing, about 1.5 % of the bunch weights are written in kg
instead of g, a few sheets are entered twice and about 1 % of the harvests are missing.

A season depends only on (`seed`, its year): ``load_campagnes(annees=[2020])`` is the 2020
of ``load_campagnes(annees=range(2017, 2025))``; another `seed` gives other possible
seasons of the same plots. No network and no file are used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COMMUNES = ["Créon", "Targon", "Sauveterre-de-Guyenne", "Cadillac"]
# variety: (share of the plots, bunch weight at véraison in g, bunches per vine)
CEPAGES = {
    "Merlot": (0.50, 70.0, 10.5),
    "Cabernet Sauvignon": (0.25, 55.0, 12.0),
    "Cabernet Franc": (0.10, 60.0, 11.0),
    "Sauvignon blanc": (0.08, 52.0, 12.0),
    "Sémillon": (0.07, 68.0, 10.0),
}
SPELLINGS = {  # how the cooperative's office sometimes wrote them
    "Merlot": ["merlot", "MERLOT", "Merlot "],
    "Cabernet Sauvignon": ["Cabernet-Sauvignon", "cabernet sauvignon"],
    "Cabernet Franc": ["Cabernet-Franc", "cabernet franc"],
    "Sauvignon blanc": ["Sauvignon Blanc", "sauvignon blanc"],
    "Sémillon": ["Semillon", "sémillon"],
}
PLOTS = 60
DENSITY_REF = 5500.0        # vines per hectare of the reference plot
GROWTH_BASE = 1.9           # final bunch weight / véraison weight, in an average season
RAIN_REF_MM = 130.0         # July-August rain of an average season
HOT_DAYS_FREE = 3           # hot days the vines bear without losing weight
MILDEW_LOSS = 0.6           # share of an affected bunch lost by harvest
MISSING = {"grappes_par_pied": 0.05, "poids_grappe_g": 0.05, "mildiou_pct": 0.03}
WEIGHT_IN_KG = 0.015        # share of bunch weights written in kg
DUPLICATES = 0.01           # share of sheets entered twice (history only, `doublons`)
HARVEST_MISSING = 0.01      # share of harvests not recorded


def load_parcelles(seed: int = 2024) -> pd.DataFrame:
    """The cooperative's register of plots: one row per plot, sorted by plot.

    ================== ======= ==============================================================
    column             dtype   meaning
    ================== ======= ==============================================================
    parcelle           str     plot id, "P01" to "P60"
    commune            str     one of COMMUNES
    cepage             str     grape variety, written several ways (see the module's defects)
    surface_ha         float64 surface (ha), 2 decimals; two plots are given in ares (x 100)
    densite_pieds_ha   int64   vines planted per hectare
    annee_plantation   int64   planting year (1972 to 2014)
    ================== ======= ==============================================================
    """
    plots = _plots(seed)
    frame = plots[["parcelle", "commune", "cepage", "surface_ha", "densite_pieds_ha",
                   "annee_plantation"]].copy()
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    respelled = rng.random(PLOTS) < 0.3
    frame["cepage"] = [rng.choice(SPELLINGS[c]) if r else c
                       for c, r in zip(frame["cepage"], respelled)]
    in_ares = rng.choice(PLOTS, size=2, replace=False)
    frame.loc[in_ares, "surface_ha"] = (frame.loc[in_ares, "surface_ha"] * 100).round(1)
    return frame


def _plots(seed: int) -> pd.DataFrame:
    """The plots as they really are (clean), with their hidden terroir factors."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    names = list(CEPAGES)
    shares = np.array([CEPAGES[c][0] for c in names])
    surfaces = np.clip(rng.lognormal(np.log(1.4), 0.6, PLOTS), 0.3, 5.5).round(2)
    return pd.DataFrame({
        "parcelle": [f"P{i + 1:02d}" for i in range(PLOTS)],
        "commune": rng.choice(COMMUNES, size=PLOTS),
        "cepage": rng.choice(names, size=PLOTS, p=shares / shares.sum()),
        "surface_ha": surfaces,
        "densite_pieds_ha": (rng.integers(40, 67, PLOTS) * 100).astype("int64"),
        "annee_plantation": rng.integers(1972, 2015, PLOTS).astype("int64"),
        "terroir_grappes": np.exp(rng.normal(0, 0.08, PLOTS)),
        "terroir_poids": np.exp(rng.normal(0, 0.08, PLOTS)),
        "sensibilite_mildiou": rng.lognormal(0, 0.4, PLOTS),
    })


def load_campagnes(seed: int = 2024, annees=range(2017, 2025),
                   parcelles_seed: int = 2024, doublons: bool = True) -> pd.DataFrame:
    """August sampling sheets and harvests of the plots of ``load_parcelles(parcelles_seed)``,
    one row per plot and season (sorted by year then plot, fresh RangeIndex), plus a few
    sheets entered twice when `doublons` (placed right after their first copy).

    ===================== ======= ===========================================================
    column                dtype   meaning
    ===================== ======= ===========================================================
    annee                 int64   the season (harvest year)
    parcelle              str     plot id (see load_parcelles)
    grappes_par_pied      float64 mean bunches per vine, counted in August (1 decimal)
    poids_grappe_g        float64 mean bunch weight at véraison (g, whole number; a few in kg)
    mildiou_pct           float64 share of bunches with downy mildew at the count (%)
    pluie_juil_aout_mm    float64 rain in July and August at the commune's station (mm)
    jours_chauds          int64   days above 32 °C in July and August (commune's station)
    grele                 int64   1 if hail hit the plot after the count, else 0
    recolte_kg            float64 grapes delivered to the cooperative (kg, to 10 kg)
    ===================== ======= ===========================================================
    """
    plots = _plots(parcelles_seed)
    frames = [_season(seed, int(year), plots) for year in annees]
    frame = pd.concat(frames, ignore_index=True)
    if doublons and len(frame):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
        twice = np.flatnonzero(rng.random(len(frame)) < DUPLICATES)
        order = np.sort(np.concatenate([np.arange(len(frame)), twice]), kind="stable")
        frame = frame.iloc[order].reset_index(drop=True)
    return frame


def _season(seed: int, year: int, plots: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([seed, year]))
    n = len(plots)
    commune = plots["commune"].map({c: i for i, c in enumerate(COMMUNES)}).to_numpy()
    # The weather of the season, then of each commune.
    rain = rng.uniform(60, 200) + rng.normal(0, 15, len(COMMUNES))
    hot = np.clip(np.round(rng.gamma(2.0, 2.5) + rng.normal(0, 1, len(COMMUNES))), 0, None)
    mildew_pressure = rng.gamma(1.5, 4.0)
    fertility = np.exp(rng.normal(0, 0.10))
    weight_year = np.exp(rng.normal(0, 0.06))
    growth_unexplained = np.exp(rng.normal(0, 0.05))
    hail_commune = rng.random(len(COMMUNES)) < 0.12
    rain_plot, hot_plot = np.clip(rain[commune], 5, None), hot[commune]

    # What the vines really carry.
    variety = plots["cepage"].to_numpy()
    base_weight = np.array([CEPAGES[c][1] for c in variety])
    base_bunches = np.array([CEPAGES[c][2] for c in variety])
    density = plots["densite_pieds_ha"].to_numpy().astype(float)
    age = year - plots["annee_plantation"].to_numpy()
    bunches = (base_bunches * fertility * plots["terroir_grappes"].to_numpy()
               * (density / DENSITY_REF) ** -0.3 * np.exp(rng.normal(0, 0.06, n)))
    weight = (base_weight * weight_year * plots["terroir_poids"].to_numpy()
              * np.exp(rng.normal(0, 0.07, n)))
    missing_vines = 0.03 + 0.0025 * np.clip(age - 15, 0, None)
    young = np.clip(0.55 + 0.06 * age, None, 1.0)
    growth = (GROWTH_BASE * (1 + 0.0015 * (rain_plot - RAIN_REF_MM))
              * (1 - 0.025 * np.clip(hot_plot - HOT_DAYS_FREE, 0, None))
              * growth_unexplained * np.exp(rng.normal(0, 0.04, n)))
    mildew = np.clip(mildew_pressure * plots["sensibilite_mildiou"].to_numpy()
                     * rng.lognormal(0, 0.5, n), 0, 60)
    hail = hail_commune[commune] & (rng.random(n) < 0.6)
    hail_loss = np.where(hail, rng.uniform(0.2, 0.6, n), 0.0)
    per_ha = (density * (1 - missing_vines) * young * bunches * weight * growth / 1000
              * (1 - MILDEW_LOSS * mildew / 100) * (1 - hail_loss))
    harvest = per_ha * plots["surface_ha"].to_numpy() * np.exp(rng.normal(0, 0.03, n))

    # What the August sheet records: small samples, rounded.
    counted = (bunches * np.exp(rng.normal(0, 0.06, n))).round(1)
    weighed = (weight * np.exp(rng.normal(0, 0.06, n))).round(0)
    in_kg = rng.random(n) < WEIGHT_IN_KG
    weighed = np.where(in_kg, (weighed / 1000).round(3), weighed)
    frame = pd.DataFrame({
        "annee": np.full(n, year, dtype="int64"),
        "parcelle": plots["parcelle"].to_numpy(),
        "grappes_par_pied": counted,
        "poids_grappe_g": weighed,
        "mildiou_pct": (mildew * np.exp(rng.normal(0, 0.15, n))).clip(0, 100).round(0),
        "pluie_juil_aout_mm": rain_plot.round(0),
        "jours_chauds": hot_plot.astype("int64"),
        "grele": hail.astype("int64"),
        "recolte_kg": (harvest / 10).round(0) * 10,
    })
    for column, share in MISSING.items():
        frame.loc[rng.random(n) < share, column] = np.nan
    frame.loc[rng.random(n) < HARVEST_MISSING, "recolte_kg"] = np.nan
    return frame
