-- What a reloaded chat page shows under each answer: its sources and figures (``to_dict`` lists).

ALTER TABLE replies ADD COLUMN citations TEXT NOT NULL DEFAULT '[]';

ALTER TABLE replies ADD COLUMN artifacts TEXT NOT NULL DEFAULT '[]';
