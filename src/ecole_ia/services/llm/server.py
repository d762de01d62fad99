"""The HTTP side of the local LLM service: FastAPI routes in OpenAI's shapes, served by
uvicorn in a thread (`serve_llm`) or in the foreground (`run`, behind `ecole-ia llm serve`).

Every answer is JSON in the shapes of OpenAI's API reference; every error is
`{"error": {"message", "type", "param", "code"}}` with the status a hosted provider sends.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import embeddings, engine, knowledge, tokens
from .catalog import CREATED, MODELS, OWNER
from .engine import RequestError

FAILURE_KINDS = ("rate_limit", "server_error", "overloaded", "timeout")
FAILURE_HEADER = "X-Ecole-IA-Failure"
FINGERPRINT = "fp_ecole_ia_1"
LOCAL_API_KEY = "ecole-ia-local"
_WORD_PIECE = re.compile(r"\S+\s*|\s+")


@dataclass
class Service:
    """The settings of one running service, changeable while it runs.

    api_key: the only key accepted; None accepts any non-empty key.
    failures: scripted incidents for the next POST requests, one per request, in order:
        "rate_limit" (429 with Retry-After), "server_error" (500), "overloaded" (503) or
        "timeout" (the answer comes after `slow_seconds`). A request can also ask for one
        with the header `X-Ecole-IA-Failure: <kind>`.
    retry_after: the seconds announced in `Retry-After` on a 429.
    slow_seconds: how long a "timeout" incident holds the answer back.
    log: (method, path, status) of every request, in order, for tests and lessons.
    """

    api_key: str | None = None
    failures: list[str] = field(default_factory=list)
    retry_after: int = 1
    slow_seconds: float = 5.0
    log: list[tuple[str, str, int]] = field(default_factory=list)
    _counter: itertools.count = field(default_factory=itertools.count, repr=False)

    def __post_init__(self) -> None:
        check_failures(self.failures)


def check_failures(failures: Sequence[str]) -> list[str]:
    unknown = [kind for kind in failures if kind not in FAILURE_KINDS]
    if unknown:
        raise ValueError(f"unknown failure kinds {unknown}; expected some of {FAILURE_KINDS}")
    return list(failures)


def _error(status: int, message: str, *, type: str = "invalid_request_error",  # noqa: A002
           param: str | None = None, code: str | None = None,
           headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": type, "param": param,
                                   "code": code}}, status_code=status, headers=headers)


def create_app(service: Service) -> FastAPI:
    """The FastAPI application answering for `service`."""
    app = FastAPI(title="ecole-ia local LLM (OpenAI-compatible)", docs_url=None,
                  redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        response = await _guarded(service, request, call_next)
        service.log.append((request.method, request.url.path, response.status_code))
        return response

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 405:
            return _error(405, f"Méthode {request.method} non autorisée sur "
                               f"{request.url.path}.", code="method_not_allowed")
        return _error(exc.status_code, f"Route inconnue : {request.method} "
                                       f"{request.url.path} (routes : /v1/models, "
                                       "/v1/chat/completions, /v1/embeddings).",
                      code="unknown_url")

    @app.get("/v1/models")
    async def list_models():
        return {"object": "list", "data": [_model_json(card) for card in MODELS.values()]}

    @app.get("/v1/models/{model_id}")
    async def get_model(model_id: str):
        if model_id not in MODELS:
            return _unknown_model(model_id)
        return _model_json(MODELS[model_id])

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        return await _chat(service, request, None)

    @app.post("/openai/deployments/{deployment}/chat/completions")
    async def azure_chat(request: Request, deployment: str):
        return await _chat(service, request, deployment)

    @app.post("/v1/embeddings")
    async def embed(request: Request):
        return await _embeddings(request, None)

    @app.post("/openai/deployments/{deployment}/embeddings")
    async def azure_embed(request: Request, deployment: str):
        return await _embeddings(request, deployment)

    return app


async def _guarded(service: Service, request: Request, call_next):
    """Authentication, then the simulated incidents, before any route runs."""
    authorization = request.headers.get("authorization", "")
    key = (authorization[7:].strip() if authorization.lower().startswith("bearer ")
           else request.headers.get("api-key", "").strip())
    if not key:
        return _error(401, "Clé d'API manquante : envoyez l'en-tête « Authorization: Bearer "
                           "<clé> » (le client openai le fait avec api_key=...).",
                      code="missing_api_key")
    if service.api_key is not None and key != service.api_key:
        return _error(401, "Clé d'API invalide : vérifiez la clé (OPENAI_API_KEY) donnée au "
                           "client.", code="invalid_api_key")
    if request.method == "POST":
        asked = request.headers.get(FAILURE_HEADER)
        failure = asked if asked in FAILURE_KINDS else (
            service.failures.pop(0) if service.failures else None)
        if failure == "rate_limit":
            return _error(429, f"Limite de débit atteinte : trop de requêtes. Réessayez dans "
                               f"{service.retry_after} s.", type="requests",
                          code="rate_limit_exceeded",
                          headers={"Retry-After": str(service.retry_after)})
        if failure == "server_error":
            return _error(500, "Erreur interne du service : réessayez plus tard.",
                          type="server_error", code="server_error")
        if failure == "overloaded":
            return _error(503, "Le service est surchargé : réessayez dans quelques instants.",
                          type="server_error", code="overloaded")
        if failure == "timeout":
            # The body is read first: the client gives up during the wait, and reading it
            # afterwards would raise ClientDisconnect in the server (a traceback printed in
            # whatever notebook cell runs next). Starlette keeps it for the route.
            # The wait ends early when the client has given up (as a provider stops working
            # on a dropped request), so stopping the service never finds it still sleeping.
            await request.body()
            deadline = asyncio.get_running_loop().time() + service.slow_seconds
            while asyncio.get_running_loop().time() < deadline:
                if await request.is_disconnected():
                    return _error(504, "Le client a abandonné la requête.", type="timeout",
                                  code="client_gone")
                await asyncio.sleep(0.05)
    return await call_next(request)


def _model_json(card) -> dict:
    return {"id": card.id, "object": "model", "created": CREATED, "owned_by": OWNER}


def _unknown_model(name) -> JSONResponse:
    known = ", ".join(MODELS)
    return _error(404, f"Le modèle « {name} » n'existe pas ou vous n'y avez pas accès "
                       f"(modèles : {known}).", param="model", code="model_not_found")


async def _body(request: Request):
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        raise RequestError("Le corps de la requête n'est pas du JSON valide.") from None


def _model_for(body: dict, deployment: str | None, kind: str):
    """The model card the request names, or an error response."""
    name = deployment or body.get("model")
    if not name:
        raise RequestError("Le champ « model » est obligatoire.", param="model")
    if name not in MODELS:
        return None, _unknown_model(name)
    if MODELS[name].kind != kind:
        what = "de conversation" if kind == "chat" else "d'embeddings"
        return None, _error(400, f"Le modèle « {name} » n'est pas un modèle {what} "
                                 f"(voir GET /v1/models).", param="model",
                            code="model_not_supported")
    return MODELS[name], None


async def _chat(service: Service, request: Request, deployment: str | None):
    try:
        body = await _body(request)
        if not isinstance(body, dict):
            raise RequestError("Le corps de la requête doit être un objet JSON.")
        card, refusal = _model_for(body, deployment, "chat")
        if refusal is not None:
            return refusal
        body = {**body, "model": card.id}
        engine.check_chat_request(body)
        completion = await asyncio.to_thread(engine.complete, body)
    except RequestError as error:
        return _error(error.status, error.message, type=error.type, param=error.param,
                      code=error.code)
    number = next(service._counter)
    digest = hashlib.sha256(f"{number}|{json.dumps(body, sort_keys=True, default=str)}"
                            .encode()).hexdigest()[:24]
    head = {"id": f"chatcmpl-{digest}", "created": int(time.time()), "model": card.id,
            "system_fingerprint": FINGERPRINT, "service_tier": "default"}
    usage = {"prompt_tokens": completion.prompt_tokens,
             "completion_tokens": completion.completion_tokens,
             "total_tokens": completion.prompt_tokens + completion.completion_tokens,
             "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
             "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                           "accepted_prediction_tokens": 0,
                                           "rejected_prediction_tokens": 0}}
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return StreamingResponse(_stream(head, completion, usage if include_usage else None),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
    choices = []
    for index, choice in enumerate(completion.choices):
        message = {"role": "assistant", "content": choice.content, "refusal": None,
                   "annotations": []}
        if choice.tool_calls:
            message["tool_calls"] = [dict(call) for call in choice.tool_calls]
        choices.append({"index": index, "message": message, "logprobs": None,
                        "finish_reason": choice.finish_reason})
    return {**head, "object": "chat.completion", "choices": choices, "usage": usage}


def _stream(head: dict, completion, usage: dict | None) -> Iterator[str]:
    """Server-sent events: one chunk per word (or per piece of tool arguments), a last
    chunk with finish_reason per choice, the usage chunk if asked, then [DONE]."""
    def event(choices: list, **extra) -> str:
        chunk = {**head, "object": "chat.completion.chunk", "choices": choices, **extra}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    def delta(index: int, content: dict, finish=None) -> dict:
        return {"index": index, "delta": content, "logprobs": None, "finish_reason": finish}

    for index, choice in enumerate(completion.choices):
        if choice.tool_calls:
            yield event([delta(index, {"role": "assistant", "content": None})])
            for position, call in enumerate(choice.tool_calls):
                yield event([delta(index, {"tool_calls": [{
                    "index": position, "id": call["id"], "type": "function",
                    "function": {"name": call["function"]["name"], "arguments": ""}}]})])
                for piece in _WORD_PIECE.findall(call["function"]["arguments"]):
                    yield event([delta(index, {"tool_calls": [{
                        "index": position, "function": {"arguments": piece}}]})])
        else:
            yield event([delta(index, {"role": "assistant", "content": ""})])
            for piece in _WORD_PIECE.findall(choice.content or ""):
                yield event([delta(index, {"content": piece})])
        yield event([delta(index, {}, choice.finish_reason)])
    if usage is not None:
        yield event([], usage=usage)
    yield "data: [DONE]\n\n"


async def _embeddings(request: Request, deployment: str | None):
    try:
        body = await _body(request)
        if not isinstance(body, dict):
            raise RequestError("Le corps de la requête doit être un objet JSON.")
        card, refusal = _model_for(body, deployment, "embedding")
        if refusal is not None:
            return refusal
        texts = _embedding_inputs(body.get("input"))
        dimensions = body.get("dimensions") or card.dimensions
        if not isinstance(dimensions, int) or not 1 <= dimensions <= card.dimensions:
            raise RequestError(f"dimensions doit être un entier entre 1 et {card.dimensions}.",
                               param="dimensions")
        encoding = body.get("encoding_format") or "float"
        if encoding not in ("float", "base64"):
            raise RequestError("encoding_format doit valoir « float » ou « base64 ».",
                               param="encoding_format")
        counts = [tokens.count_tokens(text) for text in texts]
        too_long = [i for i, count in enumerate(counts) if count > card.context_window]
        if too_long:
            raise RequestError(f"input[{too_long[0]}] compte {counts[too_long[0]]} tokens ; ce "
                               f"modèle en accepte au plus {card.context_window} par texte.",
                               param="input", code="context_length_exceeded")
        vectors = await asyncio.to_thread(embeddings.embed, texts, dimensions)
    except RequestError as error:
        return _error(error.status, error.message, type=error.type, param=error.param,
                      code=error.code)
    data = []
    for index, vector in enumerate(vectors):
        value = (base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
                 if encoding == "base64" else [float(x) for x in vector])
        data.append({"object": "embedding", "index": index, "embedding": value})
    total = sum(counts)
    return {"object": "list", "data": data, "model": card.id,
            "usage": {"prompt_tokens": total, "total_tokens": total}}


def _embedding_inputs(value) -> list[str]:
    """The texts of `input`: a string, a list of strings, token ids or lists of token ids."""
    problem = RequestError("input doit être un texte non vide, une liste de textes non vides "
                           "ou des listes d'identifiants de tokens.", param="input")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise problem
    if all(isinstance(v, int) for v in value):
        value = [value]
    texts = []
    for item in value:
        if isinstance(item, str) and item:
            texts.append(item)
        elif isinstance(item, list) and item and all(isinstance(i, int) for i in item):
            texts.append(tokens.decode(item))
        else:
            raise problem
    return texts


def warm_up() -> None:
    """Load the tokenizer, the knowledge index, the embedding pipeline and the JSON Schema
    checker of structured output now, so that the first request is as fast as the others.
    (Importing jsonschema builds a grammar for its "iri" format: about 1 CPU-second; the
    grading zygote runs warm_up once, so that no graded kernel pays it.)"""
    tokens.tokenizer()
    knowledge.lookup("bonjour")
    embeddings.embed(["bonjour"])
    import jsonschema

    jsonschema.Draft202012Validator.check_schema({"type": "object"})


@dataclass
class LocalLLM:
    """A running local service, as `serve_llm` yields it.

    base_url: "http://127.0.0.1:<port>/v1", for `OpenAI(base_url=...)`.
    api_key: a key it accepts. service: its settings (script `service.failures` while it
    runs) and its request log.
    """

    base_url: str
    api_key: str
    service: Service

    def client(self, **options):
        """An official `openai.OpenAI` client for this service (options: timeout,
        max_retries...)."""
        from openai import DefaultHttpxClient, OpenAI

        if "http_client" not in options:
            # The service speaks plain HTTP on loopback: no certificate is ever checked, yet
            # each client would read the system's CA bundle into a TLS context of its own
            # (20 ms of CPU; graded notebooks create dozens of clients). One context per
            # process, with the same verification settings, is shared instead.
            options["http_client"] = DefaultHttpxClient(verify=_tls_context())
        return OpenAI(base_url=self.base_url, api_key=self.api_key, **options)

    def environment(self) -> dict[str, str]:
        """The environment variables that point `ecole_ia.services.llm.client()` (and most
        OpenAI-compatible tools) at this service."""
        return {"OPENAI_BASE_URL": self.base_url, "OPENAI_API_KEY": self.api_key}


@functools.cache
def _tls_context():
    import ssl

    return ssl.create_default_context()


def _uvicorn_server(app: FastAPI, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(app, host=host, port=port, log_config=None, log_level="warning",
                            access_log=False, lifespan="off", timeout_graceful_shutdown=1)
    return uvicorn.Server(config)


@contextmanager
def serve_llm(*, api_key: str | None = None, failures: Sequence[str] = (),
              retry_after: int = 1, slow_seconds: float = 5.0,
              warm: bool = True) -> Iterator[LocalLLM]:
    """Run the service on 127.0.0.1 (a free port) in a background thread while the block
    runs; stopped, its port closed and its thread ended when the block ends, even after an
    error.

    api_key: the only key accepted (default: any non-empty key; the yielded `api_key` is
    then "ecole-ia-local"). failures, retry_after, slow_seconds: see `Service`.
    warm: load the tokenizer and the indexes before yielding (a few seconds once per
    process), so that no request pays for it.
    """
    if type(retry_after) is not int or retry_after < 0:
        raise ValueError("retry_after must be a non-negative int (Retry-After is whole seconds)")
    service = Service(api_key=api_key, failures=check_failures(failures),
                      retry_after=retry_after, slow_seconds=slow_seconds)
    if warm:
        warm_up()
    sock = _listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = _uvicorn_server(create_app(service), "127.0.0.1", port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name=f"ecole-ia-llm-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the local LLM service did not start")
            time.sleep(0.01)
        yield LocalLLM(f"http://127.0.0.1:{port}/v1", api_key or LOCAL_API_KEY, service)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port). IPPROTO_TCP is named explicitly: asyncio turns
    Nagle's algorithm off (TCP_NODELAY) only on sockets that say they are TCP, and accepted
    sockets inherit it from this one. Without it each response waits for the client's
    delayed ACK: 45 ms per request instead of 2."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def run(host: str = "127.0.0.1", port: int = 8321, *, api_key: str | None = None,
        failures: Sequence[str] = (), retry_after: int = 1, slow_seconds: float = 5.0) -> None:
    """Serve in the foreground until interrupted (Ctrl+C): `ecole-ia llm serve`."""
    service = Service(api_key=api_key, failures=check_failures(failures),
                      retry_after=retry_after, slow_seconds=slow_seconds)
    warm_up()
    sock = _listening_socket(host, port)
    try:
        _uvicorn_server(create_app(service), host, port).run(sockets=[sock])
    finally:
        sock.close()
