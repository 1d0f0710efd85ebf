// Package sqlite implements store.Store on a single SQLite database file,
// with modernc.org/sqlite (pure Go, no cgo).
//
// The database runs in WAL mode with foreign keys on and a busy timeout.
// Writes go through a pool of exactly one connection whose transactions
// begin with BEGIN IMMEDIATE: write transactions are serialised within the
// process by the pool and across processes by SQLite's write lock, so
// concurrent charges never lose an update. Reads use a separate read-only
// pool and run alongside the writer, as WAL allows.
//
// Migrations are embedded (migrations/NNNN_*.sql) and applied by Open in
// one transaction, recorded in schema_migrations.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	driver "modernc.org/sqlite" // also registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// busyTimeout is how long a connection waits for another process's lock.
const busyTimeout = 10 * time.Second

// timeLayout is how times are stored: UTC, milliseconds, fixed width.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Store is a store.Store on a SQLite database. It is safe for concurrent
// use.
type Store struct {
	write *sql.DB      // one connection; BEGIN IMMEDIATE
	read  *sql.DB      // read-only; the same pool as write for in-memory databases
	stmts *recordStmts // prepared on write, for RecordGenerations
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the SQLite database at path and migrates
// it to the latest schema. path is a file name ("./switchyard.db") or a
// SQLite URI ("file:switchyard.db?cache=private"); a plain file name must
// not contain '?'. ":memory:" opens a private in-memory database, served by
// one connection.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("open sqlite: empty path: %w", store.ErrInvalid)
	}
	write, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	s := &Store{write: write, read: write}

	// Migrate before the read pool exists, so the file is created and in
	// WAL mode by the time a reader opens it.
	if err := s.migrateWhenFree(ctx); err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if s.stmts, err = prepareRecordStmts(ctx, write); err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if !inMemory(path) {
		read, err := sql.Open("sqlite", dsn(path, false))
		if err != nil {
			_ = s.stmts.Close()
			_ = write.Close()
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		n := max(4, runtime.GOMAXPROCS(0))
		read.SetMaxOpenConns(n)
		read.SetMaxIdleConns(n)
		s.read = read
	}
	return s, nil
}

// Close closes the prepared statements and both connection pools.
func (s *Store) Close() error {
	err := errors.Join(s.stmts.Close(), s.write.Close())
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	if err != nil {
		return fmt.Errorf("close sqlite: %w", err)
	}
	return nil
}

// dsn adds the connection settings to path as modernc.org/sqlite query
// parameters.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	// 64 MiB of page cache per connection (SQLite's default is 2 MiB):
	// the generation indexes and rollups stay in memory under load.
	q.Add("_pragma", "cache_size(-65536)")
	if writer {
		// 16 KiB pages (set when the file is created; SQLite's default is
		// 4 KiB): a flush of 100 records writes 38 pages instead of 63,
		// in 40% fewer write calls. The page size is fixed once the file
		// is in WAL mode, and the driver runs the _pragma list sorted by
		// name: WAL mode comes from _journal_mode, which it applies after
		// the list.
		q.Add("_pragma", "page_size(16384)")
		q.Set("_journal_mode", "WAL")
		// FULL: a committed charge survives power loss, not just a crash.
		q.Add("_pragma", "synchronous(FULL)")
		// Statement journals (the pages a statement changed, to roll it
		// back alone) kept in memory: on disk they spill to a temporary
		// file after four pages. A statement in a transaction keeps one
		// when it could fail after changing some rows (the billing
		// flush's INSERTs cannot since migration 0007). They play no
		// part in crash recovery; the WAL does.
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + q.Encode()
}

// inMemory reports whether path names an in-memory database, which exists
// only within one connection and so cannot have a separate read pool.
func inMemory(path string) bool {
	return path == ":memory:" || strings.HasPrefix(path, "file::memory:") || strings.Contains(path, "mode=memory")
}

// migrateWhenFree runs migrate, retrying while another process holds the
// database. SQLite does not always call its busy handler while a new file
// is being switched to WAL mode (the journal-mode change needs an exclusive
// lock), so processes starting together can see SQLITE_BUSY despite
// busy_timeout; waiting and retrying within the same bound is correct.
func (s *Store) migrateWhenFree(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		err := s.migrate(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// isBusy reports whether err is SQLITE_BUSY (or one of its extended codes).
func isBusy(err error) bool {
	var se *driver.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// migrate applies the pending migrations in one write transaction.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrate.Load(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at TEXT    NOT NULL
		) STRICT`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return err
		}
		pending, err := migrate.Pending(ms, current)
		if err != nil {
			return err
		}
		for _, m := range pending {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, formatTime(time.Now())); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// inTx runs fn in a write transaction, committing if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func formatTime(t time.Time) string { return store.Timestamp(t).Format(timeLayout) }

// timeText scans a stored time.
type timeText struct{ t *time.Time }

func (tt timeText) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("scan time: unexpected %T", src)
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return fmt.Errorf("scan time: %w", err)
	}
	*tt.t = t
	return nil
}

// formatNullTime formats an optional time: NULL when t is nil.
func formatNullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

// nullTimeText scans an optional stored time: nil for NULL.
type nullTimeText struct{ t **time.Time }

func (nt nullTimeText) Scan(src any) error {
	if src == nil {
		*nt.t = nil
		return nil
	}
	var t time.Time
	if err := (timeText{&t}).Scan(src); err != nil {
		return err
	}
	*nt.t = &t
	return nil
}
