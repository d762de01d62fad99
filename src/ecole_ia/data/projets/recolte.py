"""Projet « récolte » : estimer le rendement de chaque parcelle (kg/ha) à partir de la fiche
remplie en août (grappes comptées, poids des grappes, mildiou) et de la météo de l'été."""

import pandas as pd
from sklearn.ensemble import RandomForestRegressor

CEPAGES = ["Merlot", "Cabernet Sauvignon", "Cabernet Franc", "Sauvignon blanc", "Sémillon"]
VARIABLES = ["grappes_par_pied", "poids_grappe_g", "mildiou_pct", "pluie_juil_aout_mm",
             "jours_chauds", "grele", "densite_pieds_ha"]


def normaliser_cepage(texte):
    """Renvoie le nom officiel du cépage écrit dans `texte` (un élément de CEPAGES).

    Les espaces autour du texte, les majuscules et les minuscules ne comptent pas, un tiret
    vaut une espace et « e » vaut « é » : " MERLOT ", "Cabernet-Sauvignon" et "Semillon"
    donnent "Merlot", "Cabernet Sauvignon" et "Sémillon". Le texte doit désigner un cépage
    entier : tout autre texte ("Syrah", "Cabernet", "", "Merlot noir") lève une
    ValueError("cépage inconnu : ...").
    """
    cle = texte.strip().lower().replace("-", " ").replace("é", "e")
    for cepage in CEPAGES:
        if cepage.lower().replace("é", "e") == cle:
            return cepage
    raise ValueError(f"cépage inconnu : {texte!r}")


def surface_en_ha(surface):
    """Renvoie une surface en hectares (float arrondi à 2 décimales).

    Aucune parcelle de la coopérative ne dépasse 50 ha : une surface au-dessus de 50 a été
    saisie en ares, et elle est divisée par 100 (1 ha = 100 ares). 50 exactement reste 50 ha.
    """
    if surface > 50:
        surface = surface / 100
    return round(float(surface), 2)


def poids_en_g(poids):
    """Renvoie une copie de la Series `poids` (poids d'une grappe) où chaque valeur est en
    grammes : une grappe pèse de 20 à 400 g, donc une valeur sous 5 a été saisie en kg et
    est multipliée par 1000. Les valeurs manquantes restent manquantes ; `poids` n'est pas
    modifiée."""
    return poids.where(~(poids < 5), poids * 1000)


def preparer(fiches, parcelles):
    """Renvoie la table du modèle : une ligne par fiche utile, avec le rendement à prédire.

    - une fiche saisie deux fois (même annee et même parcelle) n'est gardée qu'une fois :
      la première ;
    - les fiches sans récolte (recolte_kg manquant) sont retirées ;
    - poids_grappe_g est converti par poids_en_g ;
    - puis les valeurs manquantes de grappes_par_pied, poids_grappe_g et mildiou_pct sont
      remplacées par la médiane de leur colonne (calculée sur les fiches gardées) ;
    - les colonnes surface_ha (convertie par surface_en_ha) et densite_pieds_ha du registre
      `parcelles` sont ajoutées à chaque fiche, d'après sa parcelle ;
    - rendement_kg_ha = recolte_kg / surface_ha.

    Les lignes gardent l'ordre des fiches, avec un index neuf (0, 1, 2...). Les tableaux
    reçus ne sont pas modifiés.
    """
    table = fiches.drop_duplicates(["annee", "parcelle"], keep="first")
    table = table.dropna(subset=["recolte_kg"]).copy()
    table["poids_grappe_g"] = poids_en_g(table["poids_grappe_g"])
    for colonne in ["grappes_par_pied", "poids_grappe_g", "mildiou_pct"]:
        table[colonne] = table[colonne].fillna(table[colonne].median())
    registre = parcelles[["parcelle", "surface_ha", "densite_pieds_ha"]].copy()
    registre["surface_ha"] = registre["surface_ha"].map(surface_en_ha)
    table = table.merge(registre, on="parcelle", how="left")
    table["rendement_kg_ha"] = table["recolte_kg"] / table["surface_ha"]
    return table.reset_index(drop=True)


def entrainer(X, y, graine=0):
    """Entraîne la forêt aléatoire du projet sur X (les colonnes VARIABLES) et y (le
    rendement) ; `graine` fixe son hasard. Renvoie le modèle entraîné."""
    modele = RandomForestRegressor(n_estimators=15, min_samples_leaf=3, random_state=graine)
    return modele.fit(X, y)
