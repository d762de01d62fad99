"""Offline MLflow tracking stores for ds-13, and a small seeded mildew table to train on.

    from ecole_ia.datasets.suivi import preparer_suivi, table_mildiou
    uri = preparer_suivi(dossier, "alerte-mildiou")  # an empty local store, ready at once
    table = table_mildiou()                          # one row per device and day + label

MLflow creates a SQLite store by running its database migrations, which takes several
seconds. :func:`preparer_suivi` runs them once per MLflow version into a template file in
the temporary directory, then copies that template: a new, empty store in a few
milliseconds, which keeps graded notebooks fast. The store and every artifact (models) stay
inside `dossier`; nothing is written to the working directory and nothing goes on the
network (MLflow's telemetry is switched off).
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pandas as pd

FEATURES = ["temp_moy_c", "pluie_mm", "pluie_48h_mm", "heures_humectation", "degres_heures"]
TARGET = "risque_mildiou"


def silence_mlflow() -> None:
    """No telemetry, no INFO lines (their dates would make outputs change at every run)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    for name in ("mlflow", "alembic", "mlflow.store.db.utils"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _cache_package_versions() -> None:
    """MLflow looks up installed package versions (pip, setuptools, wheel, scikit-learn...)
    on every ``log_model``, each lookup a scan of ``sys.path``: about 0.1 CPU-second per
    model logged. Versions do not change while a kernel runs, so the lookups are memoised
    (once in the grading zygote, inherited by every graded kernel)."""
    import functools

    from mlflow.utils import environment, requirements_utils

    for module, name in ((environment, "_get_package_version"),
                         (requirements_utils, "_get_installed_version")):
        function = getattr(module, name, None)
        if function is not None and not hasattr(function, "cache_info"):
            setattr(module, name, functools.lru_cache(maxsize=None)(function))


def _template() -> Path:
    """An empty, migrated MLflow SQLite store, made once per MLflow version."""
    silence_mlflow()
    import mlflow
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    path = Path(tempfile.gettempdir()) / f"ecole-ia-mlflow-{mlflow.__version__}.db"
    if not path.exists():
        work = Path(tempfile.mkdtemp(prefix="ecole-ia-mlflow-"))
        store = SqlAlchemyStore(f"sqlite:///{work / 'mlflow.db'}", (work / "artefacts").as_uri())
        store.engine.dispose()
        os.replace(work / "mlflow.db", path)  # atomic: a concurrent reader sees all or nothing
        shutil.rmtree(work, ignore_errors=True)
    return path


def warm_up() -> None:
    """Make the template, then log, register and load a tiny model once in a throwaway store
    (grading zygote): the first ``log_model`` of a process imports IPython, GitPython and
    more, seconds that every graded kernel forked from the zygote then saves. MLflow keeps no
    thread running afterwards, and the tracking URI is put back to its default."""
    import contextlib
    import io

    import mlflow
    import mlflow.sklearn
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    _template()
    dossier = Path(tempfile.mkdtemp(prefix="ecole-ia-warm-up-"))
    try:
        preparer_suivi(dossier, "warm-up")
        modele = LogisticRegression().fit(np.arange(8.0).reshape(4, 2), [0, 1, 0, 1])
        with mlflow.start_run() as essai:
            mlflow.log_param("C", 1.0)
            mlflow.sklearn.log_model(modele, name="modele", pip_requirements=["scikit-learn"])
        with contextlib.redirect_stderr(io.StringIO()):
            mlflow.register_model(f"runs:/{essai.info.run_id}/modele", "warm-up")
        mlflow.sklearn.load_model("models:/warm-up/1")
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
        shutil.rmtree(dossier, ignore_errors=True)


def preparer_suivi(dossier, experience: str = "essais") -> str:
    """Make an empty MLflow store in `dossier` (``mlflow.db`` and ``artefacts/``), use it
    for tracking and the model registry, create the experiment `experience` with its
    artifacts in ``dossier/artefacts`` and make it the active one. Returns the tracking URI
    (``sqlite:///<dossier>/mlflow.db``). `dossier` must not already hold a store."""
    silence_mlflow()
    import mlflow

    _cache_package_versions()
    dossier = Path(dossier).resolve()
    dossier.mkdir(parents=True, exist_ok=True)
    base = dossier / "mlflow.db"
    if base.exists():
        raise FileExistsError(f"{base} existe déjà : choisissez un dossier vide")
    shutil.copyfile(_template(), base)
    artefacts = dossier / "artefacts"
    artefacts.mkdir(exist_ok=True)
    with sqlite3.connect(base) as connexion:  # the default experiment's artifacts too
        connexion.execute("UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
                          ((artefacts / "0").as_uri(),))
    connexion.close()
    uri = f"sqlite:///{base}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    mlflow.create_experiment(experience, artifact_location=(artefacts / experience).as_uri())
    mlflow.set_experiment(experience)
    return uri


def table_mildiou(seed: int = 2024, devices: int = 6, days: int = 169) -> pd.DataFrame:
    """One row per (day, device) of a seeded season: the weather of the day
    (:data:`FEATURES`, from :func:`~ecole_ia.datasets.mildiou.daily_conditions`) and the
    grower's risk label ``risque_mildiou`` (0 or 1, about 8 % of them wrong). Rows are
    sorted by day then device; a day where a feature could not be computed is dropped."""
    from .mildiou import daily_conditions, load_mildiou_season, mildiou_labels

    releves = load_mildiou_season(seed=seed, devices=devices, days=days)
    jours = daily_conditions(releves)
    etiquettes = mildiou_labels(releves, seed=seed)
    table = jours.merge(etiquettes, on=["jour", "capteur"], how="inner")
    return table.dropna(subset=FEATURES).reset_index(drop=True)
