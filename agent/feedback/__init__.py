"""Learning from each user's feedback, online: style, ranking, routing and corrections."""

from agent.feedback.records import Correction, FeedbackEvent
from agent.feedback.service import FeedbackService
from agent.feedback.store import GLOBAL_USER
from knowledge.answer import AnswerStyle

__all__ = ["GLOBAL_USER", "AnswerStyle", "Correction", "FeedbackEvent", "FeedbackService"]
