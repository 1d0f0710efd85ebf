package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/postgres"
	"github.com/switchyard-dev/switchyard/internal/store/storetest"
)

// defaultURL is the test server; SWITCHYARD_TEST_POSTGRES overrides it.
const defaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func baseURL() string {
	if u := os.Getenv("SWITCHYARD_TEST_POSTGRES"); u != "" {
		return u
	}
	return defaultURL
}

// connect connects to the test server, skipping the test if it is
// unreachable — or failing it when the CI environment variable is set.
func connect(t *testing.T, ctx context.Context, connURL string) *pgx.Conn {
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

// newSchema creates a uniquely named schema, dropped when t ends, and
// returns a URL whose connections use it.
func newSchema(t *testing.T) string {
	t.Helper()
	base := baseURL()
	conn := connect(t, t.Context(), base)
	defer conn.Close(context.Background())
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema := "switchyard_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn := connect(t, ctx, base)
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(t, base, schema)
}

// withSearchPath sets the search_path run-time parameter in a URL or a
// keyword/value connection string.
func withSearchPath(t *testing.T, connString, schema string) string {
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

func newDB(t *testing.T) storetest.Opener {
	connURL := newSchema(t)
	return func(ctx context.Context) (store.Store, error) { return postgres.Open(ctx, connURL) }
}

func TestConformance(t *testing.T) {
	// Check once, so an unreachable server skips (or fails) one test, not
	// every subtest.
	connect(t, t.Context(), baseURL()).Close(context.Background())
	storetest.Run(t, newDB)
}

func open(t *testing.T, connURL string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), connURL)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestMigrationsRecordedOnce(t *testing.T) {
	t.Parallel()
	connURL := newSchema(t)
	open(t, connURL)
	open(t, connURL)
	conn := connect(t, t.Context(), connURL)
	defer conn.Close(context.Background())
	var n, version int
	if err := conn.QueryRow(t.Context(), `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &version); err != nil {
		t.Fatal(err)
	}
	if n != 2 || version != 2 {
		t.Errorf("schema_migrations: %d rows, version %d; want 2, 2", n, version)
	}
}

func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	connURL := newSchema(t)
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), connURL)
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			_ = s.Close()
		})
	}
	wg.Wait()
}

func TestNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	connURL := newSchema(t)
	open(t, connURL)
	conn := connect(t, t.Context(), connURL)
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_future.sql', now())`); err != nil {
		t.Fatal(err)
	}
	if s, err := postgres.Open(t.Context(), connURL); err == nil {
		_ = s.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
}

func TestMissingSchema(t *testing.T) {
	t.Parallel()
	newSchema(t) // skips when the server is unreachable
	connURL := withSearchPath(t, baseURL(), "switchyard_test_does_not_exist")
	if s, err := postgres.Open(t.Context(), connURL); err == nil {
		_ = s.Close()
		t.Fatal("Open with a missing schema succeeded")
	}
}

func TestVerifyLedgerDetectsMismatch(t *testing.T) {
	t.Parallel()
	connURL := newSchema(t)
	s := open(t, connURL)
	a, err := s.CreateAccount(t.Context(), "a", 1000)
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, t.Context(), connURL)
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), `UPDATE accounts SET balance = balance + 7 WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	ms, err := s.VerifyLedger(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := store.LedgerMismatch{AccountID: a.ID, Balance: 1007, LedgerSum: 1000}
	if len(ms) != 1 || ms[0] != want {
		t.Errorf("VerifyLedger = %+v, want [%+v]", ms, want)
	}
}
