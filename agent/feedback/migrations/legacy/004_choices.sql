-- Clarifying questions: the choices a reply offered, and which one each user picked.

ALTER TABLE replies ADD COLUMN choices TEXT NOT NULL DEFAULT '[]';

CREATE TABLE choices_made (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reply_id TEXT NOT NULL REFERENCES replies(id),
    user TEXT NOT NULL,
    message TEXT NOT NULL,
    intent TEXT NOT NULL,
    created TEXT NOT NULL);

CREATE INDEX choices_made_user ON choices_made(user);
