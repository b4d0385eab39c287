// Package sqldb opens livesell's SQL store: PostgreSQL through pgx when a
// DATABASE_URL is given, else an embedded SQLite file (pure Go, no cgo) in the
// data directory. Both are reached through database/sql with the same SQL:
// write portable statements (numbered $1.. placeholders in order, integer
// money and unix-millisecond times, RETURNING, ON CONFLICT) and use the
// helpers here for the few places where the dialects differ.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the SQL engine behind a DB.
type Dialect string

// The dialects livesell runs on.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// DB is a database/sql handle that knows its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
}

// Open connects to databaseURL, or, when it is empty, opens (creating it if
// needed) dataDir/livesell.db. The data directory is created 0700 and the
// file 0600 (an existing file is narrowed to 0600): it holds every order and
// user tag. SQLite gives its -wal and -shm files the database file's mode.
func Open(ctx context.Context, databaseURL, dataDir string) (*DB, error) {
	if databaseURL != "" {
		db, err := sql.Open("pgx", databaseURL)
		if err != nil {
			return nil, fmt.Errorf("sqldb: open postgres: %w", err)
		}
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
		db.SetConnMaxIdleTime(5 * time.Minute)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("sqldb: postgres unreachable (DATABASE_URL): %w", err)
		}
		return &DB{DB: db, Dialect: Postgres}, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("sqldb: data dir: %w", err)
	}
	path := filepath.Join(dataDir, "livesell.db")
	if err := privateFile(path); err != nil {
		return nil, fmt.Errorf("sqldb: %w", err)
	}
	dsn := "file:" + path + "?_txlock=immediate&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqldb: open sqlite: %w", err)
	}
	// One writer at a time is SQLite's model; one connection also makes
	// transactions serial, which stands in for SELECT … FOR UPDATE.
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqldb: open sqlite %s: %w", path, err)
	}
	return &DB{DB: db, Dialect: SQLite}, nil
}

// privateFile creates path with mode 0600 if it does not exist, or narrows
// an existing file to 0600, so that SQLite opens (and copies the mode of) a
// file only its owner can read.
func privateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return err
		}
	}
	return nil
}

// ForUpdate is the row-locking suffix of a SELECT inside a transaction:
// " FOR UPDATE" on PostgreSQL, nothing on SQLite (whose transactions are
// serial here).
func (db *DB) ForUpdate() string {
	if db.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// SkipLocked is " FOR UPDATE SKIP LOCKED" on PostgreSQL (so several nodes can
// share a work queue), nothing on SQLite.
func (db *DB) SkipLocked() string {
	if db.Dialect == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// InTx runs fn in a transaction, committing when it returns nil and rolling
// back otherwise. Domain code receives the *sql.Tx only inside store code.
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqldb: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("sqldb: rollback: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqldb: commit: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique-constraint violation on
// either dialect.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLSTATE 23505") || strings.Contains(msg, "UNIQUE constraint failed")
}
