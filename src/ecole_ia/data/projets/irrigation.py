"""Projet « irrigation » : prévoir l'humidité du sol d'un boîtier 6 heures à l'avance, à
partir des messages qu'il envoie par radio (irréguliers, parfois perdus ou reçus deux fois)."""

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

MESURES = ["temp_air_c", "pluie_mm", "humidite_sol_pct"]
VARIABLES = ["sol", "sol_moy_6h", "variation_3h", "pluie_6h_mm", "temp_air_c", "heure"]
HORIZON = 6       # heures entre la dernière mesure connue et l'humidité prévue
TROU_MAX = 3      # un trou de 3 heures ou moins est comblé, un plus long reste vide


def dedoublonner(messages):
    """Retire les messages reçus deux fois (lignes entièrement identiques) et garde la
    première copie ; les autres lignes gardent leur ordre et leur index. `messages` n'est
    pas modifié."""
    return messages[~messages.duplicated()]


def grille_horaire(messages):
    """Une ligne par heure pile, de la première à la dernière heure des messages (index :
    un DatetimeIndex nommé horodatage), avec la moyenne des MESURES des messages reçus dans
    l'heure (de hh:00:00 à hh:59:59). Une heure sans message donne NaN partout."""
    mesures = messages.set_index("horodatage")[MESURES]
    return mesures.resample("h").mean()


def combler(serie, trou_max=TROU_MAX):
    """Comble les trous de `serie` (des NaN à la suite) de `trou_max` valeurs ou moins par
    interpolation linéaire entre la valeur d'avant et celle d'après. Un trou plus long reste
    entièrement NaN, de même qu'un trou au début ou à la fin (pas de valeur d'un côté).
    Renvoie une nouvelle Series ; `serie` n'est pas modifiée."""
    manque = serie.isna()
    numero = (~manque).cumsum()
    longueur = manque.groupby(numero).transform("sum")
    interpolee = serie.interpolate(limit_area="inside")
    return interpolee.where(~manque | (longueur <= trou_max))


def construire_table(horaire, horizon=HORIZON):
    """La table du modèle, une ligne par heure h (index : l'heure h), avec :

    - sol : l'humidité du sol à h, comblée par `combler` ;
    - sol_moy_6h : la moyenne de `sol` sur les 6 heures h-5 à h (6 valeurs, toutes connues) ;
    - variation_3h : `sol` à h moins `sol` à h-3 ;
    - pluie_6h_mm : la pluie des 6 heures h-5 à h (les heures sans mesure comptent 0) ;
    - temp_air_c : la température de l'air à h, comblée par `combler` ;
    - heure : l'heure de la journée de h (0 à 23) ;
    - cible : `sol` à h + horizon, l'humidité à prévoir.

    Les lignes où une de ces colonnes est manquante sont retirées."""
    table = pd.DataFrame(index=horaire.index)
    table["sol"] = combler(horaire["humidite_sol_pct"])
    table["sol_moy_6h"] = table["sol"].rolling(6).mean()
    table["variation_3h"] = table["sol"] - table["sol"].shift(3)
    table["pluie_6h_mm"] = horaire["pluie_mm"].fillna(0.0).rolling(6, min_periods=1).sum()
    table["temp_air_c"] = combler(horaire["temp_air_c"])
    table["heure"] = table.index.hour.astype("int64")
    table["cible"] = table["sol"].shift(-horizon)
    return table.dropna()


class PrevisionParVariation:
    """Le modèle du projet : une forêt aléatoire apprend la **variation** de l'humidité
    (cible - sol) ; la prévision est l'humidité actuelle (colonne sol de X) plus cette
    variation prévue."""

    def __init__(self, graine=0):
        self.foret = RandomForestRegressor(n_estimators=15, min_samples_leaf=20,
                                           max_features=0.6, random_state=graine)

    def fit(self, X, y):
        self.foret.fit(X, np.asarray(y) - X["sol"].to_numpy())
        return self

    def predict(self, X):
        return X["sol"].to_numpy() + self.foret.predict(X)


def entrainer(X, y, graine=0):
    """Entraîne le modèle du projet sur X (les colonnes VARIABLES) et y (la cible) ;
    `graine` fixe son hasard. Renvoie le modèle entraîné (méthode predict)."""
    return PrevisionParVariation(graine).fit(X, y)


def erreur_moyenne(modele, X, y):
    """L'erreur absolue moyenne (float, en points d'humidité) du modèle sur X et y."""
    return float(np.mean(np.abs(modele.predict(X) - np.asarray(y))))
