"""Learner state as JSON with a version column, instead of a pickle; the SQLite-only version table goes.

Why: a pickle is code to run, so a database shared by several replicas (PostgreSQL) must not hold one;
JSON is data any replica (or person) can read. The version column lets a writer replace only the state it
read (``FeedbackStore.save_state``). The one learner with state, ``style``, kept a river
``LogisticRegression`` with no features, so its whole knowledge is the model's intercept (the log-odds of
"wants detailed"): that number is what the JSON keeps.
"""

from __future__ import annotations

import json
import logging
import pickle
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)


def _style_json(blob: bytes) -> dict[str, Any]:
    """A pickled ``StyleState`` (from our own SQLite file) as the JSON ``StyleState.to_json`` writes."""
    fields = dict(vars(pickle.loads(blob)))
    model = fields.pop("model", None)
    return {
        "log_odds": None if model is None else float(model.intercept),
        "brief_sentences": int(fields.get("brief_sentences", 2)),
        "detailed_sentences": int(fields.get("detailed_sentences", 5)),
        "examples": bool(fields.get("examples", False)),
        "events": int(fields.get("events", 0)),
    }


def upgrade() -> None:
    new = op.create_table(
        "learner_state_json",
        sa.Column("user", sa.Text, primary_key=True),
        sa.Column("learner", sa.Text, primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated", sa.Text, nullable=False),
    )
    old = sa.table(
        "learner_state", sa.column("user"), sa.column("learner"), sa.column("blob"), sa.column("updated")
    )
    rows = []
    for user, learner, blob, updated in op.get_bind().execute(sa.select(old)):
        try:
            state = _style_json(bytes(blob)) if learner == "style" else None
        except Exception as exc:  # an unreadable state: that user starts again from the default
            log.warning("learner state of %r (%s) could not be read and is dropped: %s", user, learner, exc)
            state = None
        if state is not None:
            stamp = updated or datetime.now(UTC).isoformat()
            rows.append(
                {"user": user, "learner": learner, "state": json.dumps(state), "version": 1, "updated": stamp}
            )
    if rows:
        op.bulk_insert(new, rows)
    op.drop_table("learner_state")
    op.rename_table("learner_state_json", "learner_state")
    op.execute("DROP TABLE IF EXISTS schema_version")


def downgrade() -> None:
    raise NotImplementedError("the feedback store only moves forward")
