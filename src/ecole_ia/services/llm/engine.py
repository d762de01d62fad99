"""The local "model": a chat request in, a deterministic answer out (no HTTP here).

`complete(request)` takes the JSON body of `POST /v1/chat/completions` (already checked by
`check_chat_request`) and returns the choices and token counts. The rules it follows are
documented in `ecole_ia.services.llm` (the package docstring) and docs/llm-service.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from . import grounding, knowledge, structured, tokens
from .catalog import MODELS

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
GROUNDED_THRESHOLD = 0.12      # best sentence under this: "Je ne sais pas"
KEEP_RATIO = 0.5               # other sentences kept if within this ratio of the best
MAX_SENTENCES = 2
MAX_CHOICES = 8
MAX_STOPS = 4
GREETING = re.compile(r"^\s*(?:bonjour|salut|coucou|hello|bonsoir|hey|hi)\b[\s!,.]*$", re.I)
IDENTITY = re.compile(r"\b(?:qui es[- ]tu|qui êtes[- ]vous|pr[ée]sente[- ]toi|"
                      r"quel mod[èe]le es[- ]tu|who are you)\b", re.I)
DONT_KNOW_DOCUMENTS = ("Je ne sais pas : les documents fournis ne contiennent pas la réponse "
                       "à cette question.")
DONT_KNOW = ("Je ne sais pas : je n'ai pas d'information à ce sujet. Je connais l'école, le "
             "vignoble et l'assistance ; pour d'autres sujets, donnez-moi des documents.")
HELLO = ("Bonjour ! Je suis le modèle de langage local de l'École IA. Posez-moi une question "
         "sur l'école, le vignoble ou l'assistance, ou donnez-moi des documents.")


class RequestError(Exception):
    """A request the service refuses, answered in OpenAI's error shape."""

    def __init__(self, message: str, *, status: int = 400, param: str | None = None,
                 code: str | None = None, type: str = "invalid_request_error") -> None:  # noqa: A002
        super().__init__(message)
        self.message = message
        self.status = status
        self.param = param
        self.code = code
        self.type = type


@dataclass(frozen=True)
class Choice:
    """One answer: text content or tool calls, and why it ended."""

    content: str | None
    tool_calls: tuple[dict, ...]
    finish_reason: str


@dataclass(frozen=True)
class Completion:
    """The answers to a request and what they cost in tokens."""

    choices: tuple[Choice, ...]
    prompt_tokens: int
    completion_tokens: int


# -- checking a request ------------------------------------------------------------------


def check_chat_request(body) -> None:
    """Raise RequestError (400) for a body a hosted provider would refuse too."""
    if not isinstance(body, dict):
        raise RequestError("Le corps de la requête doit être un objet JSON.")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("Le champ « messages » est obligatoire : une liste non vide de "
                           "messages {\"role\": ..., \"content\": ...}.", param="messages")
    pending_calls: set[str] = set()
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise RequestError(f"messages[{i}] : le rôle doit être l'un de {', '.join(ROLES)}.",
                               param=f"messages.[{i}].role")
        role = message["role"]
        if role == "assistant":
            pending_calls = {call.get("id") for call in message.get("tool_calls") or []}
        elif role == "tool":
            if message.get("tool_call_id") not in pending_calls:
                raise RequestError(
                    f"messages[{i}] : un message de rôle « tool » doit répondre à un appel "
                    "d'outil (tool_calls) du message assistant qui le précède, avec le même "
                    "tool_call_id.", param=f"messages.[{i}].tool_call_id")
        else:
            pending_calls = set()
        if role != "assistant" and "content" not in message:
            raise RequestError(f"messages[{i}] : le champ « content » manque.",
                               param=f"messages.[{i}].content")
    temperature = body.get("temperature", 1)
    if temperature is not None and (not isinstance(temperature, (int, float))
                                    or not 0 <= temperature <= 2):
        raise RequestError("temperature doit être un nombre entre 0 et 2.", param="temperature")
    n = body.get("n", 1)
    if n is not None and (not isinstance(n, int) or not 1 <= n <= MAX_CHOICES):
        raise RequestError(f"n doit être un entier entre 1 et {MAX_CHOICES}.", param="n")
    seed = body.get("seed")
    if seed is not None and not isinstance(seed, int):
        raise RequestError("seed doit être un entier.", param="seed")
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or value < 1):
            raise RequestError(f"{name} doit être un entier supérieur ou égal à 1.", param=name)
    stop = body.get("stop")
    if stop is not None:
        stops = [stop] if isinstance(stop, str) else stop
        if (not isinstance(stops, list) or len(stops) > MAX_STOPS
                or not all(isinstance(s, str) and s for s in stops)):
            raise RequestError(f"stop doit être une chaîne ou une liste d'au plus {MAX_STOPS} "
                               "chaînes non vides.", param="stop")
    _check_tools(body)
    _check_response_format(body.get("response_format"))


