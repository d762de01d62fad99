"""Aliénor, the school's help-desk chatbot, as a package (the finished bot of the chatbot track).

    import datetime
    from ecole_ia.chatbot import Alienor

    alienor = Alienor()
    reply = alienor.reply("Je voudrais réserver la salle Garonne", session_id="camille",
                          today=datetime.date(2026, 3, 2))
    print(reply.text)          # Pour quelle date ?

Modules: `text` (normalisation, tokens), `intents` (TF-IDF + logistic regression with a
threshold), `entities` (dates, times, numbers, rooms, e-mail addresses), `dialogue` (the
state machine), `faq` (retrieval in the saved FAQ page), `llm_mode` (answers by an LLM
from the retrieved FAQ entries, with the local path as fallback), `bot` (`Alienor`, sessions).
"""

from .bot import Alienor, SessionStore
from .dialogue import DialogueManager, DialogueState, Reply
from .faq import FaqIndex
from .intents import IntentClassifier, IntentPrediction
from .llm_mode import LlmAnswer, LlmSettings, RagAnswerer

__all__ = ["Alienor", "DialogueManager", "DialogueState", "FaqIndex", "IntentClassifier",
           "IntentPrediction", "LlmAnswer", "LlmSettings", "RagAnswerer", "Reply", "SessionStore"]
