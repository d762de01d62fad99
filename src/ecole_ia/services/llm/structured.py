"""Filling a JSON schema from what a prompt says: tool-call arguments and structured output.

`fill(schema, text, answer=..., citations=...)` returns a JSON value valid against `schema`
(checked with `jsonschema`), each property taken from `text` by the first rule that finds
something:

1. `nom : valeur` or `nom = valeur` written in the text (the property's name, accents and
   case ignored, "_" read as a space);
2. by the property's type, format and name:
   - `enum`: the first allowed value the text mentions (an array of enums: every one);
   - a date (`format: date`, or "date"/"jour" in the name): `2026-03-12`, `12/03/2026` or
     `12 mars 2026`, returned as `AAAA-MM-JJ`;
   - a time ("heure"/"time"/"horaire"): `14h`, `14 h 30`, `14:30`, returned as `HH:MM`;
   - an e-mail address, a phone number, a URL, when the name says so (or the format);
   - a number (`integer`/`number`): the number written next to a word of the property's
     name ("3 personnes" for `nombre_personnes`), else the next number of the text not
     yet used; clamped to `minimum`/`maximum`;
   - a boolean: true when the text holds a word of the name and no negation;
   - a name ("nom", "prenom", "name"): after "je m'appelle", "je suis", "nom :";
   - another string: the word that follows a word of the property's name in the text
     when it is capitalised or holds a digit ("salle B12" gives "B12", "station BEG");
   - "reponse"/"answer"/"resume"/"summary"/"texte" in the name: the model's answer;
     "question"/"requete"/"query"/"message": the user's message;
   - an array of integers named "sources"/"citations"/"references": the passages cited;
   - an object: its own properties, by the same rules;
3. nothing found: the property is left out unless the schema requires it, in which case a
   placeholder fills it: the first enum value, the minimum (or 0), false, "" or [].
"""

from __future__ import annotations

import re
from datetime import date

from .grounding import fold, stems

MONTHS = {"janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
          "juillet": 7, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
          "decembre": 12}
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
FR_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
LONG_DATE = re.compile(r"\b(\d{1,2})(?:er)?\s+(" + "|".join(MONTHS) + r")\s+(\d{4})\b")
TIME = re.compile(r"\b([01]?\d|2[0-3])\s*(?:h|:)\s*([0-5]\d)?\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?:\+33\s?|0)[1-9](?:[\s.]?\d{2}){4}")
URL = re.compile(r"https?://\S+[^\s.,;)]")
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)?(?![\w])")
NEGATION = re.compile(r"\b(?:pas|non|sans|jamais|aucun|aucune|no|not)\b")
NAME_PATTERNS = (re.compile(r"je m'appelle\s+([A-ZÀ-Ý][\w-]+(?:\s+[A-ZÀ-Ý][\w-]+)?)"),
                 re.compile(r"je suis\s+([A-ZÀ-Ý][\w-]+(?:\s+[A-ZÀ-Ý][\w-]+)?)"),
                 re.compile(r"(?:mon nom|my name)\s+(?:est|is)\s+([A-ZÀ-Ý][\w-]+(?:\s+[A-ZÀ-Ý][\w-]+)?)"))
ANSWER_NAMES = ("reponse", "answer", "resume", "summary", "texte", "text", "contenu",
                "content", "explication")
QUESTION_NAMES = ("question", "requete", "query", "message", "demande")
CITATION_NAMES = ("sources", "citations", "references", "documents", "passages")


class _Context:
    """What the filler reads: the text, the answer, the cited passages, the numbers used."""

    def __init__(self, text: str, answer: str, citations: list[int], question: str) -> None:
        self.text = text.replace("\u2019", "'")
        self.folded = fold(self.text)
        self.answer = answer
        self.citations = citations
        self.question = question
        self.used_numbers: set[int] = set()     # positions of numbers already taken


