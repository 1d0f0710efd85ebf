package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/background"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/sqlite"
	"github.com/switchyard-dev/switchyard/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "switchyard.db")
		return func(ctx context.Context) (store.Store, error) { return sqlite.Open(ctx, path) }
	})
}

func TestConformanceURI(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := "file:" + filepath.Join(t.TempDir(), "switchyard.db") + "?cache=private"
		return func(ctx context.Context) (store.Store, error) { return sqlite.Open(ctx, path) }
	})
}

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// rawDB opens the database file directly, bypassing the store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestMigrationsRecordedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchyard.db")
	open(t, path)
	open(t, path)
	db := rawDB(t, path)
	var n, version int
	if err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &version); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) < 4 {
		t.Fatalf("embedded migrations %v, %v", files, err)
	}
	if n != len(files) || version != len(files) {
		t.Errorf("schema_migrations: %d rows, version %d; want %d, %d", n, version, len(files), len(files))
	}
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode %q, want wal", mode)
	}
	// The page size is fixed once the file is in WAL mode: the driver runs
	// _pragma settings in lexicographic order, so journal_mode among them
	// came before page_size and left a new file at 4 KiB pages.
	var pageSize int
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	if pageSize != 16<<10 {
		t.Errorf("page_size %d, want %d", pageSize, 16<<10)
	}
}

// TestConcurrentOpen opens a new database from several stores at once, as
// several processes starting together would.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchyard.db")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			s, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			if _, err := s.CreateAccount(t.Context(), "a", 1); err != nil {
				t.Errorf("CreateAccount: %v", err)
			}
			_ = s.Close()
		})
	}
	wg.Wait()
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchyard.db")
	open(t, path)
	if _, err := rawDB(t, path).Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_future.sql', '')`); err != nil {
		t.Fatal(err)
	}
	if s, err := sqlite.Open(t.Context(), path); err == nil {
		_ = s.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
}

// TestVerifyChargesDetectsMismatch: see storetest.VerifyChargesDetectsMismatch.
func TestVerifyChargesDetectsMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchyard.db")
	s := open(t, path)
	db := rawDB(t, path)
	storetest.VerifyChargesDetectsMismatch(t, s, func(q string) error {
		_, err := db.Exec(q)
		return err
	})
}

func TestVerifyLedgerDetectsMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchyard.db")
	s := open(t, path)
	a, err := s.CreateAccount(t.Context(), "a", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rawDB(t, path).Exec(`UPDATE accounts SET balance = balance + 7 WHERE id = ?`, a.ID); err != nil {
		t.Fatal(err)
	}
	ms, err := s.VerifyLedger(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []store.LedgerMismatch{{AccountID: a.ID, Balance: 1007, LedgerSum: 1000}}
	if len(ms) != 1 || ms[0] != want[0] {
		t.Errorf("VerifyLedger = %+v, want %+v", ms, want)
	}
}

func TestInMemory(t *testing.T) {
	s := open(t, ":memory:")
	a, err := s.CreateAccount(t.Context(), "a", 5)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Account(t.Context(), a.ID); err != nil || got.Balance != 5 {
		t.Errorf("Account = %+v, %v", got, err)
	}
}

// TestUpgradeFromVersion1 migrates a database written by the first schema:
// its generations read back with no provider responses.
func TestUpgradeFromVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchyard.db")
	schema1, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, stmt := range []string{
		string(schema1),
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`,
		`INSERT INTO schema_migrations VALUES (1, '0001_init.sql', '2026-01-01T00:00:00.000Z')`,
		`INSERT INTO accounts (id, name, created_at) VALUES (1, 'old', '2026-01-01T00:00:00.000Z')`,
		`INSERT INTO api_keys (hash, account_id, created_at) VALUES ('h', 1, '2026-01-01T00:00:00.000Z')`,
		`INSERT INTO generations (id, account_id, key_hash, model, attempts, created_at)
			VALUES ('gen-old', 1, 'h', 'm/x', 2, '2026-01-01T00:00:00.000Z')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%.40s: %v", stmt, err)
		}
	}
	s := open(t, path)
	g, err := s.Generation(t.Context(), "gen-old")
	if err != nil {
		t.Fatalf("Generation: %v", err)
	}
	if g.Model != "m/x" || g.Attempts != 2 || g.ProviderResponses != nil {
		t.Errorf("migrated generation = %+v", g)
	}
	if ps, err := s.ListPresets(t.Context(), 1); err != nil || len(ps) != 0 {
		t.Errorf("ListPresets after migration = %+v, %v", ps, err)
	}
	// Keys gain billing's columns: updated when created, no limit, no
	// expiry, not deleted.
	k, err := s.Key(t.Context(), "h")
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if !k.CreatedAt.Equal(created) || !k.UpdatedAt.Equal(created) || k.Limit != nil || k.LimitReset != "" || k.ExpiresAt != nil {
		t.Errorf("migrated key = %+v", k)
	}
	if g.IsBYOK {
		t.Errorf("migrated generation IsBYOK = true")
	}
	if _, err := s.RecordGenerations(t.Context(), []store.Generation{{ID: "gen-new", AccountID: 1, KeyHash: "h", Cost: 0}}); err != nil {
		t.Errorf("RecordGenerations after migration: %v", err)
	}
}

