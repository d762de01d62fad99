"""The ds-13 helpers: a seeded mildew table and fast, self-contained MLflow stores."""

from __future__ import annotations

import os

import pytest

from ecole_ia.datasets.suivi import FEATURES, TARGET, preparer_suivi, table_mildiou


def test_table_mildiou_is_seeded_and_complete():
    """Same seed, same table; one row per day and device, no missing feature, labels 0/1."""
    a = table_mildiou(seed=7, devices=2, days=30)
    b = table_mildiou(seed=7, devices=2, days=30)
    assert a.equals(b)
    assert list(a.columns) == ["jour", "capteur", *FEATURES, TARGET]
    assert a[FEATURES].notna().all().all()
    assert set(a[TARGET].unique()) <= {0, 1}
    assert len(a) <= 60 and len(a) >= 55
    assert not table_mildiou(seed=8, devices=2, days=30).equals(a)


def test_preparer_suivi_keeps_everything_in_its_folder(tmp_path, monkeypatch):
    """The store, the experiment's artifacts and a logged model stay in the folder; a
    second store in the same folder is refused."""
    mlflow = pytest.importorskip("mlflow")
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    travail = tmp_path / "cwd"
    travail.mkdir()
    monkeypatch.chdir(travail)
    try:
        uri = preparer_suivi(tmp_path / "suivi", "essais")
        assert uri == f"sqlite:///{(tmp_path / 'suivi' / 'mlflow.db').resolve()}"
        assert mlflow.get_experiment_by_name("essais") is not None
        modele = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1])
        with mlflow.start_run() as essai:
            mlflow.log_param("C", 1.0)
            mlflow.sklearn.log_model(modele, name="modele", pip_requirements=["scikit-learn"])
        version = mlflow.register_model(f"runs:/{essai.info.run_id}/modele", "m")
        assert int(version.version) == 1
        assert mlflow.sklearn.load_model("models:/m/1").predict([[1.0]]).shape == (1,)
        assert any((tmp_path / "suivi" / "artefacts").rglob("MLmodel"))
        assert os.listdir(travail) == []
        with pytest.raises(FileExistsError):
            preparer_suivi(tmp_path / "suivi", "autre")
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
