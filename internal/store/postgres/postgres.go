// Package postgres implements store.Store on PostgreSQL with pgx
// (github.com/jackc/pgx/v5, pgxpool).
//
// Transactions run at READ COMMITTED. Charges are UPDATE statements of the
// form balance = balance - cost, which PostgreSQL serialises on the row, so
// concurrent charges never lose an update. A transaction that records
// generations locks their ids, then their keys, then their accounts, each
// in sorted order (see package store/internal/batch), and every other
// transaction locks at most one of those kinds of row, so charges cannot
// deadlock. A batch of generations is recorded in a constant number of
// round trips: the rows travel as arrays, unnested by one INSERT.
//
// The store uses the first schema of the connection's search_path; set it
// with the search_path parameter of the URL to keep several databases in
// one. Migrations are embedded (migrations/NNNN_*.sql) and applied by Open
// in one transaction under an advisory lock, recorded in schema_migrations.
package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is a store.Store on a PostgreSQL database. It is safe for
// concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url ("postgres://user@host:5432/db?
// sslmode=disable", or any form pgx accepts) and migrates it to the latest
// schema. Pool settings such as pool_max_conns may be given in url.
func Open(ctx context.Context, url string) (*Store, error) {
	// Errors do not repeat url: it may hold a password.
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: parse url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return s, nil
}

// Close closes the connection pool, waiting for connections in use.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// migrate applies the pending migrations in one transaction. An advisory
// lock, scoped to the schema, keeps concurrent Opens from racing.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrate.Load(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var schema *string
		if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			return err
		}
		if schema == nil {
			return fmt.Errorf("no schema of the search_path exists")
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('switchyard.migrate.' || $1))`, *schema); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER     PRIMARY KEY,
			name       TEXT        NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL
		)`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return err
		}
		pending, err := migrate.Pending(ms, current)
		if err != nil {
			return err
		}
		for _, m := range pending {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx,
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, store.Timestamp(time.Now())); err != nil {
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

// mustAffect returns err, or else errNone if the statement changed no row.
func mustAffect(tag pgconn.CommandTag, err, errNone error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return errNone
	}
	return nil
}