def fill(schema: dict, text: str, *, answer: str = "", citations: list[int] | None = None,
         question: str | None = None):
    """A JSON value valid against `schema`, filled from `text` (see the module docstring)."""
    context = _Context(text, answer, list(citations or []), question or text)
    value = _value("", schema, context, required=True)
    try:
        import jsonschema

        jsonschema.validate(value, schema)
    except Exception:  # noqa: BLE001 (any schema this filler misreads)
        value = placeholder(schema)
    return value


def placeholder(schema: dict):
    """The simplest value valid against `schema` (what fills a required, unknown value)."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return placeholder(options[0])
    kind = _type(schema)
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: placeholder(properties.get(name, {}))
                for name in schema.get("required", [])}
    if kind == "array":
        return [placeholder(schema.get("items", {}))
                for _ in range(schema.get("minItems", 0))]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
        return low if low > 0 or "maximum" not in schema else min(max(0, low), schema["maximum"])
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return "x" * schema.get("minLength", 0)


def _type(schema: dict) -> str:
    kind = schema.get("type", "string" if "enum" not in schema else None)
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        values = schema.get("enum") or [""]
        kind = {bool: "boolean", int: "integer", float: "number", str: "string"}.get(
            type(values[0]), "string")
    return kind


def _words(name: str, schema: dict) -> list[str]:
    """The stems a property is known by: its name's words and its description's."""
    return stems(name.replace("_", " ").replace("-", " "))


def _value(name: str, schema: dict, context: _Context, required: bool):
    """The property's value from the text, or a placeholder when required, else None."""
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            options = [o for o in schema[key] if o.get("type") != "null"]
            if options:
                return _value(name, {**options[0], **{k: v for k, v in schema.items()
                                                      if k not in (key,)}}, context, required)
    kind = _type(schema)
    found = None
    if kind == "object":
        found = _object(schema, context)
    else:
        found = _written(name, schema, context)
        if found is None:
            found = _by_kind(name, kind, schema, context)
    if found is None and required:
        return placeholder(schema)
    return found


def _object(schema: dict, context: _Context) -> dict:
    required = set(schema.get("required", []))
    result = {}
    for name, sub in (schema.get("properties") or {}).items():
        value = _value(name, sub, context, required=name in required)
        if value is not None:
            result[name] = value
    return result


def _written(name: str, schema: dict, context: _Context):
    """`name : value` or `name = value` in the text, converted to the property's type."""
    if not name:
        return None
    label = re.escape(fold(name).replace("_", " ")).replace(r"\ ", r"[\s_]")
    match = re.search(rf"\b{label}\s*[:=]\s*(?P<value>[^\n,;]+)", context.folded)
    if match is None:
        return None
    raw = context.text[match.start("value"):match.end("value")].strip().rstrip(".")
    return _convert(raw, schema)


def _convert(raw: str, schema: dict):
    kind = _type(schema)
    if schema.get("enum"):
        for option in schema["enum"]:
            if fold(str(option)) == fold(raw):
                return option
        return None
    if kind in ("integer", "number"):
        number = NUMBER.search(raw)
        if number is None:
            return None
        value = float(number.group().replace(",", "."))
        return _clamp(int(value) if kind == "integer" else value, schema)
    if kind == "boolean":
        return fold(raw) in ("oui", "vrai", "true", "yes", "1")
    if kind == "string":
        return raw.strip(" «»\"'")
    return None


def _clamp(value, schema: dict):
    if "minimum" in schema:
        value = max(value, schema["minimum"])
    if "maximum" in schema:
        value = min(value, schema["maximum"])
    return value


def _has(name: str, *keys: str) -> bool:
    folded = fold(name)
    return any(key in folded for key in keys)


