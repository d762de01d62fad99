"""Entity extraction for Aliénor's slots, with the rules of cb-04 (and a few it left as work).

    import datetime
    from ecole_ia.chatbot.entities import extract_entities
    extract_entities("la salle garone lundi prochain à 14 h 30 pour douze personnes",
                     today=datetime.date(2026, 3, 2))
    # {'date': datetime.date(2026, 3, 9), 'heure': '14:30', 'salle': 'Garonne',
    #  'personnes': 12, 'email': None}

Every slot gets one value in one form (a `datetime.date`, "HH:MM", the room's name as written
in the room list, an int, a lowercase e-mail address) or None. Relative dates ("demain",
"lundi prochain", "dans trois jours") are computed from the `today` argument, never from the
clock, so the same message always gives the same value for the same reference date.
"""

from __future__ import annotations

import datetime
import re
from difflib import get_close_matches

from .text import normalize

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout",
          "septembre", "octobre", "novembre", "decembre")
# The school's rooms and places (cb-04's list plus cb-05's "Landes"), written as shown to people.
ROOMS = ("Garonne", "Dordogne", "Gironde", "Médoc", "Landes", "amphi", "cafétéria", "2.04",
         "1.12")
# Words too far from a room's name for typo tolerance, but meaning that room (cb-04, section 10).
ROOM_ALIASES = {"cafet": "cafétéria", "caf": "cafétéria", "amphitheatre": "amphi",
                "amphis": "amphi"}
ROOM_CUTOFF = 0.8  # cb-04: 0.6 (difflib's default) sees rooms in "merci" and "bonne"

NUMBER_WORDS = {
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
    "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13,
    "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20, "vingts": 20, "trente": 30,
    "quarante": 40, "cinquante": 50, "soixante": 60, "cent": 100, "cents": 100,
}
_NUMBER_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
# A run of number words: "vingt-deux", "soixante et onze", "quatre-vingt-dix-neuf".
# "et" only joins "un" and "onze" ("vingt et un", "soixante et onze"): "deux et trois" is two.
_NUMBER_RUN = (rf"(?:{_NUMBER_WORD})"
               rf"(?:[\s-]+et[\s-]+(?:un|une|onze)\b|[\s-]+(?:{_NUMBER_WORD})\b)*")
_NUMBER = rf"(?:\d+|{_NUMBER_RUN})"

_DATE_DIGITS = re.compile(r"(?<![\d.])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])")
_DATE_WORDS = re.compile(r"\b(\d{1,2})(?:er)?\s+(" + "|".join(MONTHS) + r")\b(?:\s+(\d{4}))?")
_IN_DAYS = re.compile(rf"\bdans\s+({_NUMBER})\s+jours?\b")
_WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b")
_RELATIVE = (  # searched in this order: "apres-demain" contains "demain", "avant-hier" "hier"
    (re.compile(r"\bavant[- ]hier\b"), -2),
    (re.compile(r"\bhier\b"), -1),
    (re.compile(r"\bapres[- ]demain\b"), 2),
    (re.compile(r"\bdemain\b"), 1),
    (re.compile(r"\baujourd'?hui\b|\bce matin\b|\bcet apres[- ]midi\b|\bce soir\b"), 0),
)
_TIME_H = re.compile(r"\b(\d{1,2})\s*(?:heures?|h)(?:\s*(\d{2}))?(?:\s+et\s+(demie?|quart))?\b")
_TIME_COLON = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_TIME_WORDS = re.compile(r"\b(midi|minuit)(?:\s+et\s+(demie?|quart))?\b")
_DURATION_BEFORE = re.compile(r"(?:\bdans|\bpendant|\bdurant|\bil y a)\s*$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.\w{2,}")
_QUANTITY_AFTER = re.compile(
    rf"\b({_NUMBER})\s+(?:personnes?|participants?|participantes?|places?|apprenants?|"
    r"apprenantes?|eleves?|gens)\b")
_QUANTITY_BEFORE = re.compile(rf"\b(?:nous serons|on sera|on est|nous sommes)\s+({_NUMBER})\b")
_ROOM_WORD = re.compile(r"[\w.]*\w")  # keeps "2.04" whole, leaves a final full stop out


def words_to_number(words: str) -> int | None:
    """The value of French number words, 0 to 999: "vingt-deux" -> 22, "soixante et onze" ->
    71, "quatre-vingt-dix-neuf" -> 99, "deux cents" -> 200; None if a word is not a number.
    Accents and case do not matter ("Zéro" -> 0)."""
    parts = [p for p in re.split(r"[\s-]+", normalize(words)) if p and p != "et"]
    if not parts:
        return None
    total = 0
    for part in parts:
        if part not in NUMBER_WORDS:
            return None
        value = NUMBER_WORDS[part]
        if value == 100:
            total = max(total, 1) * 100
        elif value == 20 and total % 100 == 4:  # quatre-vingt(s)
            total += 76
        else:
            total += value
    return total


def _number(token: str) -> int | None:
    return int(token) if token.isdigit() else words_to_number(token)


def extract_numbers(text: str) -> list[int]:
    """Every whole number of the text, in digits or in words, in order of appearance.

    "un" and "une" alone are left out: they are articles far more often than numbers.
    Digits glued to letters ("14h") are not numbers here; "12/03" gives 12 and 3.
    """
    found = []
    for match in re.finditer(rf"\b(\d+|{_NUMBER_RUN})\b", normalize(text)):
        token = match.group(1)
        if token in ("un", "une"):
            continue
        value = _number(token)
        if value is not None:
            found.append(value)
    return found


