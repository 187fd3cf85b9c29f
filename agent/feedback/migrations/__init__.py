"""Alembic migrations of the feedback store (``env.py``, ``versions/``); ``agent.feedback.store`` runs them."""
