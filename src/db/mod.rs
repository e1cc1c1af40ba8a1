//! The database: one `DbConn` over SQLite or PostgreSQL (chosen by the URL scheme), the pool, the
//! per-connection SQLite settings, the embedded migrations and the write transaction.

pub mod deferred;
pub mod schema;

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("build with at least one of the features `sqlite` or `postgres`");

/// A connection to whichever database the settings name.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    #[cfg(feature = "sqlite")]
    Sqlite(diesel::SqliteConnection),
    #[cfg(feature = "postgres")]
    Pg(diesel::PgConnection),
}

pub type DbPool = Pool<DbManager>;
pub type PooledConn = PooledConnection<DbManager>;

#[cfg(feature = "sqlite")]
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Which backend a database URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A file path (`sqlite://registrar.db`, `sqlite:registrar.db` or a bare path).
    Sqlite(String),
    /// `postgres://…` or `postgresql://…`, passed to libpq as is.
    Postgres(String),
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("this build has no {0} support: rebuild with `--features {0}`")]
    BackendNotBuilt(&'static str),
    #[error("the database URL is empty")]
    EmptyUrl,
    #[error("cannot open the database pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("cannot connect to the database: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, DbError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(DbError::EmptyUrl);
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_string()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Ok(DatabaseUrl::Sqlite(path.to_string()))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }

    /// Opens one connection of the right variant (`MultiConnection::establish` would try SQLite
    /// first, which accepts any string).
    pub fn connect(&self) -> Result<DbConn, DbError> {
        match self {
            #[cfg(feature = "sqlite")]
            DatabaseUrl::Sqlite(path) => {
                Ok(DbConn::Sqlite(diesel::SqliteConnection::establish(path)?))
            }
            #[cfg(not(feature = "sqlite"))]
            DatabaseUrl::Sqlite(_) => Err(DbError::BackendNotBuilt("sqlite")),
            #[cfg(feature = "postgres")]
            DatabaseUrl::Postgres(url) => Ok(DbConn::Pg(diesel::PgConnection::establish(url)?)),
            #[cfg(not(feature = "postgres"))]
            DatabaseUrl::Postgres(_) => Err(DbError::BackendNotBuilt("postgres")),
        }
    }
}

/// r2d2 manager that opens connections of the configured backend.
#[derive(Debug, Clone)]
pub struct DbManager {
    url: DatabaseUrl,
}

impl ManageConnection for DbManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        self.url.connect().map_err(|e| match e {
            DbError::Connection(c) => r2d2::Error::ConnectionError(c),
            other => r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(
                other.to_string(),
            )),
        })
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// SQLite settings every connection needs: WAL for concurrent readers, a busy timeout instead of
/// immediate SQLITE_BUSY errors, and foreign keys (off by default in SQLite).
#[derive(Debug)]
struct ConnectionSetup;

impl CustomizeConnection<DbConn, r2d2::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        apply_connection_settings(conn).map_err(r2d2::Error::QueryError)
    }
}

fn apply_connection_settings(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        #[cfg(feature = "sqlite")]
        // journal_size_limit: a write-ahead log grown by a bulk load shrinks back to 64 MiB.
        DbConn::Sqlite(c) => c.batch_execute(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
             PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{CACHE_KIB}; \
             PRAGMA journal_size_limit = 67108864;"
        )),
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => Ok(()),
    }
}

/// Runs the pending migrations of the URL's backend, returns the names applied. Indexes that an
/// interrupted import set aside are rebuilt here too (see `deferred`).
pub fn migrate(url: &DatabaseUrl) -> Result<Vec<String>, DbError> {
    let mut conn = url.connect()?;
    apply_connection_settings(&mut conn)?;
    let applied = run_migrations(&mut conn)?;
    let rebuilt = deferred::rebuild(&mut conn)?;
    if !rebuilt.is_empty() {
        tracing::warn!(
            indexes = %rebuilt.join(", "),
            "rebuilt indexes that an interrupted import had set aside"
        );
    }
    Ok(applied)
}

fn run_migrations(conn: &mut DbConn) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Builds the pool. SQLite gets a small pool: one writer at a time anyway.
pub fn build_pool(url: &DatabaseUrl, max_size: u32) -> Result<DbPool, DbError> {
    let size = match url {
        DatabaseUrl::Sqlite(_) => max_size.clamp(1, 8),
        DatabaseUrl::Postgres(_) => max_size.max(1),
    };
    Ok(Pool::builder()
        .max_size(size)
        .connection_timeout(Duration::from_secs(30))
        .connection_customizer(Box::new(ConnectionSetup))
        .build(DbManager { url: url.clone() })?)
}

