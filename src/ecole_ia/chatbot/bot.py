"""Aliénor, the school's help-desk bot, assembled from the chatbot lessons.

    import datetime
    from ecole_ia.chatbot import Alienor

    alienor = Alienor()                                   # trains once, about a second
    reply = alienor.reply("c koi le code du wiffi", session_id="camille",
                          today=datetime.date(2026, 3, 2))
    reply.text, reply.intent, reply.source                # (..., 'wifi', 'wifi')

Each session (one person, one conversation) has its own dialogue state, kept in a
`SessionStore`; a reply never depends on another session. `today` defaults to the real date
of the day, read once per message: pass it explicitly in tests and lessons.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Iterator

from .dialogue import DialogueManager, DialogueState, Reply
from .entities import ROOMS
from .faq import FaqIndex
from .intents import IntentClassifier
from .llm_mode import LlmSettings, RagAnswerer
from .text import MAX_MESSAGE_LENGTH, truncate

TOO_LONG = ("Votre message est très long : je n'en ai lu que le début "
            f"({MAX_MESSAGE_LENGTH} caractères). ")


class SessionStore:
    """Dialogue states by session id, in memory. Unknown ids start a new conversation."""

    def __init__(self):
        self._states: dict[str, DialogueState] = {}

    def get(self, session_id: str) -> DialogueState:
        """The state of the session (a new one if the session is unknown)."""
        return self._states.get(session_id, DialogueState())

    def save(self, session_id: str, state: DialogueState) -> None:
        self._states[session_id] = state

    def delete(self, session_id: str) -> None:
        """Forget the session (no error if it does not exist)."""
        self._states.pop(session_id, None)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._states

    def __len__(self) -> int:
        return len(self._states)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._states))


class Alienor:
    """The bot: intent classifier, entity rules, dialogue manager and FAQ, with sessions.

    `classifier` defaults to one trained on the whole corpus, `faq` to the school's FAQ page;
    pass your own (already trained) to share them between bots or to test. `reply` never
    raises on a message: an empty, very long or word-less message gets a polite answer.
    With `llm` (an `openai.OpenAI` client), questions are answered by the model from the FAQ
    entries retrieved for them (llm_mode.py), and by the local path when it cannot.
    """

    def __init__(self, classifier: IntentClassifier | None = None, faq: FaqIndex | None = None,
                 rooms=ROOMS, max_misunderstandings: int = 2, llm=None,
                 llm_settings: LlmSettings | None = None):
        self.classifier = classifier if classifier is not None else IntentClassifier.from_corpus()
        self.faq = faq if faq is not None else FaqIndex.from_html()
        # LLM + RAG mode: `llm` is an openai.OpenAI client (the local service's, or a
        # provider's); questions go to the model first, the local path is the fallback.
        self.rag = RagAnswerer(llm, self.faq, llm_settings) if llm is not None else None
        self.manager = DialogueManager(self.classifier, self.faq, rooms, max_misunderstandings,
                                       rag=self.rag)
        self.sessions = SessionStore()

    def reply(self, text: str | None, session_id: str = "default",
              today: datetime.date | None = None) -> Reply:
        """Aliénor's answer to `text` in the conversation `session_id`, whose state moves on."""
        message = "" if text is None else str(text)
        too_long = len(message) > MAX_MESSAGE_LENGTH
        message = truncate(message)
        day = today if today is not None else datetime.date.today()
        state, answer = self.manager.turn(self.sessions.get(session_id), message, day)
        self.sessions.save(session_id, state)
        if too_long:
            answer = Reply(TOO_LONG + answer.text, answer.intent, answer.confidence,
                           answer.slots, answer.sources, answer.step)
        return answer

    def state(self, session_id: str = "default") -> DialogueState:
        """A copy of the current state of a session (a new state for an unknown session)."""
        return copy.deepcopy(self.sessions.get(session_id))

    def reset(self, session_id: str = "default") -> None:
        """Start the session again from scratch (after a hand-over, for instance)."""
        self.sessions.delete(session_id)