func benchRecordGenerations(ctx context.Context, b *testing.B, size int) {
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "switchyard.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := cpuTime()
	storetest.BenchRecordGenerations(ctx, b, s, size)
	if cpu := cpuTime() - start; cpu > 0 {
		b.ReportMetric(float64(cpu)/float64(b.N*size), "cpu-ns/generation")
	}
}

// BenchmarkRecordGenerations measures the accountant's batched writes at
// the sizes a flush interval collects at low and high load (100 is a
// 100 ms flush at 1000 requests a second), as the flusher writes them (in
// statements of yieldRows rows, yielding between them) and in as few
// statements as the batch allows (the accountant's Flush and Close).
func BenchmarkRecordGenerations(b *testing.B) {
	for _, size := range []int{10, 100, 256, 4096} {
		b.Run(fmt.Sprint(size), func(b *testing.B) { benchRecordGenerations(b.Context(), b, size) })
		b.Run(fmt.Sprintf("yielding-%d", size), func(b *testing.B) {
			benchRecordGenerations(background.Yielding(b.Context()), b, size)
		})
	}
}

func benchIngest(b *testing.B, size int, bench func(*testing.B, store.Store, int)) {
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "switchyard.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := cpuTime()
	bench(b, s, size)
	if cpu := cpuTime() - start; cpu > 0 {
		b.ReportMetric(float64(cpu)/float64(b.N*size), "cpu-ns/record")
	}
}

// BenchmarkIngest measures the gateway's write path: generation records
// and their usage rollups, in the batches a flush collects under load.
func BenchmarkIngest(b *testing.B) { benchIngest(b, 4096, storetest.BenchIngest) }

// BenchmarkImport measures bulk history loading (usage generate).
func BenchmarkImport(b *testing.B) { benchIngest(b, 20_000, storetest.BenchImport) }

// BenchmarkImportRecords is BenchmarkImport without the rollups.
func BenchmarkImportRecords(b *testing.B) { benchIngest(b, 20_000, storetest.BenchImportRecords) }

