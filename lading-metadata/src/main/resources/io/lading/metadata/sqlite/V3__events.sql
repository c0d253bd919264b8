-- Schema version 3: the events outbox (docs/design/notifications.md).
-- An event is written in the same transaction as the change it describes, with one delivery row per endpoint that
-- wants it. Deliveries are ordered per (endpoint, repository) by seq; a queue row per (endpoint, repository) holds
-- the retry state, so a failing repository waits without holding up the others.
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT    NOT NULL,
    repository TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE event_deliveries (
    endpoint   TEXT    NOT NULL,
    repository TEXT    NOT NULL,
    seq        INTEGER NOT NULL REFERENCES events (seq),
    PRIMARY KEY (endpoint, repository, seq)
) WITHOUT ROWID;
CREATE INDEX event_deliveries_seq ON event_deliveries (seq);

CREATE TABLE event_queues (
    endpoint        TEXT    NOT NULL,
    repository      TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    PRIMARY KEY (endpoint, repository)
) WITHOUT ROWID;
CREATE INDEX event_queues_due ON event_queues (endpoint, next_attempt_at);

CREATE TABLE event_dead_letters (
    endpoint TEXT    NOT NULL,
    seq      INTEGER NOT NULL REFERENCES events (seq),
    attempts INTEGER NOT NULL,
    dead_at  INTEGER NOT NULL,
    error    TEXT,
    PRIMARY KEY (endpoint, seq)
) WITHOUT ROWID;
CREATE INDEX event_dead_letters_seq ON event_dead_letters (seq);
