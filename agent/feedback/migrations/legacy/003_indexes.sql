CREATE INDEX events_user ON events(user);

CREATE INDEX corrections_user ON corrections(user, promoted);

CREATE INDEX chunk_prefs_user ON chunk_prefs(user);

CREATE INDEX replies_user ON replies(user);
