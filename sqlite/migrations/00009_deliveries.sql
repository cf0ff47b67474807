-- Which bytes of each file were delivered to each person since their last
-- complete download (navette.DeliveryStore): "START-END,…", half-open,
-- sorted and disjoint. A download is recorded once they cover the file, and
-- the row is then removed. PostgreSQL has its copy in navette/postgres.

-- +goose Up
CREATE TABLE deliveries (
    file_id    TEXT NOT NULL REFERENCES files (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    ranges     TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (file_id, user_id)
);

-- +goose Down
DROP TABLE deliveries;