def _check_tools(body: dict) -> None:
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise RequestError("tools doit être une liste.", param="tools")
        for i, tool in enumerate(tools):
            function = tool.get("function") if isinstance(tool, dict) else None
            if (not isinstance(tool, dict) or tool.get("type") != "function"
                    or not isinstance(function, dict) or not function.get("name")):
                raise RequestError(f"tools[{i}] : attendu {{\"type\": \"function\", \"function\": "
                                   "{\"name\": ..., \"description\": ..., \"parameters\": ...}}.",
                                   param=f"tools[{i}]")
    choice = body.get("tool_choice")
    if choice is None or choice in ("auto", "none", "required"):
        if choice == "required" and not tools:
            raise RequestError("tool_choice « required » demande une liste tools.",
                               param="tool_choice")
        return
    name = (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None
    if name is None:
        raise RequestError("tool_choice doit valoir « auto », « none », « required » ou "
                           "{\"type\": \"function\", \"function\": {\"name\": ...}}.",
                           param="tool_choice")
    if name not in [t["function"]["name"] for t in tools or []]:
        raise RequestError(f"tool_choice nomme la fonction « {name} », absente de tools.",
                           param="tool_choice")


def _check_response_format(response_format) -> None:
    if response_format is None:
        return
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind in ("text", "json_object"):
        return
    if kind != "json_schema":
        raise RequestError("response_format.type doit valoir « text », « json_object » ou "
                           "« json_schema ».", param="response_format")
    spec = response_format.get("json_schema")
    if not isinstance(spec, dict) or not spec.get("name") or not isinstance(
            spec.get("schema", {}), dict):
        raise RequestError("response_format.json_schema doit contenir « name » et un "
                           "« schema » (un objet JSON Schema).", param="response_format")
    import jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(spec.get("schema", {}))
    except jsonschema.SchemaError as error:
        raise RequestError(f"response_format.json_schema.schema n'est pas un schéma JSON "
                           f"valide : {error.message}", param="response_format") from None


# -- answering ---------------------------------------------------------------------------


def pick(options: list[str], temperature: float, seed: int, key: str) -> str:
    """One of `options`, deterministically: the first one at temperature 0; else one of
    the first 1 + round(T / 2 × (len − 1)), chosen by a hash of the seed and `key`."""
    if temperature <= 0 or len(options) == 1:
        return options[0]
    pool = options[:1 + round(min(temperature, 2) / 2 * (len(options) - 1))]
    digest = hashlib.sha256(f"{seed}|{key}".encode()).digest()
    return pool[int.from_bytes(digest[:8], "big") % len(pool)]


@dataclass(frozen=True)
class _Answer:
    text: str
    citations: tuple[int, ...]
    variants: tuple[str, ...]      # other phrasings, the first being `text`


def complete(body: dict) -> Completion:
    """The answer of the local model to a checked chat request (see the package docstring)."""
    messages = body["messages"]
    model = MODELS[body["model"]]
    prompt_tokens = tokens.count_prompt_tokens(messages, body.get("tools"))
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if prompt_tokens + (limit or 0) > model.context_window:
        raise RequestError(
            f"Ce modèle accepte au plus {model.context_window} tokens de contexte, mais la "
            f"requête en demande {prompt_tokens + (limit or 0)} ({prompt_tokens} dans les "
            f"messages, {limit or 0} pour la réponse). Raccourcissez les messages ou "
            "réduisez max_tokens.", param="messages", code="context_length_exceeded")
    temperature = body.get("temperature")
    temperature = 1.0 if temperature is None else float(temperature)
    seed = body.get("seed") or 0
    request_key = json.dumps([body["model"], messages, body.get("tools"),
                              body.get("response_format"), body.get("tool_choice")],
                             sort_keys=True, ensure_ascii=False, default=str)
    choices = []
    for index in range(body.get("n") or 1):
        key = f"{request_key}|{index}"
        choices.append(_choice(body, temperature, seed, key, limit))
    completion_tokens = sum(_choice_tokens(c) for c in choices)
    return Completion(tuple(choices), prompt_tokens, completion_tokens)


def _choice_tokens(choice: Choice) -> int:
    if choice.tool_calls:
        return sum(tokens.count_tokens(c["function"]["name"])
                   + tokens.count_tokens(c["function"]["arguments"]) for c in choice.tool_calls)
    return tokens.count_tokens(choice.content or "")


def _choice(body: dict, temperature: float, seed: int, key: str, limit: int | None) -> Choice:
    messages = body["messages"]
    question, context = _question_and_context(messages)
    tool = _tool_to_call(body, question)
    if tool is not None:
        return Choice(None, (_tool_call(tool, question, context, key),), "tool_calls")
    if messages[-1]["role"] == "tool":
        answer = _from_tool_results(messages)
    else:
        answer = _answer(messages, question)
    text = pick(list(answer.variants), temperature, seed, key)
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = response_format["json_schema"].get("schema", {})
        value = structured.fill(schema, context, answer=text, citations=list(answer.citations),
                                question=question)
        text = json.dumps(value, ensure_ascii=False)
    elif response_format.get("type") == "json_object":
        text = json.dumps({"reponse": text, "sources": list(answer.citations)},
                          ensure_ascii=False)
    finish = "stop"
    stop = body.get("stop")
    for marker in ([stop] if isinstance(stop, str) else stop or []):
        if marker in text:
            text = text[:text.index(marker)]
    if limit is not None:
        text, cut = tokens.truncate(text, limit)
        finish = "length" if cut else finish
    return Choice(text, (), finish)


def _question_and_context(messages: list[dict]) -> tuple[str, str]:
    """The question (the last user message without its passages) and the text the schema
    filler reads (the user messages, the latest first)."""
    users = [tokens.content_text(m.get("content")) for m in messages if m["role"] == "user"]
    last = users[-1] if users else ""
    question = grounding.strip_passages(last) or last
    return question, "\n".join(reversed(users))


def _answer(messages: list[dict], question: str) -> _Answer:
    texts = [tokens.content_text(m.get("content")) for m in messages
             if m["role"] in ("system", "developer", "user")]
    passages = grounding.find_passages(texts)
    defended = _defended(messages)
    for passage in passages:
        if passage.delimited and defended:
            continue
        order = grounding.hidden_instruction(passage.text)
        if order is not None:
            return _obeying(order)
    order = grounding.hidden_instruction(question)
    if order is not None:                   # a direct injection, in the user's own message
        return _obeying(order)
    if passages:
        return _grounded(question, passages)
    return _from_knowledge(question)


def _defended(messages: list[dict]) -> bool:
    """True when a system or developer message, outside any documents block, names the
    `<documents>` tag: the prompt has said what is untrusted content."""
    for message in messages:
        if message["role"] in ("system", "developer"):
            text = grounding.without_blocks(tokens.content_text(message.get("content")))
            if "<documents>" in text.lower():
                return True
    return False


def _obeying(order: str) -> _Answer:
    text = grounding.obey(order)
    return _Answer(text, (), (text,))


def _cite(sentence: str, number: int) -> str:
    """The sentence with its citation before its final punctuation: "... 17 h [1]."."""
    match = re.match(r"^(.*?)(\s*[.!?…]+)?$", sentence.strip(), re.S)
    return f"{match[1]} [{number}]{match[2] or '.'}".replace(" [", " [", 1)


def _grounded(question: str, passages: list) -> _Answer:
    candidates = []
    for passage in passages:
        for sentence in grounding.sentences(passage.text):
            if grounding.hidden_instruction(sentence) is None:
                candidates.append((passage.number, sentence))
    scores = grounding.rank_sentences(question, [s for _, s in candidates])
    best = max(scores, default=0.0)
    if best < GROUNDED_THRESHOLD:
        variants = (DONT_KNOW_DOCUMENTS,
                    "Je ne sais pas : les passages fournis ne parlent pas de cette question.",
                    "Je ne sais pas : je ne trouve pas la réponse dans les documents donnés.")
        return _Answer(variants[0], (), variants)
    ranked = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))
    kept = sorted(i for i in ranked[:MAX_SENTENCES] if scores[i] >= best * KEEP_RATIO)
    body = " ".join(_cite(candidates[i][1], candidates[i][0]) for i in kept)
    citations = tuple(dict.fromkeys(candidates[i][0] for i in kept))
    lowered = body[0].lower() + body[1:] if not body[:2].isupper() else body
    variants = (body, f"D'après les documents, {lowered}", f"Selon les passages fournis, {lowered}")
    return _Answer(body, citations, variants)


