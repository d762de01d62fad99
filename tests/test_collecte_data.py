"""Tests of the dev-10 material: the observatory's saved pages and robots.txt
(ecole_ia.datasets.collecte) and the local weather API (ecole_ia.services.weather_api)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from urllib.robotparser import RobotFileParser

import httpx2
import pytest
from bs4 import BeautifulSoup

from ecole_ia.datasets.collecte import PAGES, SITE_URL, page_html, page_url, robots_txt
from ecole_ia.services.weather_api import (
    STATIONS, generate_measurements, serve_weather_api)

# -- saved pages and robots.txt -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PAGES))
def test_pages_are_french_utf8_html(name):
    page = page_html(name)
    assert isinstance(page, str)
    assert page.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in page and page.rstrip().endswith("</html>")
    assert "é" in page and "\ufffd" not in page and "Ã" not in page
    soup = BeautifulSoup(page, "html.parser")
    assert "Observatoire des vignes de Gironde" in soup.title.get_text()
    assert page_url(name) == SITE_URL + PAGES[name]


def test_unknown_page_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown page"):
        page_html("contact")
    with pytest.raises(ValueError, match="unknown page"):
        page_url("contact")


def _table(name: str, table_id: str) -> tuple[list[str], list[list[str]], BeautifulSoup]:
    soup = BeautifulSoup(page_html(name), "html.parser")
    table = soup.find("table", id=table_id)
    headers = [" ".join(th.get_text().split()) for th in table.thead.find_all("th")]
    rows = [[" ".join(td.get_text().split()) for td in tr.find_all("td")]
            for tr in table.tbody.find_all("tr")]
    return headers, rows, soup


def test_bulletin_table_is_messy_on_purpose():
    headers, rows, soup = _table("bulletin", "releves")
    assert headers == ["Date", "Station", "Pluie", "T. min", "T. max", "Vent max"]
    assert len(rows) == 14 and all(len(row) == 6 for row in rows)
    # another table comes first: soup.find("table") is not the readings
    assert soup.find("table").get("class") == ["resume"]
    dates = [row[0] for row in rows]
    assert dates[0] == "lun. 6 mai 2024" and dates[7] == "06/05/2024"
    assert {row[1] for row in rows} == {"Bègles", "Saint-Émilion"}
    cells = [cell for row in rows for cell in row]
    assert "—" in cells and "10,9 °C*" in cells and "6,5 m/s" in cells
    raw = soup.find("table", id="releves").tbody.find_all("td")
    assert any("\xa0" in td.get_text() for td in raw), "no-break spaces expected"
    assert any("\n" in td.get_text() for td in raw), "extra whitespace expected"
    assert "Valeur estimée" in soup.find("table", id="releves").tfoot.get_text()
    # the summary agrees with the readings
    rain = {}
    for row in rows:
        rain[row[1]] = rain.get(row[1], 0) + float(row[2].split()[0].rstrip("*").replace(",", "."))
    assert round(rain["Bègles"], 1) == 19.7 and round(rain["Saint-Émilion"], 1) == 28.7


def test_plots_table_has_units_and_date_formats():
    headers, rows, soup = _table("parcelles", "parcelles")
    assert headers == ["Commune", "Parcelle", "Cépage", "Surface", "Dernière visite", "Station"]
    assert len(rows) == 8
    surfaces = [row[3] for row in rows]
    assert surfaces == ["1,2 ha", "85 a", "2,45 ha", "12 500 m²", "3,1 ha", "n.c.", "60 a",
                        "4 200 m²"]
    assert "\u202f" in page_html("parcelles"), "a narrow no-break space separates thousands"
    factors = {"ha": 1, "a": 0.01, "m²": 0.0001}
    total = sum(float(s.rsplit(" ", 1)[0].replace(" ", "").replace(",", "."))
                * factors[s.rsplit(" ", 1)[1]] for s in surfaces if s != "n.c.")
    assert round(total, 2) == 9.87
    assert "1er mai 2024" in [row[4] for row in rows]
    assert {row[5] for row in rows} <= {s["code"] for s in STATIONS}
    assert soup.find("table").get("class") == ["resume"]


def test_home_page_links_cover_allowed_and_disallowed_paths():
    soup = BeautifulSoup(page_html("accueil"), "html.parser")
    hrefs = [a["href"] for a in soup.find_all("a")]
    parser = RobotFileParser()
    parser.parse(robots_txt().splitlines())
    local = [h for h in hrefs if h.startswith("/")]
    verdicts = {h: parser.can_fetch("EcoleIA-Collecte", SITE_URL + h) for h in local}
    assert sum(verdicts.values()) >= 4 and sum(not v for v in verdicts.values()) >= 4, verdicts
    assert any(h.startswith("https://") for h in hrefs), "one external link expected"


def test_robots_rules():
    parser = RobotFileParser()
    parser.parse(robots_txt().splitlines())
    agent = "EcoleIA-Collecte"
    allowed = ["/", "/bulletins/2024/semaine-19.html", "/parcelles/", "/api/", "/admin"]
    refused = ["/admin/", "/admin/membres", "/recherche", "/recherche?q=mildiou",
               "/bulletins/brouillons/semaine-20.html", "/parcelles/export?format=csv"]
    for path in allowed:
        assert parser.can_fetch(agent, SITE_URL + path) is True, path
    for path in refused:
        assert parser.can_fetch(agent, SITE_URL + path) is False, path
    for path in allowed:
        assert parser.can_fetch("AspiroBot/2.1", SITE_URL + path) is False, path
    assert parser.crawl_delay(agent) == 5
    assert parser.site_maps() == [SITE_URL + "/sitemap.xml"]
    assert "é" in robots_txt()


# -- the weather API ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def api():
    with serve_weather_api() as base_url:
        yield base_url


def get(base_url: str, path: str, **params) -> httpx2.Response:
    return httpx2.get(base_url + path, params=params, timeout=5)


def test_base_url_is_local_and_free_port(api):
    assert api.startswith("http://127.0.0.1:") and not api.endswith("/")
    assert int(api.rsplit(":", 1)[1]) > 0


def test_index_and_stations(api):
    index = get(api, "/")
    assert index.status_code == 200 and "/stations" in index.json()["routes"]
    response = get(api, "/stations")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["count"] == 5 == len(body["results"])
    assert [s["code"] for s in body["results"]] == ["BEG", "STE", "PAU", "CAD", "MAR"]
    assert body["results"][1]["nom"] == "Saint-Émilion"
    assert "Saint-Émilion".encode() in response.content, "UTF-8, not \\u escapes"
    one = get(api, "/stations/STE")
    assert one.status_code == 200 and one.json() == body["results"][1]
    assert get(api, "/stations/").json() == body


def test_measurements_pages_and_links(api):
    first = get(api, "/mesures", station="BEG").json()
    assert (first["count"], first["page"], first["pages"]) == (31, 1, 4)
    assert first["previous"] is None
    assert first["next"] == "/mesures?station=BEG&page=2&par_page=10"
    collected, body = list(first["results"]), first
    while body["next"] is not None:
        body = httpx2.get(api + body["next"], timeout=5).json()
        collected += body["results"]
    assert body["page"] == 4 and len(body["results"]) == 1
    assert body["previous"] == "/mesures?station=BEG&page=3&par_page=10"
    assert collected == generate_measurements()["BEG"]
    assert [m["date"] for m in collected] == [f"2024-05-{d:02d}" for d in range(1, 32)]


def test_measurement_fields_and_units():
    data = generate_measurements()
    assert list(data) == [s["code"] for s in STATIONS]
    rows = [row for station in data.values() for row in station]
    assert len(rows) == 5 * 31
    nulls = 0
    for row in rows:
        assert list(row) == ["station", "date", "tmin_k", "tmax_k", "pluie_mm", "vent_max_ms"]
        for field in ["tmin_k", "tmax_k", "pluie_mm", "vent_max_ms"]:
            nulls += row[field] is None
            assert row[field] is None or type(row[field]) is float, row
        if row["tmin_k"] is not None:
            celsius = row["tmin_k"] - 273.15
            assert 0 < celsius < 25 and round(celsius, 1) == round(celsius, 6)
            if row["tmax_k"] is not None:
                assert row["tmax_k"] > row["tmin_k"]
        assert row["pluie_mm"] is None or 0 <= row["pluie_mm"] < 60
        assert row["vent_max_ms"] is None or 0 < row["vent_max_ms"] < 25
    assert 5 <= nulls <= 60, nulls
    rainy = sum(1 for row in rows if row["pluie_mm"])
    assert 15 <= rainy <= 100, rainy


def test_date_filters_and_page_size(api):
    day = get(api, "/mesures", station="STE", date="2024-05-08").json()
    assert day["count"] == 1 and day["results"] == [generate_measurements()["STE"][7]]
    week = get(api, "/mesures", station="PAU", debut="2024-05-06", fin="2024-05-12",
               par_page=3, page=3).json()
    assert (week["count"], week["pages"], week["next"]) == (7, 3, None)
    assert [m["date"] for m in week["results"]] == ["2024-05-12"]
    assert week["previous"] == ("/mesures?station=PAU&debut=2024-05-06&fin=2024-05-12"
                                "&page=2&par_page=3")
    exact = get(api, "/mesures", station="CAD", debut="2024-05-01", fin="2024-05-10").json()
    assert (exact["count"], exact["pages"], exact["next"]) == (10, 1, None)
    outside = get(api, "/mesures", station="MAR", debut="2023-01-01", fin="2023-12-31").json()
    assert (outside["count"], outside["pages"], outside["results"]) == (0, 1, [])
    since = get(api, "/mesures", station="MAR", debut="2024-05-30").json()
    assert [m["date"] for m in since["results"]] == ["2024-05-30", "2024-05-31"]


@pytest.mark.parametrize("path, params, status, words", [
    ("/nulle-part", {}, 404, "route inconnue"),
    ("/stations/XYZ", {}, 404, "station inconnue"),
    ("/stations/beg", {}, 404, "station inconnue"),
    ("/mesures", {}, 400, "station"),
    ("/mesures", {"station": ""}, 400, "station"),
    ("/mesures", {"station": "XYZ"}, 404, "station inconnue"),
    ("/mesures", {"station": "BEG", "date": "03/05/2024"}, 400, "AAAA-MM-JJ"),
    ("/mesures", {"station": "BEG", "debut": "2024-5-3"}, 400, "debut"),
    ("/mesures", {"station": "BEG", "fin": "2024-02-30"}, 400, "fin"),
    ("/mesures", {"station": "BEG", "date": "2024-05-03", "debut": "2024-05-01"}, 400, "date"),
    ("/mesures", {"station": "BEG", "debut": "2024-05-10", "fin": "2024-05-01"}, 400, "après"),
    ("/mesures", {"station": "BEG", "page": "deux"}, 400, "page"),
    ("/mesures", {"station": "BEG", "page": "0"}, 400, "page"),
    ("/mesures", {"station": "BEG", "page": "5"}, 404, "page inexistante"),
    ("/mesures", {"station": "BEG", "par_page": "51"}, 400, "par_page"),
])
def test_errors_are_json_with_status(api, path, params, status, words):
    response = get(api, path, **params)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["statut"] == status and words in body["erreur"], body
    with pytest.raises(httpx2.HTTPStatusError):
        response.raise_for_status()


def test_only_get_is_allowed(api):
    response = httpx2.post(api + "/stations", json={"code": "NEW"}, timeout=5)
    assert response.status_code == 405 and response.headers["allow"] == "GET"
    assert "GET" in response.json()["erreur"]


def test_urllib_request_works_too(api):
    with urllib.request.urlopen(api + "/mesures?station=BEG&date=2024-05-01", timeout=5) as r:
        assert json.loads(r.read().decode("utf-8"))["count"] == 1
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(api + "/stations/XYZ", timeout=5)
    assert info.value.code == 404
    info.value.close()


def test_same_seed_same_answers_other_seed_other_values():
    with serve_weather_api(seed=7) as one, serve_weather_api(seed=7) as two:
        assert one != two
        assert get(one, "/mesures", station="STE").json() == get(two, "/mesures",
                                                                  station="STE").json()
    assert generate_measurements(7) == generate_measurements(7)
    assert generate_measurements(7) != generate_measurements(8)
    with serve_weather_api(seed=8) as other:
        assert get(other, "/mesures", station="STE", par_page=50).json()["results"] == \
            generate_measurements(8)["STE"]
        assert get(other, "/stations").json()["count"] == 5


def test_quiet_log(api, capfd):
    get(api, "/stations")
    get(api, "/nulle-part")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_server_stops_and_releases_its_port():
    with serve_weather_api() as base_url:
        assert get(base_url, "/stations").status_code == 200
    port = int(base_url.rsplit(":", 1)[1])
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(base_url + "/stations", timeout=2)
    with socket.socket() as probe:     # the port is free again (TIME_WAIT aside)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


def test_server_stops_after_an_error_in_the_block():
    with pytest.raises(RuntimeError):
        with serve_weather_api() as base_url:
            raise RuntimeError("boom")
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(base_url + "/stations", timeout=2)
