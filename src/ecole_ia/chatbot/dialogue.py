"""Aliénor's dialogue manager: a state machine over turns, as in cb-05, on top of the intent
classifier (cb-03), the entity rules (cb-04) and the FAQ retrieval (cb-06).

    manager = DialogueManager(IntentClassifier.from_corpus(), FaqIndex.from_html())
    state = DialogueState()
    state, reply = manager.turn(state, "Je voudrais réserver la salle Garonne", today)
    reply.text     # "Pour quelle date ?"

`turn` is pure: it never changes the state it receives and never reads the clock (the date
of the day is an argument), so a conversation can be replayed and tested.

Steps (cb-05's French names in brackets): "waiting" (attente), "filling" (remplissage),
"confirming" (confirmation), "done" (termine), "human" (humain). Rules, first match wins:

1. "human": nothing changes any more, a member of staff has taken over;
2. a message without any word: a polite request to write something, nothing else changes;
3. "annuler" (or "stop", "laissez tomber"), at any step: back to the initial state;
   asking for a person ("je veux parler à un humain") hands over at once;
4. while filling or confirming an action:
   a. another action ("réserver", or a stated absence or attestation request) starts as a
      new request;
   b. the message gives slot values ("la garone", "non, plutôt mardi", "oui mais à 15h"):
      only those slots change, then the next question or the confirmation again;
   c. "oui" while confirming: the action is carried out, step "done";
   d. "non" without a value while confirming: Aliénor asks what to correct;
   e. a known intent (a change of subject, "merci !"): handled as a new request;
5. a new request: an action ("réserver" in the message; an absence or an attestation
   request stated rather than asked, with a confidence of at least ACTION_CONFIDENCE)
   starts filling its slots; a greeting or thanks gets its fixed text; in the LLM mode
   (`rag`, llm_mode.py) a question goes to the model with the FAQ entries retrieved for
   it; without it, or when the model cannot answer, a known intent gets its answer from
   the FAQ section it is linked to; otherwise the FAQ is searched;
6. anything else is a misunderstanding: Aliénor says so and asks again; at the
   `max_misunderstandings`-th in a row she hands over to a human. Any understood message
   sets the counter back to 0.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import re
from dataclasses import dataclass, field

from .entities import ROOMS, extract_entities
from .faq import FaqAnswer, FaqIndex, format_answer
from .intents import IntentClassifier, IntentPrediction
from .llm_mode import CITATION, LlmAnswer, RagAnswerer
from .text import has_words, is_question, normalize, tokenize

WAITING, FILLING, CONFIRMING, DONE, HUMAN = "waiting", "filling", "confirming", "done", "human"

# Actions Aliénor carries out, with their mandatory slots in the order she asks for them.
ACTIONS = {
    "reserver_salle": ("salle", "date", "heure"),
    "signaler_absence": ("date",),
    "demander_attestation": ("email",),
}
OPTIONAL_SLOTS = {"reserver_salle": ("personnes",)}
# Intents of the corpus that become an action when stated rather than asked.
ACTION_OF_INTENT = {"absence": "signaler_absence", "attestation": "demander_attestation"}
# An action from the classifier needs more than the threshold: a vague message must not start
# a form ("je veux parler à un humain" gets 0.31 for absence), nor a short answer to a question
# ("mardi": 0.32 for absence); most stated absences and attestation requests get 0.6 to 0.95.
ACTION_CONFIDENCE = 0.5
# Rooms are booked through a rule: the corpus has no booking intent (cb-05 did the same).
_BOOKING = re.compile(r"\breserv\w*\b")

# The FAQ section that answers each intent of the corpus (cb-06, section 8).
SECTION_OF_INTENT = {
    "absence": "absences", "alternance": "alternance", "attestation": "attestation",
    "cafeteria": "cafeteria", "examen": "evaluation", "horaires": "horaires",
    "inscription": "candidature", "ordinateur": "panne", "stage": "stages", "wifi": "wifi",
}
FIXED_TEXTS = {
    "salutation": ("Bonjour ! Je suis Aliénor, l'assistante virtuelle de l'école : un "
                   "programme, pas une personne. Posez-moi votre question."),
    "au_revoir": "Avec plaisir ! À bientôt à l'école.",
}
QUESTIONS = {
    "salle": "Quelle salle souhaitez-vous réserver ?",
    "date": "Pour quelle date ?",
    "heure": "À quelle heure ?",
    "email": "À quelle adresse e-mail faut-il vous l'envoyer ?",
}
YES_WORDS = frozenset({"oui", "ouais", "ok", "accord", "parfait", "exactement", "confirme",
                       "volontiers", "absolument", "yes"})
NO_WORDS = frozenset({"non", "nan", "pas", "faux", "erreur"})
CANCEL_WORDS = frozenset({"annuler", "annule", "annulez", "annulation", "stop"})
_CANCEL_PHRASE = re.compile(r"\blaisse[sz]? tomber\b")
_HUMAN_REQUEST = re.compile(
    r"\bhumaine?\b|\bparler a (?:un|une|quelqu'un)\b|\bvraie personne\b|\bconseill(?:er|ere)\b")

PROPOSAL = ("Je peux vous renseigner sur les horaires, l'alternance, les stages, les "
            "attestations, les absences, votre ordinateur, le wifi, la cafétéria, les "
            "inscriptions et les examens, réserver une salle ou noter une absence.")
NOT_UNDERSTOOD = "Je n'ai pas compris, pouvez-vous reformuler ?"
EMPTY_MESSAGE = ("Je n'ai reçu aucun mot : pouvez-vous écrire votre question ? "
                 "Par exemple : « Quels sont les horaires ? »")
HAND_OVER = ("Je n'arrive pas à vous comprendre : je passe la main à un membre de "
             "l'équipe pédagogique, qui vous répondra au plus vite.")
HAND_OVER_ASKED = ("Bien sûr : je transmets votre demande à un membre de l'équipe "
                   "pédagogique, qui vous répondra au plus vite.")
CANCELLED = "D'accord, j'annule. Que puis-je faire d'autre pour vous ?"
WHAT_TO_CORRECT = "D'accord. Que faut-il corriger ? Par exemple : « plutôt mardi »."

WEEKDAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTH_NAMES = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre")


@dataclass
class DialogueState:
    """Where one conversation stands: step, current action, known slots, and the number of
    misunderstandings in a row. `DialogueState()` is the start of a conversation."""

    step: str = WAITING
    intent: str | None = None
    slots: dict[str, object] = field(default_factory=dict)
    misunderstandings: int = 0


@dataclass(frozen=True)
class Reply:
    """One answer of Aliénor.

    - `text`: what she says (French);
    - `intent`: the intent or action the message was understood as, None if not understood;
    - `confidence`: the classifier's confidence for that message (1.0 when a rule decided:
      a slot value, a yes or no, a cancellation, the booking keyword; 0.0 without words);
    - `slots`: the slots known after this turn (a copy);
    - `sources`: the FAQ anchors the text comes from, best first; `source` is the first;
    - `step`: the dialogue step after this turn;
    - `origin`: "llm" when the LLM mode wrote the text (llm_mode.py), else "local";
    - `fallback`: why the LLM mode did not answer a question the local path answered
      ("unavailable: HTTP 503", "unknown", "weak_retrieval"), "" otherwise.
    """

    text: str
    intent: str | None = None
    confidence: float = 0.0
    slots: dict[str, object] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    step: str = WAITING
    origin: str = "local"
    fallback: str = ""

    @property
    def source(self) -> str | None:
        return self.sources[0] if self.sources else None


def llm_text(found: LlmAnswer) -> str:
    """The model's answer with its [n] markers replaced by the FAQ sections they cite, in
    the bot's usual form, since a user never sees the numbered documents."""
    text = re.sub(r"\s+([.,;:!?])", r"\1", CITATION.sub("", found.text)).strip()
    return f"{text} (Source : FAQ, section " + ", ".join(f"#{s}" for s in found.sources) + ")"


