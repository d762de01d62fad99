"""A local stand-in for the weather API of the fictitious "Observatoire des vignes de Gironde".

Used by dev-10 (collecting data): learners call it with ``httpx2`` exactly as they would call
a public API on the internet, but the server runs on 127.0.0.1 in a background thread and
every answer is computed from a seed, so lessons and tests are offline and reproducible.

    import httpx2
    from ecole_ia.services.weather_api import serve_weather_api

    with serve_weather_api(seed=2024) as base_url:          # "http://127.0.0.1:<port>"
        reponse = httpx2.get(f"{base_url}/mesures", params={"station": "BEG"}, timeout=5)
        reponse.raise_for_status()
        page = reponse.json()
    # the server is stopped here

Routes (GET only; JSON bodies in UTF-8, keys in French like the observatory's own data):

``/``
    ``{"nom": ..., "routes": [...]}``: what the API offers.
``/stations``
    ``{"count": 5, "results": [station, ...]}``, a station being
    ``{"code": "BEG", "nom": "Bègles", "commune": "Bègles", "altitude_m": 8,
    "latitude": 44.8, "longitude": -0.55, "mise_en_service": "2011-05-03"}``.
``/stations/<code>``
    one station (404 if the code is unknown; codes are upper case).
``/mesures?station=<code>`` with optional ``date=AAAA-MM-JJ`` or ``debut=...``/``fin=...``
(inclusive), ``page`` (from 1) and ``par_page`` (1 to 50, default 10)
    daily measurements of May 2024, paginated like many REST frameworks::

        {"count": 31, "page": 1, "pages": 4,
         "next": "/mesures?station=BEG&page=2&par_page=10", "previous": null,
         "results": [{"station": "BEG", "date": "2024-05-01", "tmin_k": 283.45,
                      "tmax_k": 294.95, "pluie_mm": 0.0, "vent_max_ms": 6.4}, ...]}

    Units are the raw units of weather networks: temperatures in kelvin (2 decimals, the
    Celsius value plus 273.15), wind in metres per second, rain in millimetres (1 decimal).
    A measurement the station missed is ``null``. ``next``/``previous`` are relative URLs
    (path and query string, to join to the base URL) or ``null`` on the last/first page.

Errors are JSON too: ``{"erreur": "<message in French>", "statut": <code>}`` with status 400
(missing or malformed parameter), 404 (unknown route, station or page) or 405 (a method other
than GET). Requests are not logged to stderr.
"""

from __future__ import annotations

import json
import math
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

DEFAULT_SEED = 2024
FIRST_DAY = date(2024, 5, 1)
DAYS = 31                      # the whole of May 2024
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
MISSING_RATE = 0.04            # share of measurement fields that are null
KELVIN = 273.15

STATIONS: tuple[dict, ...] = (
    {"code": "BEG", "nom": "Bègles", "commune": "Bègles", "altitude_m": 8,
     "latitude": 44.8086, "longitude": -0.5478, "mise_en_service": "2011-05-03"},
    {"code": "STE", "nom": "Saint-Émilion", "commune": "Saint-Émilion", "altitude_m": 85,
     "latitude": 44.8936, "longitude": -0.1556, "mise_en_service": "2013-03-21"},
    {"code": "PAU", "nom": "Pauillac", "commune": "Pauillac", "altitude_m": 15,
     "latitude": 45.1989, "longitude": -0.7489, "mise_en_service": "2014-06-10"},
    {"code": "CAD", "nom": "Cadillac", "commune": "Cadillac", "altitude_m": 20,
     "latitude": 44.6378, "longitude": -0.3186, "mise_en_service": "2016-04-01"},
    {"code": "MAR", "nom": "Margaux", "commune": "Margaux-Cantenac", "altitude_m": 12,
     "latitude": 45.0406, "longitude": -0.6736, "mise_en_service": "2018-09-14"},
)
FIELDS = ("tmin_k", "tmax_k", "pluie_mm", "vent_max_ms")


