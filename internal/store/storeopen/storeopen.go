// Package storeopen opens the store.Store implementation a DSN names.
//
// It is separate from package store because it imports the
// implementations, which import store.
package storeopen

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/postgres"
	"github.com/switchyard-dev/switchyard/internal/store/sqlite"
)

// Open opens and migrates the store dsn names:
//
//   - postgres://… or postgresql://… (any case): PostgreSQL, see
//     postgres.Open;
//   - anything else: a SQLite database file path ("./switchyard.db") or URI
//     ("file:switchyard.db"), see sqlite.Open.
func Open(ctx context.Context, dsn string) (store.Store, error) {
	if dsn == "" {
		return nil, fmt.Errorf("open store: empty DSN: %w", store.ErrInvalid)
	}
	if IsPostgres(dsn) {
		return postgres.Open(ctx, dsn)
	}
	return sqlite.Open(ctx, dsn)
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	scheme, _, ok := strings.Cut(dsn, "://")
	return ok && (strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql"))
}