def _from_knowledge(question: str) -> _Answer:
    if GREETING.match(question) or IDENTITY.search(question):
        variants = (HELLO, "Bonjour ! Ici le modèle local de l'École IA : que voulez-vous savoir "
                           "sur l'école, le vignoble ou l'assistance ?")
        return _Answer(HELLO, (), variants)
    fact, _ = knowledge.lookup(question)
    if fact is None:
        variants = (DONT_KNOW, "Je ne sais pas : ce sujet sort de mes connaissances (l'école, le "
                               "vignoble, l'assistance).")
        return _Answer(DONT_KNOW, (), variants)
    answer = fact.answer
    lowered = answer[0].lower() + answer[1:]
    variants = (answer, f"D'après mes informations, {lowered}", f"Voici ce que je sais : {answer}")
    return _Answer(answer, (), variants)


# -- tools -------------------------------------------------------------------------------


def _tool_to_call(body: dict, question: str) -> dict | None:
    """The tool (its `function` dict) the model calls now, or None to answer in text."""
    tools = [t["function"] for t in body.get("tools") or []]
    choice = body.get("tool_choice") or ("auto" if tools else "none")
    if not tools or choice == "none" or body["messages"][-1]["role"] == "tool":
        return None
    if isinstance(choice, dict):
        return next(t for t in tools if t["name"] == choice["function"]["name"])
    best, best_score = None, 0
    said = set(grounding.stems(question))
    for tool in tools:
        name_hits = len(said & set(grounding.stems(tool["name"].replace("_", " "))))
        description_hits = len(said & set(grounding.stems(tool.get("description", ""))))
        if name_hits >= 1 or description_hits >= 2:
            score = 2 * name_hits + description_hits
            if score > best_score:
                best, best_score = tool, score
    if best is None and choice == "required":
        return tools[0]
    return best


