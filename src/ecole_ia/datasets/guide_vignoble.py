"""The school vineyard's protection guide, cut into short passages, for the exercise on
retrieval-augmented generation (cb-14); read from the package, no network.

    from ecole_ia.datasets.guide_vignoble import load_guide_vignoble
    guide = load_guide_vignoble()      # list of dicts: id, titre, texte (31 passages)

Each passage is one topic of the (fictional) guide that the school's vineyard team gives to
the people who treat the vines: downy and powdery mildew, black rot, grey rot, copper and its
yearly ceiling, wash-off by rain, the treatment rhythm, SMS alerts, the plot sensors, wind,
re-entry delays, protective equipment, storage, tank leftovers, the treatment register,
the Certiphyto certificate, the sprayer, the pre-harvest interval, harvest dates, leaf
removal, disbudding, grass cover, spring frost, hail, biocontrol products and whom to call.
`id` is a short slug, `titre` a heading, `texte` two or three sentences in French, each fact
stated once, so that a question has one passage that answers it. No personal data.
"""

from __future__ import annotations

import json
from importlib import resources

GUIDE_RESOURCE = "data/guide_vignoble.json"


def load_guide_vignoble() -> list[dict[str, str]]:
    """The guide's passages, in the guide's order: dicts with keys id, titre, texte (str)."""
    text = resources.files("ecole_ia").joinpath(GUIDE_RESOURCE).read_text(encoding="utf-8")
    return [{"id": p["id"], "titre": p["titre"], "texte": p["texte"]} for p in json.loads(text)]