def _by_kind(name: str, kind: str, schema: dict, context: _Context):
    fmt = schema.get("format", "")
    if kind == "array":
        return _array(name, schema, context)
    if schema.get("enum"):
        return _enum(schema["enum"], context)
    if kind in ("integer", "number"):
        return _number(name, kind, schema, context)
    if kind == "boolean":
        hit = any(stem in stems(context.text) for stem in _words(name, schema))
        return (hit and not NEGATION.search(context.folded)) if hit else None
    if kind != "string":
        return None
    if fmt == "date" or _has(name, "date", "jour", "day"):
        return _date(context.folded)
    if fmt == "time" or _has(name, "heure", "time", "horaire", "hour"):
        match = TIME.search(context.folded)
        return f"{int(match[1]):02d}:{match[2] or '00'}" if match else None
    if fmt == "email" or _has(name, "mail", "courriel"):
        match = EMAIL.search(context.text)
        return match.group() if match else None
    if _has(name, "tel", "phone", "portable"):
        match = PHONE.search(context.text)
        return match.group() if match else None
    if fmt == "uri" or _has(name, "url", "lien", "link"):
        match = URL.search(context.text)
        return match.group() if match else None
    if _has(name, *ANSWER_NAMES):
        return context.answer or None
    if _has(name, *QUESTION_NAMES):
        return context.question
    if _has(name, "nom", "name", "prenom"):
        for pattern in NAME_PATTERNS:
            match = pattern.search(context.text)
            if match:
                parts = match[1].split()
                if _has(name, "prenom", "first"):
                    return parts[0]
                if _has(name, "famille", "last") and len(parts) > 1:
                    return parts[-1]
                return match[1]
    return _word_after(name, schema, context)


def _enum(options: list, context: _Context):
    for option in options:
        if isinstance(option, str) and re.search(
                rf"(?<!\w){re.escape(fold(option).replace('_', ' '))}(?!\w)",
                context.folded.replace("_", " ")):
            return option
    return None


def _array(name: str, schema: dict, context: _Context):
    items = schema.get("items", {})
    if _type(items) in ("integer", "number") and _has(name, *CITATION_NAMES):
        return list(context.citations)
    if items.get("enum"):
        found = [o for o in items["enum"] if _enum([o], context) is not None]
        return found or None
    if _type(items) == "string" and _has(name, *CITATION_NAMES):
        return [f"[{n}]" for n in context.citations]
    return None


def _date(folded: str) -> str | None:
    match = ISO_DATE.search(folded)
    if match:
        year, month, day = map(int, match.groups())
    else:
        match = FR_DATE.search(folded)
        if match:
            day, month, year = map(int, match.groups())
        else:
            match = LONG_DATE.search(folded)
            if match is None:
                return None
            day, month, year = int(match[1]), MONTHS[match[2]], int(match[3])
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _number(name: str, kind: str, schema: dict, context: _Context):
    words = set(_words(name, schema))
    candidates = []
    for match in NUMBER.finditer(context.text):
        start = match.start()
        if start in context.used_numbers or _in_date_or_time(context.text, match):
            continue
        around = stems(context.text[max(0, start - 30):match.end() + 30])
        candidates.append((not (words & set(around)), start, match.group()))
    if not candidates:
        return None
    _, start, raw = min(candidates)
    context.used_numbers.add(start)
    value = float(raw.replace(",", "."))
    return _clamp(int(value) if kind == "integer" else value, schema)


def _in_date_or_time(text: str, match: re.Match) -> bool:
    folded = fold(text)
    for pattern in (ISO_DATE, FR_DATE, LONG_DATE, TIME, PHONE):
        for found in pattern.finditer(folded):
            if found.start() <= match.start() < found.end():
                return True
    return False


def _word_after(name: str, schema: dict, context: _Context) -> str | None:
    """The capitalised or digit-holding word right after a word of the property's name."""
    keys = set(_words(name, schema))
    if not keys:
        return None
    tokens = list(re.finditer(r"[\w-]+", context.text))
    for here, following in zip(tokens, tokens[1:]):
        if stems(here.group()) and stems(here.group())[0] in keys:
            word = following.group()
            if word[0].isupper() or any(c.isdigit() for c in word):
                return word
    return None
