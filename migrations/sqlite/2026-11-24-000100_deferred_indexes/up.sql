-- Secondary indexes a bulk import dropped to load faster, with the statement that rebuilds each.
-- The import rebuilds them when it ends; a start of the application (or any command) rebuilds
-- whatever is still listed here, so an import killed half-way leaves no index missing for long.
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY NOT NULL,
    definition TEXT NOT NULL,
    deferred_at TIMESTAMP NOT NULL
);
