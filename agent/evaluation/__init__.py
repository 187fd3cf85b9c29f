"""Scripted evaluation dialogues: load them, run them against the real agent, report what failed."""

from agent.evaluation.dialogues import Dialogue, DialogueError, load_dialogues

__all__ = ["Dialogue", "DialogueError", "load_dialogues"]
