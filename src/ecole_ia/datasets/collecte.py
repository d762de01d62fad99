"""Saved pages of the fictitious "Observatoire des vignes de Gironde" for dev-10 (collecting).

    from ecole_ia.datasets.collecte import page_html, page_url, robots_txt
    texte = robots_txt()               # str: the site's robots.txt
    page = page_html("bulletin")       # str: a whole HTML page, UTF-8 text read verbatim
    page_url("bulletin")               # where the page lives on the (fictitious) site

Pages (``PAGES`` maps each name to its path on the site, ``SITE_URL`` is the site's root):

- ``"accueil"``: the home page, with links to allowed and disallowed paths of robots.txt;
- ``"bulletin"``: weekly bulletin n° 19 (6-12 May 2024), a small summary table
  (``class="resume"``) then the daily readings of two stations in ``<table id="releves">``
  (thead/tbody/tfoot), French number formats with units ("12,5 mm", "9,7 °C",
  "6,5 m/s" among "km/h"), dates written "lun. 6 mai 2024" or "06/05/2024", extra
  whitespace, missing values "—" and estimated values flagged "*" (explained in the tfoot);
- ``"parcelles"``: the plots followed in 2024 in ``<table id="parcelles">``, surfaces in ha,
  a or m² (thousands separated by a narrow no-break space), one surface "n.c." (unknown),
  visit dates "3 mai 2024", "1er mai 2024" or "29/04/2024".

The robots.txt disallows /admin/, /recherche, /bulletins/brouillons/ and /parcelles/export
for every robot, with a crawl delay of 5 seconds, and the whole site for "AspiroBot".
Nothing here uses the network; the site's domain ends in .example and does not exist.
"""

from __future__ import annotations

from importlib import resources

SITE_URL = "https://www.observatoire-vignes-gironde.example"
PAGES = {
    "accueil": "/",
    "bulletin": "/bulletins/2024/semaine-19.html",
    "parcelles": "/parcelles/",
}
_FILES = {
    "accueil": "accueil.html",
    "bulletin": "bulletin-2024-s19.html",
    "parcelles": "parcelles.html",
}
_FOLDER = "data/collecte"


def _read(filename: str) -> str:
    return resources.files("ecole_ia").joinpath(f"{_FOLDER}/{filename}").read_text(
        encoding="utf-8")


def page_html(name: str) -> str:
    """The saved page `name` (one of ``PAGES``), as one str."""
    if name not in _FILES:
        raise ValueError(f"unknown page {name!r}; pages: {', '.join(_FILES)}")
    return _read(_FILES[name])


def page_url(name: str) -> str:
    """The address of page `name` on the fictitious site, e.g. SITE_URL + "/parcelles/"."""
    if name not in PAGES:
        raise ValueError(f"unknown page {name!r}; pages: {', '.join(PAGES)}")
    return SITE_URL + PAGES[name]


def robots_txt() -> str:
    """The site's robots.txt, as one str."""
    return _read("robots.txt")