def describe_date(date: datetime.date) -> str:
    """The date in words, as Aliénor says it: "mardi 3 mars", "mercredi 1er avril"."""
    day = "1er" if date.day == 1 else str(date.day)
    return f"{WEEKDAY_NAMES[date.weekday()]} {day} {MONTH_NAMES[date.month - 1]}"


def confirmation_question(intent: str, slots: dict) -> str:
    """The question that makes the person confirm an action before it is carried out."""
    if intent == "reserver_salle":
        people = f" pour {slots['personnes']} personnes" if slots.get("personnes") else ""
        return (f"Je réserve la salle {slots['salle']} le {describe_date(slots['date'])} "
                f"à {slots['heure']}{people}. C'est bien cela ?")
    if intent == "signaler_absence":
        return f"Je note votre absence le {describe_date(slots['date'])}. C'est bien cela ?"
    return (f"Je demande votre attestation à l'équipe pédagogique, qui vous l'enverra à "
            f"{slots['email']}. C'est bien cela ?")


def execution_message(intent: str, slots: dict) -> str:
    """What Aliénor says once the action is carried out."""
    if intent == "reserver_salle":
        return (f"C'est fait : la salle {slots['salle']} est réservée le "
                f"{describe_date(slots['date'])} à {slots['heure']}.")
    if intent == "signaler_absence":
        return (f"C'est noté : votre absence le {describe_date(slots['date'])} est signalée "
                "à l'équipe pédagogique.")
    return (f"C'est noté : l'équipe pédagogique vous enverra votre attestation à "
            f"{slots['email']}.")