// migratedTo creates the database at path with the first n migrations
// applied as the store applies them, and returns it opened directly.
func migratedTo(t *testing.T, path string, n int) *sql.DB {
	t.Helper()
	db := rawDB(t, path)
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for v, f := range files[:n] {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, ?, '')`, v+1, filepath.Base(f)); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// TestMigrationKeepsUsage migrates a database holding rollups in the
// 0005 layout and finds every row in the clustered tables of 0006.
func TestMigrationKeepsUsage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchyard.db")
	db := migratedTo(t, path, 5)
	for _, q := range []string{
		`INSERT INTO usage_model_daily VALUES ('2026-12-01', 'a/x', '*', 3, 1, 300, 30, 5, 7000),
			('2026-12-01', 'a/x', 'programming', 3, 1, 300, 30, 5, 7000),
			('2026-12-02', 'b/y', '*', 1, 0, 10, 90, 0, 100)`,
		`INSERT INTO usage_app_daily VALUES ('2026-12-01', 'https://app.example', '*', '*', 3, 300, 30, 5)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, path)
	ctx := t.Context()
	q := store.UsageQuery{From: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)}
	models, err := s.UsageByModel(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.ModelUsage{
		{Model: "a/x", Tokens: store.Tokens{Requests: 3, Errors: 1, Prompt: 300, Completion: 30, Reasoning: 5, Spend: 7000}},
		{Model: "b/y", Tokens: store.Tokens{Requests: 1, Prompt: 10, Completion: 90, Spend: 100}},
	}
	if fmt.Sprint(models) != fmt.Sprint(want) {
		t.Errorf("models after migration: %v, want %v", models, want)
	}
	q.Category = "programming"
	if models, err := s.UsageByModel(ctx, q); err != nil || len(models) != 1 || models[0].Model != "a/x" {
		t.Errorf("programming after migration: %v, %v", models, err)
	}
	q.Category = ""
	apps, err := s.UsageByApp(ctx, q)
	if err != nil || len(apps) != 1 || apps[0].App != "https://app.example" || apps[0].Prompt != 300 {
		t.Errorf("apps after migration: %v, %v", apps, err)
	}
}

