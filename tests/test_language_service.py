"""Tests of ecole_ia.services.language_service: Lumen NLU's reference and its offline fake (cb-09).

Each documented case of `documentation()` is checked against `FakeLumenService`, so the fake
and the page learners read cannot drift apart.
"""

from __future__ import annotations

import json
import re
import time

import httpx2
import pytest

from ecole_ia.datasets.intents import INTENTS, load_intents, train_test_split_intents
from ecole_ia.services.language_service import (
    ANALYSE_PATH, API_VERSIONS, BASE_URL, CURRENT_API_VERSION, LANGUAGES, MAX_TEXT_LENGTH,
    MODEL_NAME, PRICE_PER_1000, RECOMMENDED_TIMEOUT, RETIRED_API_VERSIONS, TEST_KEY,
    FakeLumenService, documentation, simulated_answer)

PARAMS = {"api-version": CURRENT_API_VERSION, "langue": "fr"}
KEY = {"X-Api-Key": TEST_KEY}


def analyse(fake: FakeLumenService, text: object = "Le wifi ne marche pas", *,
            params: dict | None = None, headers: dict | None = None,
            timeout: float | None = RECOMMENDED_TIMEOUT) -> httpx2.Response:
    """One documented call, with every part replaceable."""
    with fake.client(timeout=timeout) as client:
        return client.post(ANALYSE_PATH, params=PARAMS if params is None else params,
                           headers=KEY if headers is None else headers, json={"texte": text})


def error_code(response: httpx2.Response) -> str:
    body = response.json()
    assert set(body) == {"erreur"} and set(body["erreur"]) == {"code", "message"}, body
    assert isinstance(body["erreur"]["message"], str) and body["erreur"]["message"]
    return body["erreur"]["code"]


# -- the documentation -----------------------------------------------------------------------

def test_documentation_is_french_markdown_that_says_it_is_fictitious():
    """A str, Markdown, French accents intact, and a clear 'fictitious service' warning?"""
    doc = documentation()
    assert isinstance(doc, str) and doc.startswith("# Lumen NLU")
    assert "Service fictif" in doc and ".example" in doc
    assert "é" in doc and "\ufffd" not in doc


def test_documentation_states_what_a_client_needs():
    """Base URL, path, both auth headers, both parameters, the body and response fields?"""
    doc = documentation()
    for needed in [BASE_URL, ANALYSE_PATH, "Authorization: Bearer <clé>", "X-Api-Key: <clé>",
                   "`api-version`", "`langue`", '"texte"', "resultat.intention",
                   "resultat.confiance", "duree_ms", "Retry-After", "X-Requete-Id",
                   "LUMEN_CLE", "2 secondes"]:
        assert needed in doc, needed


def test_documented_versions_languages_and_limits_match_the_fake():
    """The tables of the page list exactly the constants the fake enforces?"""
    doc = documentation()
    assert f"| `{CURRENT_API_VERSION}` | **version actuelle**" in doc
    listed = re.findall(r"^\| `(\d{4}-\d{2}-\d{2})` \|", doc, re.M)
    assert sorted(listed) == sorted(API_VERSIONS + RETIRED_API_VERSIONS)
    codes = re.findall(r"^\| `([a-z]{2})` \| [a-z]", doc, re.M)
    assert tuple(codes) == LANGUAGES
    assert "1 000 caractères" in doc and MAX_TEXT_LENGTH == 1000
    assert RECOMMENDED_TIMEOUT == 2.0


def test_documented_prices_match_the_constants():
    """Découverte free, Standard 1,20 €, Entreprise 0,80 € per 1000 requests?"""
    doc = documentation()
    assert PRICE_PER_1000 == {"decouverte": 0.0, "standard": 1.20, "entreprise": 0.80}
    assert "| Standard | 1,20 € |" in doc and "| Entreprise | 0,80 € |" in doc
    assert "| Découverte | gratuit |" in doc


def test_documentation_says_where_data_is_hosted():
    """France, no transfer outside the EU, retention period, GDPR processor?"""
    doc = documentation()
    for fact in ["en France", "Union européenne", "30 jours", "sous-traitant", "article 28"]:
        assert fact in doc, fact


