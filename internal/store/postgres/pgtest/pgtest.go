// Package pgtest gives tests a fresh PostgreSQL schema on the test server
// (127.0.0.1:5432, database test; SWITCHYARD_TEST_POSTGRES overrides it).
// A test that cannot reach the server is skipped with a clear message, or
// fails when the CI environment variable is set, so that CI never passes
// without PostgreSQL.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the test server.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// BaseURL is the test server's URL: SWITCHYARD_TEST_POSTGRES, or
// DefaultURL.
func BaseURL() string {
	if u := os.Getenv("SWITCHYARD_TEST_POSTGRES"); u != "" {
		return u
	}
	return DefaultURL
}

// Connect connects to connURL, skipping the test if the server is
// unreachable, or failing it under CI.
func Connect(t testing.TB, ctx context.Context, connURL string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		msg := "PostgreSQL test server unreachable (set SWITCHYARD_TEST_POSTGRES to a database URL): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return conn
}

// Schema creates a uniquely named schema, dropped when t ends, and returns
// a URL whose connections use it.
func Schema(t testing.TB) string {
	t.Helper()
	base := BaseURL()
	conn := Connect(t, context.Background(), base)
	defer conn.Close(context.Background())
	b := make([]byte, 8)
	rand.Read(b)
	schema := "switchyard_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn := Connect(t, ctx, base)
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(t, base, schema)
}

// WithSearchPath sets the search_path run-time parameter in a URL or a
// keyword/value connection string.
func WithSearchPath(t testing.TB, connString, schema string) string {
	t.Helper()
	if !strings.HasPrefix(connString, "postgres://") && !strings.HasPrefix(connString, "postgresql://") {
		return connString + " search_path=" + schema
	}
	u, err := url.Parse(connString)
	if err != nil {
		t.Fatalf("parse SWITCHYARD_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
