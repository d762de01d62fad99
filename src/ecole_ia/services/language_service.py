"""Lumen NLU, a fictitious hosted language-understanding service, simulated offline (cb-09).

    from ecole_ia.services.language_service import FakeLumenService, documentation
    print(documentation())                      # the API reference (French Markdown)
    fake = FakeLumenService()                   # accepts TEST_KEY
    client = fake.client()                      # httpx2.Client on the fake, no network
    client.post("/v2/analyse", params={"api-version": "2025-01-15", "langue": "fr"},
                headers={"X-Api-Key": TEST_KEY}, json={"texte": "Le wifi ne marche pas"})

The service does not exist (its host is under the reserved `.example` domain). Its reference,
`data/services/lumen_nlu.md`, is written like a vendor's page; `FakeLumenService` follows it
as an `httpx2.MockTransport`: authentication, versions, languages, validation, every error
code, `Retry-After`, and timeouts. Switches simulate incidents (quota exceeded, slow answers,
server errors) and `failures` scripts the next requests; a timeout is simulated by raising
`httpx2.ReadTimeout`, never by sleeping. Everything is deterministic: same requests, same
answers, same reported durations.

How answers are simulated: a text given in `answers` gets that answer; a message of the
course's intent corpus (`ecole_ia.datasets.intents`) gets its label, except for a fixed ~6 %
of them (chosen by a hash of the text) that get a wrong intent with a lower confidence, as a
good but imperfect service would; any other text goes through a keyword rule, and a text
with no known keyword gets a low-confidence guess.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources

import httpx2

DOC_RESOURCE = "data/services/lumen_nlu.md"

BASE_URL = "https://api.lumen-nlu.example"
HOST = "api.lumen-nlu.example"
ANALYSE_PATH = "/v2/analyse"
CURRENT_API_VERSION = "2025-01-15"
API_VERSIONS = ("2025-01-15", "2024-06-01")
RETIRED_API_VERSIONS = ("2023-03-01",)
LANGUAGES = ("fr", "en", "es", "de", "it")
MAX_TEXT_LENGTH = 1000
TEST_KEY = "lum_test_4f8a2c9e1b7d6035"
MODEL_NAME = "lumen-intentions-3.2"
PRICE_PER_1000 = {"decouverte": 0.0, "standard": 1.20, "entreprise": 0.80}
RECOMMENDED_TIMEOUT = 2.0
FAILURE_KINDS = ("rate_limit", "server_error", "timeout")

# Share (in %) of corpus messages the simulated model gets wrong; the salt fixes which ones.
_ERROR_PERCENT = 6
_SALT = "lumen"

# Keyword stems (lowercase, no accents) of the rule used for texts outside the corpus.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "absence": ("absent", "absence", "retard", "malade", "greve", "rater"),
    "alternance": ("alternan", "apprenti", "entreprise", "employeur", "contrat"),
    "attestation": ("attestation", "certificat", "justificatif", "papier", "document"),
    "au_revoir": ("revoir", "bye", "bientot", "merci", "ciao"),
    "cafeteria": ("cafet", "cantine", "manger", "repas", "micro", "frigo", "dejeuner", "cafe"),
    "examen": ("examen", "evaluation", "jury", "certification", "partiel", "note", "epreuve"),
    "horaires": ("horaire", "heure", "commence", "finit", "termine", "planning", "vacances"),
    "inscription": ("inscri", "candidat", "dossier", "entretien", "admission", "postuler"),
    "ordinateur": ("ordi", "pc", "portable", "clavier", "ecran", "logiciel", "souris"),
    "salutation": ("bonjour", "salut", "coucou", "hello", "bonsoir", "slt", "hey"),
    "stage": ("stage", "stagiaire"),
    "wifi": ("wifi", "internet", "connexion", "reseau", "wi"),
}


def documentation() -> str:
    """The API reference of Lumen NLU, as one str (French Markdown, UTF-8, read verbatim)."""
    return resources.files("ecole_ia").joinpath(DOC_RESOURCE).read_text(encoding="utf-8")


def _fraction(text: str, purpose: str) -> float:
    """A deterministic number in [0, 1) drawn from the text (same text, same number)."""
    digest = hashlib.sha256(f"{_SALT}|{purpose}|{text}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _fold(text: str) -> str:
    """Lowercase, without accents."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


@cache
def _corpus_labels() -> dict[str, str]:
    from ecole_ia.datasets.intents import load_intents

    corpus = load_intents()
    return dict(zip(corpus["texte"], corpus["intention"]))


def _intents() -> tuple[str, ...]:
    from ecole_ia.datasets.intents import INTENTS

    return INTENTS


