"""Hosted LLM offers compared on public, official documentation, for cb-09; read from the
package, no network.

    from ecole_ia.datasets.offres_llm import load_offres_llm
    offres = load_offres_llm()          # DataFrame indexed by offer id, 5 offers

Each row is one offer (a provider, a contract, one comparable small model) on the criteria a
team checks before sending users' messages to a provider: prices per million input and
output tokens, context window, hosting in the EU, retention of prompts, whether customer data
trains models by default, a data processing agreement (RGPD). Every figure was read on the
provider's own pages on `releve_le` (the pages show no date of their own); its address is in
`source_prix`, `source_donnees` or `source_hebergement`. Third-party blogs disagree with each
other and were never used. What could not be found on an official page is empty (prices,
context, retention) or "non vérifié" (text columns). The `local` row is the course's own
service, whose prices are made up ("simulé"). Prices and terms change: check them on the day
of a decision.
"""

from __future__ import annotations

import io
from importlib import resources

import pandas as pd

OFFRES_RESOURCE = "data/offres_llm.csv"
RELEVE_LE = "2026-12-07"
NUMERIC = ("prix_entree_million", "prix_sortie_million", "contexte_jetons", "conservation_jours")
OFFICIAL_DOMAINS = ("https://openai.com/", "https://developers.openai.com/",
                    "https://learn.microsoft.com/", "https://azure.microsoft.com/",
                    "https://mistral.ai/", "https://docs.mistral.ai/", "https://help.mistral.ai/")


def load_offres_llm() -> pd.DataFrame:
    """The offers, indexed by `id`: numeric columns as float (NaN: not found on an official
    page), text columns as str ("" where a source is missing)."""
    text = resources.files("ecole_ia").joinpath(OFFRES_RESOURCE).read_text(encoding="utf-8")
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).set_index("id")
    for column in NUMERIC:
        table[column] = pd.to_numeric(table[column].replace("", None), errors="raise").astype(float)
    return table