def _tool_call(tool: dict, question: str, context: str, key: str) -> dict:
    schema = tool.get("parameters") or {"type": "object", "properties": {}}
    arguments = structured.fill(schema, context, question=question)
    digest = hashlib.sha256(f"{key}|{tool['name']}".encode()).hexdigest()[:24]
    return {"id": f"call_{digest}", "type": "function",
            "function": {"name": tool["name"],
                         "arguments": json.dumps(arguments, ensure_ascii=False)}}


def _readable(value) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} : {_readable(v)}" for k, v in value.items())
    if isinstance(value, list):
        return " ; ".join(_readable(v) for v in value) or "aucun résultat"
    return str(value)


def _from_tool_results(messages: list[dict]) -> _Answer:
    """An answer from the `tool` messages that follow the last assistant's tool calls."""
    start = max(i for i, m in enumerate(messages) if m["role"] == "assistant")
    names = {call.get("id"): (call.get("function") or {}).get("name", "outil")
             for call in messages[start].get("tool_calls") or []}
    parts = []
    for message in messages[start + 1:]:
        name = names.get(message.get("tool_call_id"), "outil")
        raw = tokens.content_text(message.get("content"))
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        if isinstance(value, dict) and any(k in value for k in ("erreur", "error")):
            error = value.get("erreur", value.get("error"))
            parts.append(f"l'outil {name} signale une erreur : {_readable(error)}")
        elif isinstance(value, dict) and len(value) == 1 and isinstance(
                next(iter(value.values())), str):
            parts.append(f"{name} répond : {next(iter(value.values()))}")
        else:
            parts.append(f"{name} répond : {_readable(value)}")
    body = " ; ".join(parts).rstrip(".") + "."
    text = body[0].upper() + body[1:]
    variants = (text, f"Voici le résultat : {body}", f"C'est fait. D'après l'outil, {body}")
    return _Answer(text, (), variants)