def generate_measurements(seed: int = DEFAULT_SEED) -> dict[str, list[dict]]:
    """Every station's daily measurements for May 2024, as the API serves them.

    Returns {station code: [measurement, ...]} with one dict per day in date order (keys
    ``station``, ``date``, ``tmin_k``, ``tmax_k``, ``pluie_mm``, ``vent_max_ms``). The
    stations share the weather of the day (rainy spells, warm and cool days) with local
    differences; about 4 % of the measurement fields are None. The same seed always gives
    the same values.
    """
    rng = random.Random(seed)
    days = []
    wet_spell = 0
    for offset in range(DAYS):
        if wet_spell == 0 and rng.random() < 0.18:
            wet_spell = rng.randint(1, 4)
        rain = round(rng.gammavariate(1.6, 4.0), 1) if wet_spell else 0.0
        wet_spell = max(0, wet_spell - 1)
        tmin = 8.5 + 0.1 * offset + rng.gauss(0, 1.6) + (1.0 if rain else 0.0)
        tmax = tmin + rng.uniform(6.0, 12.0) - (3.0 if rain > 5 else 0.0)
        wind = rng.uniform(2.0, 6.0) + (3.0 if rain else 0.0)
        days.append((FIRST_DAY + timedelta(days=offset), rain, tmin, tmax, wind))
    measurements: dict[str, list[dict]] = {}
    for station in STATIONS:
        coast = station["code"] in ("PAU", "MAR")    # the Médoc is windier, a bit milder
        height = station["altitude_m"] / 150        # cooler nights up the côte
        rows = []
        for day, rain, tmin, tmax, wind in days:
            local_rain = max(0.0, rain * rng.uniform(0.6, 1.4)) if rain else 0.0
            if not rain and rng.random() < 0.05:    # a local shower
                local_rain = rng.uniform(0.2, 2.0)
            local_tmin = round(tmin + rng.gauss(0, 0.6) - height + (0.5 if coast else 0), 1)
            local_tmax = round(max(local_tmin + 2.0, tmax + rng.gauss(0, 0.8)), 1)
            row = {
                "station": station["code"],
                "date": day.isoformat(),
                "tmin_k": round(local_tmin + KELVIN, 2),
                "tmax_k": round(local_tmax + KELVIN, 2),
                "pluie_mm": round(local_rain, 1),
                "vent_max_ms": round(wind * rng.uniform(0.8, 1.2) + (1.5 if coast else 0), 1),
            }
            for field in FIELDS:
                if rng.random() < MISSING_RATE:
                    row[field] = None
            rows.append(row)
        measurements[station["code"]] = rows
    return measurements