def is_confirmation(message: str) -> bool | None:
    """True for a yes, False for a no, None for neither or both ("pas d'accord")."""
    words = set(tokenize(message))
    yes, no = bool(words & YES_WORDS), bool(words & NO_WORDS)
    if yes and not no:
        return True
    if no and not yes:
        return False
    return None


def is_cancellation(message: str) -> bool:
    """True when the message asks to cancel ("annuler", "STOP", "laissez tomber")."""
    return bool(set(tokenize(message)) & CANCEL_WORDS) or bool(
        _CANCEL_PHRASE.search(normalize(message)))


def is_human_request(message: str) -> bool:
    """True when the person asks for a human ("un humain", "parler à quelqu'un")."""
    return _HUMAN_REQUEST.search(normalize(message)) is not None


def missing_slots(state: DialogueState) -> list[str]:
    """The mandatory slots of the current action still unknown, in the order they are asked."""
    if state.intent not in ACTIONS:
        return []
    return [name for name in ACTIONS[state.intent] if state.slots.get(name) is None]


class DialogueManager:
    """The rules of the conversation; one manager serves any number of states (sessions)."""

    def __init__(self, classifier: IntentClassifier, faq: FaqIndex | None = None,
                 rooms=ROOMS, max_misunderstandings: int = 2, rag: RagAnswerer | None = None):
        if max_misunderstandings < 1:
            raise ValueError("max_misunderstandings must be at least 1")
        self.classifier = classifier
        self.faq = faq
        self.rag = rag  # the LLM mode: questions go to the model first (llm_mode.py)
        self.rooms = tuple(rooms)
        self.max_misunderstandings = max_misunderstandings

    # -- understanding one message -------------------------------------------------------

    def slot_values(self, intent: str, message: str, today: datetime.date) -> dict[str, object]:
        """The values the message gives for the slots of `intent` (only those found)."""
        entities = extract_entities(message, today, self.rooms)
        names = ACTIONS.get(intent, ()) + OPTIONAL_SLOTS.get(intent, ())
        return {name: entities[name] for name in names if entities[name] is not None}

    def action_of(self, message: str, prediction: IntentPrediction) -> str | None:
        """The action a message asks for: booking by rule, or an absence or attestation
        request stated rather than asked ("je serai absente lundi", not "combien d'absences ?")
        and recognised with a confidence of at least ACTION_CONFIDENCE."""
        if _BOOKING.search(normalize(message)):
            return "reserver_salle"
        if (prediction.intent in ACTION_OF_INTENT and prediction.confidence >= ACTION_CONFIDENCE
                and not is_question(message)):
            return ACTION_OF_INTENT[prediction.intent]
        return None

    # -- the turn ------------------------------------------------------------------------

    def turn(self, state: DialogueState, message: str,
             today: datetime.date) -> tuple[DialogueState, Reply]:
        """Play one turn: (new state, reply). `state` is left unchanged."""
        new = copy.deepcopy(state)
        if new.step == HUMAN:
            return new, self._reply(new, HAND_OVER)
        if not has_words(message):
            return new, self._reply(new, EMPTY_MESSAGE, intent=new.intent)
        if is_cancellation(message):
            fresh = DialogueState()
            return fresh, self._reply(fresh, CANCELLED, confidence=1.0)
        if is_human_request(message):
            new.step = HUMAN
            return new, self._reply(new, HAND_OVER_ASKED, confidence=1.0)
        prediction = self.classifier.predict(message)
        if new.step in (FILLING, CONFIRMING):
            outcome = self._continue(new, message, today, prediction)
            if outcome is not None:
                return outcome
        elif new.step in (WAITING, DONE):
            outcome = self._new_request(message, today, prediction)
            if outcome is not None:
                return outcome
        return self._misunderstanding(new, prediction)

    def _continue(self, new: DialogueState, message: str, today: datetime.date,
                  prediction: IntentPrediction):
        action = self.action_of(message, prediction)
        if action is not None and action != new.intent:
            return self._new_request(message, today, prediction)
        values = self.slot_values(new.intent, message, today)
        if values:
            new.slots.update(values)
            new.misunderstandings = 0
            return self._ask_next(new, confidence=1.0)
        answer = is_confirmation(message)
        if new.step == CONFIRMING and answer is True:
            new.step, new.misunderstandings = DONE, 0
            return new, self._reply(new, execution_message(new.intent, new.slots),
                                    intent=new.intent, confidence=1.0)
        if new.step == CONFIRMING and answer is False:
            new.misunderstandings = 0
            return new, self._reply(new, WHAT_TO_CORRECT, intent=new.intent, confidence=1.0)
        if answer is not None:  # a lone yes or no while a slot is missing
            return None
        if action is not None or prediction.known:
            return self._new_request(message, today, prediction)
        return None

    def _new_request(self, message: str, today: datetime.date, prediction: IntentPrediction):
        action = self.action_of(message, prediction)
        if action is not None:
            new = DialogueState(intent=action, slots={
                name: None for name in ACTIONS[action]} | self.slot_values(action, message, today))
            confidence = 1.0 if action == "reserver_salle" else prediction.confidence
            return self._ask_next(new, confidence=confidence)
        fresh = DialogueState(step=DONE)
        if prediction.intent in FIXED_TEXTS:
            return fresh, self._reply(fresh, FIXED_TEXTS[prediction.intent],
                                      intent=prediction.intent, confidence=prediction.confidence)
        if self.rag is None:
            return self._local_answer(fresh, message, prediction)
        linked = SECTION_OF_INTENT.get(prediction.intent) if self.faq is not None else None
        found = self.rag.answer(message, (linked,) if linked else ())
        if found.answered:
            return fresh, dataclasses.replace(
                self._reply(fresh, llm_text(found), intent=prediction.intent,
                            confidence=prediction.confidence, sources=found.sources),
                origin="llm")
        outcome = self._local_answer(fresh, message, prediction)
        why = found.status + (f": {found.error}" if found.error else "")
        return None if outcome is None else (outcome[0], dataclasses.replace(outcome[1],
                                                                              fallback=why))

    def _local_answer(self, fresh: DialogueState, message: str, prediction: IntentPrediction):
        """A question answered without the model: the intent's FAQ section, else a search."""
        if prediction.intent is not None:
            text, sources = self._section_answer(prediction.intent)
            return fresh, self._reply(fresh, text, intent=prediction.intent,
                                      confidence=prediction.confidence, sources=sources)
        if self.faq is not None:
            found: FaqAnswer = self.faq.answer(message)
            if found.found:
                return fresh, self._reply(fresh, format_answer(found),
                                          confidence=prediction.confidence,
                                          sources=found.sources)
        return None

    def _section_answer(self, intent: str) -> tuple[str, tuple[str, ...]]:
        source = SECTION_OF_INTENT.get(intent)
        if self.faq is None or source is None:
            return PROPOSAL, ()
        entry = self.faq.entry(source)
        return f"{entry.answer} (Source : FAQ, section #{source})", (source,)

    def _ask_next(self, new: DialogueState, confidence: float):
        missing = missing_slots(new)
        if missing:
            new.step = FILLING
            text = QUESTIONS[missing[0]]
        else:
            new.step = CONFIRMING
            text = confirmation_question(new.intent, new.slots)
        return new, self._reply(new, text, intent=new.intent, confidence=confidence)

    def _misunderstanding(self, new: DialogueState, prediction: IntentPrediction):
        new.misunderstandings += 1
        if new.misunderstandings >= self.max_misunderstandings:
            new.step = HUMAN
            return new, self._reply(new, HAND_OVER, confidence=prediction.confidence)
        if new.step == FILLING:
            again = QUESTIONS[missing_slots(new)[0]]
        elif new.step == CONFIRMING:
            again = confirmation_question(new.intent, new.slots)
        else:
            again = PROPOSAL
        return new, self._reply(new, f"{NOT_UNDERSTOOD} {again}", intent=None,
                                confidence=prediction.confidence)

    @staticmethod
    def _reply(state: DialogueState, text: str, intent: str | None = None,
               confidence: float = 0.0, sources: tuple[str, ...] = ()) -> Reply:
        return Reply(text=text, intent=intent, confidence=confidence,
                     slots=copy.deepcopy(state.slots), sources=tuple(sources), step=state.step)
