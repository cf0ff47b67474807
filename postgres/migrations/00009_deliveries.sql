-- Which bytes of each file were delivered to each person since their last
-- complete download (navette.DeliveryStore): "START-END,…", half-open,
-- sorted and disjoint. A download is recorded once they cover the file, and
-- the row is then removed. SQLite has its copy in navette/sqlite.

-- +goose Up
CREATE TABLE deliveries (
    file_id    TEXT COLLATE "C" NOT NULL REFERENCES files (id),
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    ranges     TEXT COLLATE "C" NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (file_id, user_id)
);

-- +goose Down
DROP TABLE deliveries;