# -- successful calls ---------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {"X-Api-Key": TEST_KEY},
    {"Authorization": f"Bearer {TEST_KEY}"},
    {"Authorization": f"Bearer {TEST_KEY}", "X-Api-Key": "lum_test_autre"},
    {"Authorization": "Bearer lum_test_autre", "X-Api-Key": TEST_KEY},
], ids=["x-api-key", "bearer", "good-bearer", "good-x-api-key"])
def test_either_header_authenticates(headers):
    """Is one of the two documented headers with the right key enough?"""
    response = analyse(FakeLumenService(), headers=headers)
    assert response.status_code == 200, response.json()


def test_answer_has_the_documented_shape():
    """resultat.intention (str), resultat.confiance (0..1), langue, version, modele,
    duree_ms (int), and an X-Requete-Id header?"""
    response = analyse(FakeLumenService(), params={"api-version": "2024-06-01", "langue": "en"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"resultat", "langue", "version", "modele", "duree_ms"}
    assert set(body["resultat"]) == {"intention", "confiance"}
    assert body["resultat"]["intention"] in INTENTS
    assert isinstance(body["resultat"]["confiance"], float)
    assert 0 <= body["resultat"]["confiance"] <= 1
    assert body["langue"] == "en" and body["version"] == "2024-06-01"
    assert body["modele"] == MODEL_NAME
    assert type(body["duree_ms"]) is int
    assert response.headers["X-Requete-Id"] == "req-000001"
    assert response.headers["content-type"] == "application/json"


def test_request_ids_count_every_request():
    fake = FakeLumenService()
    analyse(fake)
    analyse(fake, headers={})
    third = analyse(fake)
    assert third.headers["X-Requete-Id"] == "req-000003" and len(fake.requests) == 3


def test_answers_are_deterministic():
    """Two fakes give the same intent, confidence and duration for the same text?"""
    texts = ["Le wifi ne marche pas", "Quel temps fera-t-il demain ?", "slt", "àéèùç"]
    first = [analyse(FakeLumenService(), text).json() for text in texts]
    second = [analyse(FakeLumenService(), text).json() for text in texts]
    assert first == second


def test_answers_override_the_simulated_model():
    fake = FakeLumenService(answers={"Bonjour": ("wifi", 0.5)})
    body = analyse(fake, "Bonjour").json()
    assert body["resultat"] == {"intention": "wifi", "confiance": 0.5}


def test_simulated_model_is_good_but_not_perfect_on_the_test_split():
    """120 of the 126 test messages right (0.952): better than cb-03's 0.913, not perfect."""
    _, test = train_test_split_intents()
    right = sum(simulated_answer(t)[0] == i for t, i in zip(test["texte"], test["intention"]))
    assert right == 120
    corpus = load_intents()
    wrong = [simulated_answer(t) for t, i in zip(corpus["texte"], corpus["intention"])
             if simulated_answer(t)[0] != i]
    assert 0.03 < len(wrong) / len(corpus) < 0.08
    assert all(0.35 <= confidence <= 0.65 for _, confidence in wrong)


def test_texts_outside_the_corpus():
    """Keywords lead to the intent; a text without any gets a confidence under 0.3?"""
    assert simulated_answer("Le wifi ne marche plus du tout")[0] == "wifi"
    assert simulated_answer("je cherche la cantine")[0] == "cafeteria"
    for text in ["Quel temps fera-t-il demain ?", "Raconte-moi une blague", "azerty"]:
        intent, confidence = simulated_answer(text)
        assert intent in INTENTS and confidence < 0.3, (text, confidence)


def test_reported_duration_is_latency_plus_a_fixed_jitter():
    fake = FakeLumenService(latency_ms=200)
    body = analyse(fake, "Le wifi ne marche pas").json()
    assert body["duree_ms"] == fake.duration_ms("Le wifi ne marche pas")
    assert 200 <= body["duree_ms"] <= 260


# -- documented errors ---------------------------------------------------------------------------

def test_missing_key_is_401_cle_manquante():
    response = analyse(FakeLumenService(), headers={})
    assert response.status_code == 401 and error_code(response) == "cle_manquante"


@pytest.mark.parametrize("headers", [
    {"X-Api-Key": "lum_test_0000000000000000"},
    {"Authorization": TEST_KEY},
    {"Authorization": f"Token {TEST_KEY}"},
    {"X-Api-Key": f"Bearer {TEST_KEY}"},
], ids=["wrong-key", "bearer-forgotten", "wrong-scheme", "bearer-in-x-api-key"])
def test_wrong_key_is_401_cle_invalide(headers):
    response = analyse(FakeLumenService(), headers=headers)
    assert response.status_code == 401 and error_code(response) == "cle_invalide"


def test_the_fake_accepts_the_key_it_is_given():
    fake = FakeLumenService(api_key="lum_live_abc")
    assert analyse(fake, headers={"X-Api-Key": "lum_live_abc"}).status_code == 200
    assert analyse(fake).status_code == 401


@pytest.mark.parametrize("params, code", [
    ({"langue": "fr"}, "version_manquante"),
    ({"api-version": "2025-13-01", "langue": "fr"}, "version_inconnue"),
    ({"api-version": "2023-03-01", "langue": "fr"}, "version_retiree"),
    ({"api-version": CURRENT_API_VERSION}, "langue_manquante"),
    ({"api-version": CURRENT_API_VERSION, "langue": "fr-FR"}, "langue_non_prise_en_charge"),
    ({"api-version": CURRENT_API_VERSION, "langue": "FR"}, "langue_non_prise_en_charge"),
    ({"api-version": CURRENT_API_VERSION, "langue": "oc"}, "langue_non_prise_en_charge"),
])
def test_bad_parameters_are_400(params, code):
    response = analyse(FakeLumenService(), params=params)
    assert response.status_code == 400 and error_code(response) == code


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_documented_language_is_accepted(language):
    response = analyse(FakeLumenService(), params={"api-version": CURRENT_API_VERSION,
                                                   "langue": language})
    assert response.status_code == 200 and response.json()["langue"] == language


@pytest.mark.parametrize("text, code", [
    (None, "texte_manquant"), (42, "texte_manquant"), ("", "texte_vide"),
    ("   \n", "texte_vide"), ("a" * (MAX_TEXT_LENGTH + 1), "texte_trop_long"),
])
def test_bad_text_is_400(text, code):
    response = analyse(FakeLumenService(), text)
    assert response.status_code == 400 and error_code(response) == code


def test_text_of_exactly_1000_characters_is_accepted():
    assert analyse(FakeLumenService(), "é" * MAX_TEXT_LENGTH).status_code == 200


@pytest.mark.parametrize("content", [b"pas du json", b'["texte"]', b"\xff\xfe"])
def test_body_that_is_not_a_json_object_is_400(content):
    with FakeLumenService().client() as client:
        response = client.post(ANALYSE_PATH, params=PARAMS, headers=KEY, content=content)
    assert response.status_code == 400 and error_code(response) == "json_invalide"


def test_missing_texte_field_is_400():
    with FakeLumenService().client() as client:
        response = client.post(ANALYSE_PATH, params=PARAMS, headers=KEY, json={"text": "wifi"})
    assert response.status_code == 400 and error_code(response) == "texte_manquant"


@pytest.mark.parametrize("path", ["/v2/analyze", "/v1/analyze", "/analyse", "/v2/analyse/"])
def test_unknown_path_is_404(path):
    with FakeLumenService().client() as client:
        response = client.post(path, params=PARAMS, headers=KEY, json={"texte": "wifi"})
    assert response.status_code == 404 and error_code(response) == "ressource_inconnue"


def test_other_method_is_405():
    with FakeLumenService().client() as client:
        response = client.get(ANALYSE_PATH, params=PARAMS, headers=KEY)
    assert response.status_code == 405 and error_code(response) == "methode_non_autorisee"


def test_quota_exceeded_is_429_with_retry_after():
    fake = FakeLumenService(quota_exceeded=True, retry_after=3600)
    response = analyse(fake)
    assert response.status_code == 429 and error_code(response) == "quota_depasse"
    assert response.headers["Retry-After"] == "3600"
    assert fake.billed == 0


def test_a_wrong_key_is_checked_before_the_quota():
    response = analyse(FakeLumenService(quota_exceeded=True), headers={"X-Api-Key": "lum_x"})
    assert response.status_code == 401


def test_quota_counts_only_successful_requests():
    """quota=2: two 200 answers, then 429; a 400 in between uses no quota?"""
    fake = FakeLumenService(quota=2, retry_after=5)
    assert analyse(fake).status_code == 200
    assert analyse(fake, "").status_code == 400
    assert analyse(fake).status_code == 200
    third = analyse(fake)
    assert third.status_code == 429 and third.headers["Retry-After"] == "5"
    assert fake.billed == 2


def test_switches_can_be_turned_on_and_off():
    fake = FakeLumenService()
    fake.server_error = True
    response = analyse(fake)
    assert response.status_code == 500 and error_code(response) == "erreur_interne"
    fake.server_error = False
    fake.quota_exceeded = True
    assert analyse(fake).status_code == 429
    fake.quota_exceeded = False
    assert analyse(fake).status_code == 200
    assert fake.billed == 1


def test_timeout_switch_raises_readtimeout_without_waiting():
    fake = FakeLumenService(timeout=True)
    start = time.perf_counter()
    with pytest.raises(httpx2.ReadTimeout) as raised:
        analyse(fake)
    assert isinstance(raised.value, httpx2.TimeoutException)
    assert time.perf_counter() - start < 1.0
    assert fake.billed == 0


def test_slow_answer_times_out_only_past_the_client_read_timeout():
    """latency 3 s: ReadTimeout with the documented 2 s timeout, an answer with 5 s or none?"""
    fake = FakeLumenService(latency_ms=3000)
    start = time.perf_counter()
    with pytest.raises(httpx2.ReadTimeout):
        analyse(fake, timeout=2.0)
    answered = analyse(fake, timeout=5.0)
    assert answered.status_code == 200 and 3000 <= answered.json()["duree_ms"] <= 3060
    assert analyse(fake, timeout=None).status_code == 200
    assert time.perf_counter() - start < 1.0
    assert fake.billed == 2


def test_scripted_failures_come_in_order_then_normal_answers():
    fake = FakeLumenService(failures=["rate_limit", "server_error", "timeout"], retry_after=2)
    first = analyse(fake)
    assert first.status_code == 429 and error_code(first) == "trop_de_requetes"
    assert first.headers["Retry-After"] == "2"
    second = analyse(fake)
    assert second.status_code == 500 and error_code(second) == "erreur_interne"
    with pytest.raises(httpx2.ReadTimeout):
        analyse(fake)
    assert analyse(fake).status_code == 200
    assert fake.failures == [] and fake.billed == 1 and len(fake.requests) == 4


def test_unknown_failure_kind_is_refused():
    with pytest.raises(ValueError, match="unknown failure"):
        FakeLumenService(failures=["quota"])
    with pytest.raises(ValueError, match="Retry-After"):
        FakeLumenService(retry_after=1.5)


@pytest.mark.parametrize("base_url", ["http://api.lumen-nlu.example",
                                      "https://api.lumen-nlu.fr",
                                      "https://lumen-nlu.example"])
def test_wrong_address_cannot_connect(base_url):
    fake = FakeLumenService()
    with httpx2.Client(transport=fake.transport, base_url=base_url) as client:
        with pytest.raises(httpx2.ConnectError):
            client.post(ANALYSE_PATH, params=PARAMS, headers=KEY, json={"texte": "wifi"})


def test_requests_are_recorded_for_tests_to_inspect():
    fake = FakeLumenService()
    analyse(fake, "Où est la cafétéria ?")
    request = fake.requests[0]
    assert request.headers["X-Api-Key"] == TEST_KEY
    assert request.url.params["api-version"] == CURRENT_API_VERSION
    assert json.loads(request.content) == {"texte": "Où est la cafétéria ?"}


def test_every_documented_error_code_is_simulated():
    """The codes of the page's error table are exactly those this file makes the fake send."""
    documented = set(re.findall(r"^\| \d{3} \| `([a-z_]+)` \|", documentation(), re.M))
    simulated = {"json_invalide", "texte_manquant", "texte_vide", "texte_trop_long",
                 "version_manquante", "version_inconnue", "version_retiree", "langue_manquante",
                 "langue_non_prise_en_charge", "cle_manquante", "cle_invalide",
                 "ressource_inconnue", "methode_non_autorisee", "trop_de_requetes",
                 "quota_depasse", "erreur_interne"}
    assert documented == simulated