/// SQLite has one writer at a time. Writers of this process queue on this lock instead of meeting
/// SQLITE_BUSY, whose busy handler sleeps in steps of up to 100 ms (the tail latency under load).
/// Other processes (a CLI import beside the server) still wait through `busy_timeout`.
#[cfg(feature = "sqlite")]
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(feature = "sqlite")]
thread_local! {
    /// How many `write_tx` calls this thread is inside (a nested call must not lock again).
    static WRITE_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Holds the process's SQLite writer lock for the outermost `write_tx` of a thread.
#[cfg(feature = "sqlite")]
struct WriterTurn {
    _guard: Option<std::sync::MutexGuard<'static, ()>>,
}

#[cfg(feature = "sqlite")]
impl WriterTurn {
    fn take() -> WriterTurn {
        let depth = WRITE_DEPTH.with(|d| {
            let v = d.get();
            d.set(v + 1);
            v
        });
        let guard = (depth == 0).then(|| {
            SQLITE_WRITER
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        });
        WriterTurn { _guard: guard }
    }
}

#[cfg(feature = "sqlite")]
impl Drop for WriterTurn {
    fn drop(&mut self) {
        WRITE_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Page cache of a connection during a bulk load (KiB): the indexes of large tables stay in memory.
const BULK_CACHE_KIB: i64 = 131_072;
/// The normal page cache (KiB), as set on every connection.
const CACHE_KIB: i64 = 32_768;

/// Runs `work` (a bulk load such as an import) with SQLite settings for it: a 128 MiB page cache
/// instead of 32 MiB and a write-ahead log checkpointed every 40,000 pages (160 MiB) instead of
/// 1,000: fewer checkpoints write each hot index page to the database file fewer times, and
/// fsync less often. The connection's settings are restored afterwards, whatever `work`
/// returned. Nothing changes on PostgreSQL.
pub fn bulk_load<T, E>(
    conn: &mut DbConn,
    work: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let set = |conn: &mut DbConn, cache: i64, checkpoint: i64| -> QueryResult<()> {
        match conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => c.batch_execute(&format!(
                "PRAGMA cache_size = -{cache}; PRAGMA wal_autocheckpoint = {checkpoint};"
            )),
            #[cfg(feature = "postgres")]
            DbConn::Pg(_) => {
                let _ = (cache, checkpoint);
                Ok(())
            }
        }
    };
    set(conn, BULK_CACHE_KIB, 40_000)?;
    let result = work(conn);
    let restored = set(conn, CACHE_KIB, 1_000);
    let value = result?;
    restored?;
    Ok(value)
}

/// Runs `rows`, a group of single-row statements, as one unit on SQLite: inside the caller's
/// transaction when one is open (its failure rolls them back), else in a transaction of their own.
///
/// This is how the models insert many rows on SQLite. Diesel runs a multi-row insert there as one
/// statement per row inside a savepoint, and under a savepoint SQLite copies every page it changes
/// to a statement journal first: for a bulk import into large indexed tables that copying took
/// over a quarter of the database thread's time. Foreign keys are checked at commit for the
/// same reason (the setting ends with the transaction).
#[cfg(feature = "sqlite")]
pub fn sqlite_rows<T>(
    c: &mut diesel::SqliteConnection,
    rows: impl FnOnce(&mut diesel::SqliteConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    let open = AnsiTransactionManager::transaction_manager_status_mut(c)
        .transaction_depth()?
        .is_some();
    // Foreign keys checked at commit: an immediate check may abort a statement half-way, so
    // SQLite would journal every page each insert changes.
    let rows = |c: &mut diesel::SqliteConnection| {
        c.batch_execute("PRAGMA defer_foreign_keys = ON")?;
        rows(c)
    };
    if open { rows(c) } else { c.transaction(rows) }
}

/// Runs `work` in a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so a read-then-write unit
/// takes the write lock up front instead of failing with SQLITE_BUSY when it upgrades; writers of
/// this process take turns on an in-process lock first.
pub fn write_tx<T, E>(
    conn: &mut DbConn,
    work: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => {
            // Inside a transaction already (a service calling another): a savepoint.
            let nested = AnsiTransactionManager::transaction_manager_status_mut(c)
                .transaction_depth()?
                .is_some();
            if nested {
                return conn.transaction(work);
            }
            let _turn = WriterTurn::take();
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            match work(conn) {
                Ok(value) => {
                    <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
                    Ok(value)
                }
                Err(e) => {
                    if let Err(rollback) =
                        <DbConn as Connection>::TransactionManager::rollback_transaction(conn)
                    {
                        tracing::error!(error = %rollback, "rollback failed");
                    }
                    Err(e)
                }
            }
        }
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => conn.transaction(work),
    }
}

/// Which backend a live connection is on.
pub fn backend_of(conn: &DbConn) -> &'static str {
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(_) => "sqlite",
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => "postgres",
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    #[test]
    fn nested_write_transactions_become_savepoints_and_roll_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let url =
            DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("t.db").display())).unwrap();
        let mut conn = url.connect().unwrap();
        conn.batch_execute("CREATE TABLE t (v INTEGER)").unwrap();
        let outcome: Result<(), diesel::result::Error> = write_tx(&mut conn, |conn| {
            conn.batch_execute("INSERT INTO t VALUES (1)")?;
            let inner: Result<(), diesel::result::Error> = write_tx(conn, |conn| {
                conn.batch_execute("INSERT INTO t VALUES (2)")?;
                Err(diesel::result::Error::RollbackTransaction)
            });
            assert!(inner.is_err());
            write_tx(conn, |conn| conn.batch_execute("INSERT INTO t VALUES (3)"))
        });
        outcome.unwrap();
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            v: i32,
        }
        let rows: Vec<Row> = diesel::sql_query("SELECT v FROM t ORDER BY v")
            .load(&mut conn)
            .unwrap();
        assert_eq!(rows.iter().map(|r| r.v).collect::<Vec<_>>(), vec![1, 3]);
    }
}
