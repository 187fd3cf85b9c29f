ALTER TABLE events ADD COLUMN wanted_tool TEXT;

CREATE TABLE chunk_prefs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL REFERENCES events(id),
    user TEXT NOT NULL,
    chunk_id TEXT NOT NULL,
    sign INTEGER NOT NULL CHECK (sign IN (-1, 1)),
    embedding BLOB NOT NULL);
