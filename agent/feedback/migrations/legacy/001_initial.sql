CREATE TABLE replies (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    session TEXT NOT NULL,
    question TEXT NOT NULL,
    text TEXT NOT NULL,
    style TEXT NOT NULL,
    words INTEGER NOT NULL,
    tool_calls TEXT NOT NULL,
    cited_chunk_ids TEXT NOT NULL,
    created TEXT NOT NULL);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reply_id TEXT NOT NULL REFERENCES replies(id),
    user TEXT NOT NULL,
    score INTEGER NOT NULL CHECK (score IN (-1, 1)),
    comment TEXT,
    correction TEXT,
    created TEXT NOT NULL,
    promoted INTEGER NOT NULL DEFAULT 0);

CREATE TABLE corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL REFERENCES events(id),
    user TEXT NOT NULL,
    question TEXT NOT NULL,
    text TEXT NOT NULL CHECK (length(trim(text)) > 0),
    promoted INTEGER NOT NULL DEFAULT 0,
    embedding BLOB);

CREATE TABLE learner_state (
    user TEXT NOT NULL,
    learner TEXT NOT NULL,
    blob BLOB NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (user, learner));
