-- When the platform's background jobs last ran (navette.JobStore), shared
-- by its nodes: the scrubber's daily pass runs once a day for the whole
-- platform, whatever the nodes and their restarts. Times in Unix
-- microseconds; last_end is NULL until a run ends.

-- +goose Up
CREATE TABLE jobs (
    name       TEXT PRIMARY KEY,
    last_start INTEGER NOT NULL,
    last_end   INTEGER
);

-- +goose Down
DROP TABLE jobs;
