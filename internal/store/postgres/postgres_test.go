package postgres_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/postgres"
	"github.com/switchyard-dev/switchyard/internal/store/postgres/pgtest"
	"github.com/switchyard-dev/switchyard/internal/store/storetest"
)

func newDB(t *testing.T) storetest.Opener {
	connURL := pgtest.Schema(t)
	return func(ctx context.Context) (store.Store, error) { return postgres.Open(ctx, connURL) }
}

func TestConformance(t *testing.T) {
	// Check once, so an unreachable server skips (or fails) one test, not
	// every subtest.
	pgtest.Connect(t, t.Context(), pgtest.BaseURL()).Close(context.Background())
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
	connURL := pgtest.Schema(t)
	open(t, connURL)
	open(t, connURL)
	conn := pgtest.Connect(t, t.Context(), connURL)
	defer conn.Close(context.Background())
	var n, version int
	if err := conn.QueryRow(t.Context(), `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &version); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) < 4 {
		t.Fatalf("embedded migrations %v, %v", files, err)
	}
	if n != len(files) || version != len(files) {
		t.Errorf("schema_migrations: %d rows, version %d; want %d, %d", n, version, len(files), len(files))
	}
}

func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	connURL := pgtest.Schema(t)
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
	connURL := pgtest.Schema(t)
	open(t, connURL)
	conn := pgtest.Connect(t, t.Context(), connURL)
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
	pgtest.Schema(t) // skips when the server is unreachable
	connURL := pgtest.WithSearchPath(t, pgtest.BaseURL(), "switchyard_test_does_not_exist")
	if s, err := postgres.Open(t.Context(), connURL); err == nil {
		_ = s.Close()
		t.Fatal("Open with a missing schema succeeded")
	}
}

func TestVerifyLedgerDetectsMismatch(t *testing.T) {
	t.Parallel()
	connURL := pgtest.Schema(t)
	s := open(t, connURL)
	a, err := s.CreateAccount(t.Context(), "a", 1000)
	if err != nil {
		t.Fatal(err)
	}
	conn := pgtest.Connect(t, t.Context(), connURL)
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

// TestVerifyChargesDetectsMismatch: see storetest.VerifyChargesDetectsMismatch.
func TestVerifyChargesDetectsMismatch(t *testing.T) {
	t.Parallel()
	connURL := pgtest.Schema(t)
	s := open(t, connURL)
	conn := pgtest.Connect(t, t.Context(), connURL)
	defer conn.Close(context.Background())
	storetest.VerifyChargesDetectsMismatch(t, s, func(q string) error {
		_, err := conn.Exec(t.Context(), q)
		return err
	})
}

// TestMaintainUsage vacuums and analyzes the rollups after a load, so the
// rankings' plans see real row counts and their index-only scans can skip
// the heap. It checks reltuples, which only VACUUM or ANALYZE set (-1 until
// then), rather than the visibility map: whether VACUUM may mark pages
// all-visible depends on every other transaction on the server, and other
// packages' tests run beside this one.
func TestMaintainUsage(t *testing.T) {
	t.Parallel()
	connURL := pgtest.Schema(t)
	s := open(t, connURL)
	ctx := t.Context()
	row := store.UsageRow{UsageKey: store.UsageKey{Hour: time.Now(), KeyHash: "k", Model: "a/x", Category: "other"},
		Tokens: store.Tokens{Requests: 1, Prompt: 10}}
	if err := s.AddUsage(ctx, []store.UsageRow{row}); err != nil {
		t.Fatal(err)
	}
	conn := pgtest.Connect(t, ctx, connURL)
	defer conn.Close(context.Background())
	tables := []string{"usage_hourly", "usage_model_daily", "usage_app_daily"}
	reltuples := func(table string) float64 {
		t.Helper()
		var n float64
		if err := conn.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, table := range tables {
		if n := reltuples(table); n >= 0 {
			t.Fatalf("%s reltuples = %v before maintenance; want -1 (never analyzed), or this test proves nothing", table, n)
		}
	}
	var m store.UsageMaintainer = s
	if err := m.MaintainUsage(ctx); err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		if n := reltuples(table); n < 0 {
			t.Errorf("%s reltuples = %v after maintenance: never analyzed", table, n)
		}
	}
}

// TestUpgradeFromVersion2 migrates a schema written before billing: its
// keys, generations and ledger gain billing's columns with their defaults.
func TestUpgradeFromVersion2(t *testing.T) {
	t.Parallel()
	connURL := pgtest.Schema(t)
	conn := pgtest.Connect(t, t.Context(), connURL)
	defer conn.Close(context.Background())
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`}
	for i, name := range []string{"0001_init.sql", "0002_provider_responses_presets.sql"} {
		b, err := os.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, string(b), fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, '%s', now())`, i+1, name))
	}
	stmts = append(stmts,
		`INSERT INTO accounts (id, name, balance, total_credits, total_usage, created_at) OVERRIDING SYSTEM VALUE
			VALUES (1, 'old', 90, 100, 10, '2026-01-01T00:00:00Z')`,
		`INSERT INTO api_keys (hash, account_id, total_usage, created_at) VALUES ('h', 1, 10, '2026-01-01T00:00:00Z')`,
		`INSERT INTO generations (id, account_id, key_hash, model, cost, created_at)
			VALUES ('gen-old', 1, 'h', 'm/x', 10, '2026-01-01T00:00:00Z')`,
		`INSERT INTO ledger (account_id, kind, amount, created_at) VALUES (1, 'credit', 100, '2026-01-01T00:00:00Z')`,
		`INSERT INTO ledger (account_id, kind, amount, generation_id, key_hash, created_at)
			VALUES (1, 'generation', -10, 'gen-old', 'h', '2026-01-01T00:00:00Z')`,
	)
	for _, stmt := range stmts {
		if _, err := conn.Exec(t.Context(), stmt); err != nil {
			t.Fatalf("%.40s: %v", stmt, err)
		}
	}

	s := open(t, connURL)
	k, err := s.Key(t.Context(), "h")
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if !k.CreatedAt.Equal(created) || !k.UpdatedAt.Equal(created) || k.Limit != nil || k.LimitReset != "" || k.ExpiresAt != nil || k.Usage != 10 {
		t.Errorf("migrated key = %+v", k)
	}
	g, err := s.Generation(t.Context(), "gen-old")
	if err != nil || g.IsBYOK || g.Cost != 10 {
		t.Errorf("migrated generation = %+v, %v", g, err)
	}
	entries, err := s.Ledger(t.Context(), 1, 0)
	if err != nil || len(entries) != 2 || entries[0].Ref != "gen-old" || entries[1].Ref != "" {
		t.Errorf("migrated ledger = %+v, %v", entries, err)
	}
	// 0006 points the generation at the entry that charged it.
	if len(entries) > 0 && g.LedgerID != entries[0].ID {
		t.Errorf("migrated generation names ledger entry %d, want %d", g.LedgerID, entries[0].ID)
	}
	if spend, err := s.KeySpend(t.Context(), "h", time.Time{}, false); err != nil || spend != 10 {
		t.Errorf("KeySpend after migration = %s, %v; want 10", spend, err)
	}
	if ms, err := s.VerifyLedger(t.Context()); err != nil || len(ms) != 0 {
		t.Errorf("VerifyLedger after migration = %+v, %v", ms, err)
	}
}

func benchRecordGenerations(b *testing.B, size int) {
	connURL := pgtest.Schema(b)
	s, err := postgres.Open(b.Context(), connURL)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchRecordGenerations(b.Context(), b, s, size)
}

// BenchmarkRecordGenerations measures the accountant's batched writes at
// the sizes a flush interval collects at low and high load.
func BenchmarkRecordGenerations(b *testing.B) {
	for _, size := range []int{256, 4096} {
		b.Run(fmt.Sprint(size), func(b *testing.B) { benchRecordGenerations(b, size) })
	}
}

func benchIngest(b *testing.B, size int, bench func(*testing.B, store.Store, int)) {
	connURL := pgtest.Schema(b)
	s, err := postgres.Open(b.Context(), connURL)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	bench(b, s, size)
}

// BenchmarkIngest measures the gateway's write path: generation records
// and their usage rollups, in the batches a flush collects under load.
func BenchmarkIngest(b *testing.B) { benchIngest(b, 4096, storetest.BenchIngest) }

// BenchmarkImport measures bulk history loading (usage generate).
func BenchmarkImport(b *testing.B) { benchIngest(b, 20_000, storetest.BenchImport) }

// BenchmarkImportRecords is BenchmarkImport without the rollups.
func BenchmarkImportRecords(b *testing.B) { benchIngest(b, 20_000, storetest.BenchImportRecords) }