class _ApiError(Exception):
    """An error answered as JSON: {"erreur": message, "statut": status}."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _parse_date(name: str, text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise _ApiError(HTTPStatus.BAD_REQUEST, f"paramètre {name} invalide : {text!r} "
                        "(format attendu : AAAA-MM-JJ, par exemple 2024-05-03)") from None


def _parse_int(name: str, text: str, low: int, high: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        bounds = f"entre {low} et {high}" if high is not None else f"supérieur ou égal à {low}"
        raise _ApiError(HTTPStatus.BAD_REQUEST,
                        f"paramètre {name} invalide : {text!r} (un entier {bounds})")
    return value


class _Api:
    """The API's routes, independent of HTTP: path and query → (status, JSON body)."""

    def __init__(self, seed: int) -> None:
        self.stations = {station["code"]: dict(station) for station in STATIONS}
        self.measurements = generate_measurements(seed)

    def answer(self, path: str, query: str) -> tuple[HTTPStatus, dict]:
        try:
            params = {key: values[0] for key, values in
                      parse_qs(query, keep_blank_values=True).items()}
            return HTTPStatus.OK, self._route(path.rstrip("/") or "/", params)
        except _ApiError as error:
            return error.status, {"erreur": error.message, "statut": int(error.status)}

    def _route(self, path: str, params: dict[str, str]) -> dict:
        if path == "/":
            return {"nom": "API de l'Observatoire des vignes de Gironde (simulée)",
                    "routes": ["/stations", "/stations/<code>",
                               "/mesures?station=<code>&date=AAAA-MM-JJ",
                               "/mesures?station=<code>&debut=AAAA-MM-JJ&fin=AAAA-MM-JJ"
                               "&page=1&par_page=10"]}
        if path == "/stations":
            stations = list(self.stations.values())
            return {"count": len(stations), "results": [dict(s) for s in stations]}
        if path.startswith("/stations/") and path.count("/") == 2:
            return dict(self._station(path.removeprefix("/stations/")))
        if path == "/mesures":
            return self._measurements(params)
        raise _ApiError(HTTPStatus.NOT_FOUND, f"route inconnue : {path}")

    def _station(self, code: str) -> dict:
        if code not in self.stations:
            raise _ApiError(HTTPStatus.NOT_FOUND, f"station inconnue : {code!r} "
                            f"(stations : {', '.join(self.stations)})")
        return self.stations[code]

    def _measurements(self, params: dict[str, str]) -> dict:
        if not params.get("station"):
            raise _ApiError(HTTPStatus.BAD_REQUEST,
                            "paramètre obligatoire manquant : station (par exemple station=BEG)")
        code = self._station(params["station"])["code"]
        if "date" in params and ("debut" in params or "fin" in params):
            raise _ApiError(HTTPStatus.BAD_REQUEST,
                            "donnez soit date, soit debut et fin, pas les deux")
        if "date" in params:
            first = last = _parse_date("date", params["date"])
        else:
            first = _parse_date("debut", params["debut"]) if "debut" in params else date.min
            last = _parse_date("fin", params["fin"]) if "fin" in params else date.max
            if first > last:
                raise _ApiError(HTTPStatus.BAD_REQUEST,
                                f"debut ({first}) est après fin ({last})")
        size = _parse_int("par_page", params.get("par_page", str(DEFAULT_PAGE_SIZE)),
                          1, MAX_PAGE_SIZE)
        page = _parse_int("page", params.get("page", "1"), 1)
        rows = [row for row in self.measurements[code]
                if first <= date.fromisoformat(row["date"]) <= last]
        pages = max(1, math.ceil(len(rows) / size))
        if page > pages:
            raise _ApiError(HTTPStatus.NOT_FOUND,
                            f"page inexistante : {page} (il y a {pages} page(s))")

        def link(number: int) -> str | None:
            if not 1 <= number <= pages:
                return None
            kept = {k: v for k, v in params.items()
                    if k in ("station", "date", "debut", "fin")}
            return "/mesures?" + urlencode({**kept, "page": number, "par_page": size})

        return {"count": len(rows), "page": page, "pages": pages,
                "next": link(page + 1), "previous": link(page - 1),
                "results": [dict(row) for row in rows[(page - 1) * size: page * size]]}


class _Handler(BaseHTTPRequestHandler):
    server_version = "ObservatoireAPI/1.0"
    api: _Api  # set on the subclass made by serve_weather_api

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        status, body = self.api.answer(parts.path, parts.query)
        self._send(status, body)

    def _not_allowed(self) -> None:
        self._send(HTTPStatus.METHOD_NOT_ALLOWED,
                   {"erreur": f"méthode {self.command} non autorisée : cette API ne "
                              "répond qu'à GET", "statut": 405},
                   {"Allow": "GET"})

    do_POST = do_PUT = do_PATCH = do_DELETE = _not_allowed

    def _send(self, status: HTTPStatus, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (signature of the base)
        """Quiet: no request line on stderr (it would clutter the notebooks)."""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """Quiet too: a client that hangs up early is not worth a traceback."""


@contextmanager
def serve_weather_api(seed: int = DEFAULT_SEED) -> Iterator[str]:
    """Run the observatory's API on 127.0.0.1 (a free port) while the block runs.

    Yields the base URL, e.g. ``"http://127.0.0.1:41234"`` (no trailing slash); routes are
    joined to it: ``f"{base_url}/stations"``. The server answers from a daemon thread and is
    shut down, its port released, when the block ends, even after an error.
    """
    handler = type("WeatherApiHandler", (_Handler,), {"api": _Api(seed)})
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="weather-api", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