def simulated_answer(text: str) -> tuple[str, float]:
    """The (intent, confidence) the simulated model gives `text` (see the module docstring)."""
    intents = _intents()
    label = _corpus_labels().get(text.strip())
    if label is not None:
        if _fraction(text, "error") * 100 < _ERROR_PERCENT:
            others = [intent for intent in intents if intent != label]
            wrong = others[int(_fraction(text, "wrong") * len(others))]
            return wrong, round(0.35 + 0.30 * _fraction(text, "confidence"), 3)
        return label, round(0.75 + 0.24 * _fraction(text, "confidence"), 3)
    words = re.findall(r"\w+", _fold(text))
    hits = {intent: sum(any(word.startswith(stem) for stem in stems) for word in words)
            for intent, stems in _KEYWORDS.items()}
    best = max(hits.values(), default=0)
    if best == 0:
        guess = intents[int(_fraction(text, "guess") * len(intents))]
        return guess, round(0.08 + 0.17 * _fraction(text, "confidence"), 3)
    winners = [intent for intent in intents if hits[intent] == best]
    confidence = 0.55 + 0.30 * _fraction(text, "confidence")
    if len(winners) > 1:
        confidence -= 0.20
    return winners[0], round(confidence, 3)


class FakeLumenService:
    """An offline Lumen NLU that follows `documentation()`, to plug into an httpx2.Client.

    api_key: the one key accepted (in `Authorization: Bearer <key>` or `X-Api-Key`).
    answers: text -> (intent, confidence), answers that override the simulated model.
    latency_ms: base processing time; each text adds 0 to 60 ms (deterministic). The answer
        reports it in `duree_ms`; if it exceeds the client's read timeout, the request raises
        `httpx2.ReadTimeout` instead (no real waiting).
    quota: number of successful (billed) answers allowed; the next ones get 429
        `quota_depasse`. None: no quota.
    retry_after: seconds announced in `Retry-After` on every 429.
    quota_exceeded, server_error, timeout: switches (also settable later as attributes) that
        make every request answer 429 `quota_depasse`, 500 `erreur_interne`, or raise
        `httpx2.ReadTimeout`. Quota and server errors come after the checks of the key and
        of the request (a wrong key still gets 401); a timeout happens whatever the request.
    failures: scripted incidents for the next requests, in order, one per request, whatever
        the request holds: "rate_limit" (429 `trop_de_requetes`), "server_error" (500) or
        "timeout" (ReadTimeout). Once used up, requests are served normally.

    Attributes read by tests: `requests` (every httpx2.Request received, in order) and
    `billed` (number of 200 answers).
    """

    def __init__(self, api_key: str = TEST_KEY, *,
                 answers: Mapping[str, tuple[str, float]] | None = None,
                 latency_ms: int = 120, quota: int | None = None, retry_after: int = 1,
                 quota_exceeded: bool = False, server_error: bool = False,
                 timeout: bool = False, failures: Sequence[str] = ()) -> None:
        unknown = [kind for kind in failures if kind not in FAILURE_KINDS]
        if unknown:
            raise ValueError(f"unknown failure kinds {unknown}; expected some of {FAILURE_KINDS}")
        if type(retry_after) is not int or retry_after < 0:
            raise ValueError("retry_after must be a non-negative int (Retry-After is whole seconds)")
        self.api_key = api_key
        self.answers = dict(answers or {})
        self.latency_ms = latency_ms
        self.quota = quota
        self.retry_after = retry_after
        self.quota_exceeded = quota_exceeded
        self.server_error = server_error
        self.timeout = timeout
        self.failures = list(failures)
        self.requests: list[httpx2.Request] = []
        self.billed = 0
        self.transport = httpx2.MockTransport(self.handle)

    def client(self, timeout: float = RECOMMENDED_TIMEOUT) -> httpx2.Client:
        """An httpx2.Client whose requests go to this fake, with the documented base URL."""
        return httpx2.Client(transport=self.transport, base_url=BASE_URL, timeout=timeout)

    def duration_ms(self, text: str) -> int:
        """The processing time the fake reports for `text` (latency_ms + 0 to 60 ms)."""
        return self.latency_ms + int(_fraction(text, "latency") * 61)

    # -- the HTTP side -------------------------------------------------------------------

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        """Answers one request as Lumen NLU would (the MockTransport handler)."""
        self.requests.append(request)
        request_id = f"req-{len(self.requests):06d}"
        if request.url.scheme != "https" or request.url.host != HOST:
            raise httpx2.ConnectError(
                f"cannot reach {request.url.scheme}://{request.url.host}: Lumen NLU is only "
                f"served at {BASE_URL}", request=request)
        scripted = self.failures.pop(0) if self.failures else None
        if self.timeout or scripted == "timeout":
            raise httpx2.ReadTimeout("Lumen NLU did not answer in time", request=request)
        if scripted == "rate_limit":
            return self._error(429, "trop_de_requetes",
                               "Limite de débit de votre offre dépassée.", request_id,
                               retry_after=True)
        if scripted == "server_error":
            return self._error(500, "erreur_interne", "Incident passager, réessayez plus tard.",
                               request_id)

        if request.url.path != ANALYSE_PATH:
            return self._error(404, "ressource_inconnue",
                               f"Chemin inconnu : {request.url.path}.", request_id)
        if request.method != "POST":
            return self._error(405, "methode_non_autorisee",
                               f"Méthode {request.method} non autorisée, utilisez POST.",
                               request_id)
        key_error = self._check_key(request)
        if key_error is not None:
            return self._error(401, key_error[0], key_error[1], request_id)
        problem = self._check_request(request)
        if isinstance(problem, tuple):
            return self._error(400, problem[0], problem[1], request_id)
        text = problem

        if self.quota_exceeded or (self.quota is not None and self.billed >= self.quota):
            return self._error(429, "quota_depasse", "Quota mensuel de votre offre atteint.",
                               request_id, retry_after=True)
        if self.server_error:
            return self._error(500, "erreur_interne", "Incident passager, réessayez plus tard.",
                               request_id)
        duration = self.duration_ms(text)
        read_timeout = request.extensions.get("timeout", {}).get("read")
        if read_timeout is not None and duration / 1000 > read_timeout:
            raise httpx2.ReadTimeout("Lumen NLU did not answer in time", request=request)

        intent, confidence = self.answers.get(text) or simulated_answer(text)
        self.billed += 1
        body = {
            "resultat": {"intention": intent, "confiance": confidence},
            "langue": request.url.params["langue"],
            "version": request.url.params["api-version"],
            "modele": MODEL_NAME,
            "duree_ms": duration,
        }
        return httpx2.Response(200, json=body, headers={"X-Requete-Id": request_id})

    def _check_key(self, request: httpx2.Request) -> tuple[str, str] | None:
        """None if one of the two headers carries the key, else (code, message)."""
        authorization = request.headers.get("authorization")
        api_key = request.headers.get("x-api-key")
        if authorization is None and api_key is None:
            return "cle_manquante", "Clé d'accès manquante (en-tête Authorization ou X-Api-Key)."
        scheme, _, token = (authorization or "").partition(" ")
        if api_key == self.api_key or (scheme.lower() == "bearer" and token == self.api_key):
            return None
        return "cle_invalide", "Clé d'accès invalide ou révoquée."

    def _check_request(self, request: httpx2.Request) -> str | tuple[str, str]:
        """The text to analyse, or (code, message) of the first 400 error found."""
        params = request.url.params
        version = params.get("api-version")
        if version is None:
            return "version_manquante", "Paramètre api-version manquant."
        if version in RETIRED_API_VERSIONS:
            return "version_retiree", (f"La version {version} est retirée, "
                                       f"utilisez {CURRENT_API_VERSION}.")
        if version not in API_VERSIONS:
            return "version_inconnue", f"Version d'API inconnue : {version}."
        language = params.get("langue")
        if language is None:
            return "langue_manquante", "Paramètre langue manquant."
        if language not in LANGUAGES:
            return "langue_non_prise_en_charge", (f"Langue non prise en charge : {language} "
                                                  f"(codes acceptés : {', '.join(LANGUAGES)}).")
        try:
            body = json.loads(request.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            body = None
        if not isinstance(body, dict):
            return "json_invalide", "Le corps de la requête doit être un objet JSON."
        text = body.get("texte")
        if not isinstance(text, str):
            return "texte_manquant", "Champ texte manquant ou qui n'est pas une chaîne."
        if text.strip() == "":
            return "texte_vide", "Le texte ne contient que des espaces."
        if len(text) > MAX_TEXT_LENGTH:
            return "texte_trop_long", (f"Texte trop long : {len(text)} caractères "
                                       f"(au plus {MAX_TEXT_LENGTH}).")
        return text

    def _error(self, status: int, code: str, message: str, request_id: str,
               retry_after: bool = False) -> httpx2.Response:
        headers = {"X-Requete-Id": request_id}
        if retry_after:
            headers["Retry-After"] = str(self.retry_after)
        return httpx2.Response(status, json={"erreur": {"code": code, "message": message}},
                               headers=headers)