// TestMigrationDefersForeignKeys migrates generations and ledger entries
// of the 0006 layout to the tables of 0007, whose foreign keys are
// deferred: every row, column, index and constraint is as it was, ledger
// ids go on counting, and a key the commit finds broken still writes
// nothing. Then 0008 points each charged generation at its entry.
func TestMigrationDefersForeignKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchyard.db")
	db := migratedTo(t, path, 6)
	for _, q := range []string{
		`INSERT INTO accounts (id, name, balance, total_credits, total_usage, created_at)
			VALUES (1, 'a', 1095, 1100, 5, '2026-12-01T00:00:00.000Z')`,
		`INSERT INTO api_keys (hash, account_id, created_at) VALUES ('h', 1, '2026-12-01T00:00:00.000Z')`,
		`INSERT INTO generations (id, account_id, key_hash, model, provider_slug, streamed, prompt_tokens, cost,
			created_at, provider_responses, is_byok, status, error, category, app_private)
			VALUES ('gen-a', 1, 'h', 'a/x', 'p', 1, 12, 5, '2026-12-01T00:01:00.000Z',
				'[{"provider":"p","status":200}]', 0, 200, '', 'programming', 1),
			('gen-b', 1, 'h', 'a/x', 'p', 0, 3, 0, '2026-12-01T00:02:00.000Z', '[]', 1, 502, 'upstream failed', '', 0)`,
		`INSERT INTO ledger (id, account_id, kind, amount, generation_id, key_hash, note, created_at, ref)
			VALUES (1, 1, 'purchase', 1100, NULL, NULL, 'card', '2026-12-01T00:00:00.000Z', 'evt-1'),
			(2, 1, 'generation', -5, 'gen-a', 'h', '', '2026-12-01T00:01:00.000Z', ''),
			(9, 1, 'adjustment', 7, NULL, NULL, 'removed below', '2026-12-01T00:03:00.000Z', '')`,
		`DELETE FROM ledger WHERE id = 9`, // sqlite_sequence stays at 9
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%.50s: %v", q, err)
		}
	}
	layout := func() string {
		return dump(t, db, `SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_schema
			WHERE tbl_name IN ('generations', 'ledger') AND type = 'index' ORDER BY name`) +
			dump(t, db, `SELECT 'generations', * FROM pragma_table_xinfo('generations')`) +
			dump(t, db, `SELECT 'ledger', * FROM pragma_table_xinfo('ledger')`) +
			dump(t, db, `SELECT 'generations', "table", "from", "to" FROM pragma_foreign_key_list('generations') ORDER BY 2, 3`) +
			dump(t, db, `SELECT 'ledger', "table", "from", "to" FROM pragma_foreign_key_list('ledger') ORDER BY 2, 3`)
	}
	rows := func() string {
		return dump(t, db, `SELECT * FROM generations ORDER BY id`) + dump(t, db, `SELECT * FROM ledger ORDER BY id`)
	}
	layoutBefore, rowsBefore := layout(), rows()

	b, err := os.ReadFile("migrations/0007_deferred_foreign_keys.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(b)); err != nil {
		t.Fatalf("0007: %v", err)
	}
	if got := layout(); got != layoutBefore {
		t.Errorf("layout after migration:\n%s\nbefore:\n%s", got, layoutBefore)
	}
	if got := rows(); got != rowsBefore {
		t.Errorf("rows after migration:\n%s\nbefore:\n%s", got, rowsBefore)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (7, '0007_deferred_foreign_keys.sql', '')`); err != nil {
		t.Fatal(err)
	}
	// 0008 adds generations.ledger_id, which points gen-a at its charge.
	s := open(t, path)
	for table, want := range map[string]int{"generations": 3, "ledger": 3} {
		var ddl string
		if err := db.QueryRow(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&ddl); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(ddl, "REFERENCES"); n != want || strings.Count(ddl, "DEFERRABLE INITIALLY DEFERRED") != n {
			t.Errorf("%s after migration: want %d deferred foreign keys:\n%s", table, want, ddl)
		}
	}
	for _, table := range []string{"generations_0006", "ledger_0007"} {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE tbl_name = ?`, table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s left behind: %d objects, %v", table, n, err)
		}
	}
	if got := dump(t, db, `PRAGMA foreign_key_check`) + dump(t, db, `PRAGMA integrity_check`); got != "ok\n" {
		t.Errorf("checks after migration: %q", got)
	}

	ctx := t.Context()
	if m, err := s.VerifyLedger(ctx); err != nil || len(m) != 0 {
		t.Errorf("VerifyLedger = %v, %v", m, err)
	}
	for id, want := range map[string]int64{"gen-a": 2, "gen-b": 0} {
		if g, err := s.Generation(ctx, id); err != nil || g.LedgerID != want {
			t.Errorf("%s after migration: ledger entry %d, %v; want %d", id, g.LedgerID, err, want)
		}
	}
	if _, err := s.AddPurchase(ctx, 1, 50, 0, "evt-2", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddPurchase(ctx, 1, 50, 0, "evt-1", ""); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("replayed purchase evt-1: %v, want ErrAlreadyExists", err)
	}
	var id int64
	if err := db.QueryRow(`SELECT MAX(id) FROM ledger`).Scan(&id); err != nil || id != 10 {
		t.Errorf("new ledger entry id = %d, %v; want 10, after the deleted 9", id, err)
	}
	if _, err := s.RecordGenerations(ctx, []store.Generation{{ID: "gen-c", AccountID: 1, KeyHash: "h", Cost: 3}}); err != nil {
		t.Fatalf("RecordGenerations after migration: %v", err)
	}
	if _, err := s.RecordGenerations(ctx, []store.Generation{{ID: "gen-d", AccountID: 1, KeyHash: "h", Cost: -1}}); err == nil {
		t.Error("a negative cost was recorded: the CHECK constraint is gone")
	}

	// The import's INSERT takes a generation of an account that does not
	// exist; only the COMMIT finds the broken key, and rolls back.
	err = s.ImportGenerations(ctx, []store.Generation{
		{ID: "gen-e", AccountID: 1, KeyHash: "h", Model: "a/x"},
		{ID: "gen-f", AccountID: 99, KeyHash: "h", Model: "a/x"},
	})
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("import of a generation of no account: %v, want a foreign key error", err)
	}
	if _, err := s.Generation(ctx, "gen-e"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("gen-e of the failed import: %v, want ErrNotFound", err)
	}
	// The connection is out of that transaction: writes go on.
	if _, err := s.RecordGenerations(ctx, []store.Generation{{ID: "gen-g", AccountID: 1, KeyHash: "h", Cost: 1}}); err != nil {
		t.Errorf("RecordGenerations after a failed commit: %v", err)
	}
	if m, err := s.VerifyLedger(ctx); err != nil || len(m) != 0 {
		t.Errorf("VerifyLedger at the end = %v, %v", m, err)
	}
}

// dump returns the rows of query, a line each.
func dump(t *testing.T, db *sql.DB, query string) string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteString(" | ")
			}
			fmt.Fprintf(&b, "%v", v)
		}
		b.WriteString("\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