def extract_quantity(text: str) -> int | None:
    """The number of people announced ("12 personnes", "douze participants", "une place",
    "nous serons huit"), or None. A number without what it counts ("salle 2.04") is not one."""
    t = normalize(text)
    match = _QUANTITY_AFTER.search(t) or _QUANTITY_BEFORE.search(t)
    return None if match is None else _number(match.group(1))


def _build_date(day: int, month: int, year: str | None, today: datetime.date):
    """datetime.date, or None if it does not exist. Without a year: this year, or next year
    when the date is already past (cb-04's rule)."""
    try:
        if year is not None:
            full = int(year) + 2000 if len(year) == 2 else int(year)
            return datetime.date(full, month, day)
        date = datetime.date(today.year, month, day)
        if date < today:
            date = datetime.date(today.year + 1, month, day)
        return date
    except ValueError:
        return None


def next_weekday(number: int, today: datetime.date) -> datetime.date:
    """The next day numbered `number` (0 = Monday) strictly after `today`, 1 to 7 days later:
    "lundi" and "lundi prochain" said on a Monday both mean the Monday after."""
    gap = (number - today.weekday()) % 7
    return today + datetime.timedelta(days=gap or 7)


def extract_date(text: str, today: datetime.date) -> datetime.date | None:
    """The date the message names, relative to `today`, or None.

    Tried from the most precise form to the least: "12/03" or "12/03/2027", "le 3 mars"
    or "1er avril 2027", then "avant-hier", "hier", "après-demain", "demain", "aujourd'hui"
    (and "ce matin", "cet après-midi", "ce soir"), "dans trois jours", and finally a weekday
    ("jeudi", "jeudi prochain"). An impossible date ("31/02") gives None; so does a period
    ("la semaine prochaine"), which is not a date.
    """
    t = normalize(text)
    match = _DATE_DIGITS.search(t)
    if match:
        return _build_date(int(match.group(1)), int(match.group(2)), match.group(3), today)
    match = _DATE_WORDS.search(t)
    if match:
        return _build_date(int(match.group(1)), MONTHS.index(match.group(2)) + 1,
                           match.group(3), today)
    for pattern, days in _RELATIVE:
        if pattern.search(t):
            return today + datetime.timedelta(days=days)
    match = _IN_DAYS.search(t)
    if match:
        days = _number(match.group(1))
        if days is not None:
            return today + datetime.timedelta(days=days)
    match = _WEEKDAY.search(t)
    if match:
        return next_weekday(WEEKDAYS.index(match.group(1)), today)
    return None


_HALVES = {"demi": 30, "demie": 30, "quart": 15}


def extract_time(text: str) -> str | None:
    """The first valid time of the message as "HH:MM", or None.

    "14h", "14 h 30", "14H30", "9 heures 30", "14:30", "14h et demie", "midi", "minuit",
    "midi et quart". Impossible times ("24h/24", "12h75") are skipped, and so are durations:
    "dans 2 heures" or "pendant 3 h" say how long, not when. "Cet après-midi" is no time.
    """
    t = normalize(text)
    candidates = []
    for match in _TIME_H.finditer(t):
        minutes = int(match.group(2)) if match.group(2) else _HALVES.get(match.group(3), 0)
        candidates.append((match.start(), int(match.group(1)), minutes))
    for match in _TIME_COLON.finditer(t):
        candidates.append((match.start(), int(match.group(1)), int(match.group(2))))
    for start, hours, minutes in sorted(candidates):
        if _DURATION_BEFORE.search(t[:start]):
            continue
        if hours <= 23 and minutes <= 59:
            return f"{hours:02d}:{minutes:02d}"
    without_afternoon = re.sub(r"apres[- ]midi", " ", t)
    match = _TIME_WORDS.search(without_afternoon)
    if match:
        hours = 12 if match.group(1) == "midi" else 0
        return f"{hours:02d}:{_HALVES.get(match.group(2), 0):02d}"
    return None


def find_room(text: str, rooms=ROOMS, cutoff: float = ROOM_CUTOFF) -> str | None:
    """The first room of `rooms` named in the message, even misspelt ("la garone" ->
    "Garonne", "salle 2.4" -> "2.04"), as written in `rooms`; or None.

    Each word is compared with difflib's `get_close_matches(word, names, n=1, cutoff)` on
    normalised text; a few aliases ("cafet", "amphithéâtre") are looked up first.
    """
    names = {normalize(room): room for room in rooms}
    aliases = {alias: room for alias, room in ROOM_ALIASES.items() if room in rooms}
    for word in _ROOM_WORD.findall(normalize(text)):
        if word in aliases:
            return aliases[word]
        close = get_close_matches(word, list(names), n=1, cutoff=cutoff)
        if close:
            return names[close[0]]
    return None


def extract_emails(text: str) -> list[str]:
    """Every e-mail address of the text, lowercase, in order ("Camille.Martin@Exemple.fr,"
    gives "camille.martin@exemple.fr": the comma and a final full stop stay out)."""
    return [address.lower() for address in _EMAIL.findall(text)]


def extract_email(text: str) -> str | None:
    """The first e-mail address of the text, lowercase, or None."""
    found = extract_emails(text)
    return found[0] if found else None


def extract_entities(text: str, today: datetime.date, rooms=ROOMS) -> dict[str, object]:
    """All of Aliénor's slots found in the message: date, heure, salle, personnes, email
    (always these five keys, None for what the message does not give)."""
    return {
        "date": extract_date(text, today),
        "heure": extract_time(text),
        "salle": find_room(text, rooms),
        "personnes": extract_quantity(text),
        "email": extract_email(text),
    }
