package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/background"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/internal/batch"
	"github.com/switchyard-dev/switchyard/internal/store/internal/jsoncol"
)

const generationColumns = `id, account_id, key_hash, model, provider_slug, provider_name, upstream_model, upstream_id,
	streamed, cancelled, finish_reason, native_finish_reason,
	prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens, cache_write_tokens,
	cost, latency_ms, generation_time_ms, http_referer, app_title, end_user, session_id, attempts, created_at,
	provider_responses, is_byok, status, error, category, app_private`

// generationColumnCount is the number of generationColumns.
var generationColumnCount = strings.Count(generationColumns, ",") + 1

// recordColumns are the columns record writes: a generation's, and the
// ledger entry that charged it (NULL for none).
const recordColumns = generationColumns + `, ledger_id`

// recordColumnCount is the number of recordColumns.
var recordColumnCount = generationColumnCount + 1

// readColumns are the columns scanGeneration reads.
const readColumns = generationColumns + `, COALESCE(ledger_id, 0)`

// importRows is how many rows one multi-row INSERT carries (SQLite allows
// 32,766 parameters per statement).
const importRows = 500

// insertGenerationsSQL is an INSERT of n generations' appendGenerationArgs
// (OR FAIL, which keeps no statement journal: see padded).
func insertGenerationsSQL(n int) string {
	return `INSERT OR FAIL INTO generations (` + generationColumns + `) VALUES ` + placeholders(generationColumnCount, n)
}

// placeholders is n parenthesised rows of cols question marks.
func placeholders(cols, n int) string {
	row := "(" + marks(cols) + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// marks is n question marks, separated by commas.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// appendGenerationArgs appends g's values in the order of
// generationColumns.
func appendGenerationArgs(args []any, g store.Generation) ([]any, error) {
	prs, err := jsoncol.EncodeProviderResponses(g.ProviderResponses)
	if err != nil {
		return nil, fmt.Errorf("generation %s: %w", g.ID, err)
	}
	return append(args, g.ID, g.AccountID, g.KeyHash, g.Model, g.ProviderSlug, g.ProviderName, g.UpstreamModel,
		g.UpstreamID, g.Streamed, g.Cancelled, g.FinishReason, g.NativeFinishReason,
		g.PromptTokens, g.CompletionTokens, g.ReasoningTokens, g.CachedTokens, g.CacheWriteTokens,
		g.Cost, g.LatencyMs, g.GenerationTimeMs, g.HTTPReferer, g.AppTitle, g.User, g.SessionID, g.Attempts,
		formatTime(g.CreatedAt), string(prs), g.IsBYOK, g.Status, store.ClipError(g.Error), g.Category, g.AppPrivate), nil
}

// RecordGeneration implements store.Store: it records a batch of one, and
// reports the id already recorded that a batch would skip.
func (s *Store) RecordGeneration(ctx context.Context, g store.Generation) error {
	gens, err := batch.Prepare([]store.Generation{g}, time.Now())
	if err != nil {
		return fmt.Errorf("record generation: %w", err)
	}
	recorded, _, err := s.record(ctx, gens)
	if err == nil && len(recorded) == 0 {
		err = store.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("record generation %s: %w", g.ID, err)
	}
	return nil
}

// RecordGenerations implements store.BillingStore.
func (s *Store) RecordGenerations(ctx context.Context, gens []store.Generation) (map[int64]money.Amount, error) {
	gens, err := batch.Prepare(gens, time.Now())
	if err != nil {
		return nil, fmt.Errorf("record generations: %w", err)
	}
	if len(gens) == 0 {
		return map[int64]money.Amount{}, nil
	}
	_, balances, err := s.record(ctx, gens)
	if err != nil {
		return nil, fmt.Errorf("record generations: %w", err)
	}
	return balances, nil
}

// record writes gens (from batch.Prepare) in a transaction: each
// generation whose id is not yet stored, its ledger charge, and the
// charges to keys and accounts. It returns the generations it inserted
// and the balance of every account of gens.
//
// It first writes them all as new, which they nearly always are: only a
// flush retried after a commit that did succeed repeats ids. If an id was
// stored already, that transaction is rolled back and a second one writes
// the generations that were not. (An INSERT … RETURNING id that told the
// new ones apart cost some 5 µs per generation, an eighth of recording
// one, on every flush.)
func (s *Store) record(ctx context.Context, gens []store.Generation) (recorded []store.Generation, balances map[int64]money.Amount, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		balances, err = recordIn(ctx, tx, s.stmts, gens, gens)
		return err
	})
	if !errors.Is(err, errStoredBefore) {
		return gens, balances, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if recorded, err = unstored(ctx, tx, gens); err != nil {
			return err
		}
		balances, err = recordIn(ctx, tx, s.stmts, gens, recorded)
		return err
	})
	return recorded, balances, err
}

// errStoredBefore is recordIn's error when a generation it was to insert
// is stored already.
var errStoredBefore = errors.New("a generation of the batch is already recorded")

// recordIn writes the generations fresh of gens, none of them stored yet,
// in tx with the statements of st (see record), and returns the balance
// of every account of gens. Writes are serial here, so the lock order
// batch describes matters only to PostgreSQL; this follows it all the
// same, but for the ledger entries, which lock no row that exists.
func recordIn(ctx context.Context, tx *sql.Tx, st *recordStmts, gens, fresh []store.Generation) (map[int64]money.Amount, error) {
	keyOfAccount := st.keyOfAccount.in(ctx, tx)
	for _, o := range batch.Owners(gens) {
		var ok bool
		if err := keyOfAccount.QueryRowContext(ctx, o.KeyHash, o.AccountID).Scan(&ok); err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("key %.8s… of account %d: %w", o.KeyHash, o.AccountID, store.ErrNotFound)
		}
	}
	sums, err := batch.Sum(gens, fresh)
	if err != nil {
		return nil, err
	}

	// The ledger entries first, one per key charged: each generation
	// names its entry.
	entries := make(map[batch.Owner]int64, len(sums.Owners))
	if len(sums.Owners) > 0 {
		insertUsage := st.insertUsage.in(ctx, tx)
		at := formatTime(time.Now())
		for _, c := range sums.Owners {
			var id int64
			if err := insertUsage.QueryRowContext(ctx, c.AccountID, -c.Amount, c.KeyHash, c.Note(), at).Scan(&id); err != nil {
				return nil, fmt.Errorf("insert ledger entry: %w", err)
			}
			entries[c.Owner] = id
		}
	}

	// Multi-row statements of recordChunks rows: each INSERT skips ids
	// already stored, which makes it change fewer rows than it was given.
	// Work that yields (the billing flusher's) runs statements of
	// yieldRows rows with its core given up between them.
	var args []any
	yields := background.Yields(ctx)
	for i := 0; i < len(fresh); {
		n := len(fresh) - i
		if yields {
			n = min(n, yieldRows)
		}
		c := chunkFor(n)
		chunk := fresh[i:min(i+recordChunks[c], len(fresh))]
		i += len(chunk)
		if args == nil {
			args = make([]any, 0, recordChunks[c]*recordColumnCount)
		}
		args = args[:0]
		for _, g := range chunk {
			if args, err = appendGenerationArgs(args, g); err != nil {
				return nil, err
			}
			var entry any // NULL: free
			if g.Cost > 0 {
				entry = entries[batch.Owner{KeyHash: g.KeyHash, AccountID: g.AccountID}]
			}
			args = append(args, entry)
		}
		args = appendNulls(args, (recordChunks[c]-len(chunk))*recordColumnCount)
		res, err := st.insertGenerations[c].in(ctx, tx).ExecContext(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("insert generations: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != int64(len(chunk)) {
			return nil, cmp.Or(err, errStoredBefore)
		}
		background.Yield(ctx)
	}

	if len(sums.Keys) > 0 {
		chargeKey := st.chargeKey.in(ctx, tx)
		for _, c := range sums.Keys {
			if _, err := chargeKey.ExecContext(ctx, c.Amount, c.Hash); err != nil {
				return nil, err
			}
		}
	}
	chargeAccount := st.chargeAccount.in(ctx, tx)
	balances := make(map[int64]money.Amount, len(sums.Accounts))
	for _, c := range sums.Accounts {
		var balance money.Amount
		if err := chargeAccount.QueryRowContext(ctx, c.Amount, c.Amount, c.ID).Scan(&balance); err != nil {
			return nil, fmt.Errorf("charge account %d: %w", c.ID, err)
		}
		balances[c.ID] = balance
	}
	background.Yield(ctx) // before the commit
	return balances, nil
}

// unstored returns the generations of gens whose ids tx does not hold.
func unstored(ctx context.Context, tx *sql.Tx, gens []store.Generation) ([]store.Generation, error) {
	stored := make(map[string]bool)
	for i := 0; i < len(gens); i += importRows {
		chunk := gens[i:min(i+importRows, len(gens))]
		args := make([]any, len(chunk))
		for j, g := range chunk {
			args[j] = g.ID
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM generations WHERE id IN (`+marks(len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			stored[id] = true
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	var out []store.Generation
	for _, g := range gens {
		if !stored[g.ID] {
			out = append(out, g)
		}
	}
	return out, nil
}

// mustAffect returns err, or else errNone if the statement changed no row.
func mustAffect(res sql.Result, err, errNone error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return errNone
	}
	return nil
}

// Generation implements store.Store.
func (s *Store) Generation(ctx context.Context, id string) (store.Generation, error) {
	g, err := scanGeneration(s.read.QueryRowContext(ctx, `SELECT `+readColumns+` FROM generations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Generation{}, fmt.Errorf("get generation %s: %w", id, err)
	}
	return g, nil
}

// RecentGenerations implements store.Store.
func (s *Store) RecentGenerations(ctx context.Context, accountID int64, limit int) ([]store.Generation, error) {
	out, err := collect(ctx, s.read, scanGeneration, `SELECT `+readColumns+` FROM generations
		WHERE account_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`, accountID, limit)
	if err != nil {
		return nil, fmt.Errorf("recent generations of account %d: %w", accountID, err)
	}
	return out, nil
}

// scanGeneration scans a row of readColumns.
func scanGeneration(row scanner) (store.Generation, error) {
	var (
		g        store.Generation
		attempts []byte
	)
	err := row.Scan(
		&g.ID, &g.AccountID, &g.KeyHash, &g.Model, &g.ProviderSlug, &g.ProviderName, &g.UpstreamModel, &g.UpstreamID,
		&g.Streamed, &g.Cancelled, &g.FinishReason, &g.NativeFinishReason,
		&g.PromptTokens, &g.CompletionTokens, &g.ReasoningTokens, &g.CachedTokens, &g.CacheWriteTokens,
		&g.Cost, &g.LatencyMs, &g.GenerationTimeMs, &g.HTTPReferer, &g.AppTitle, &g.User, &g.SessionID, &g.Attempts,
		timeText{&g.CreatedAt}, &attempts, &g.IsBYOK, &g.Status, &g.Error, &g.Category, &g.AppPrivate, &g.LedgerID)
	if err == nil {
		g.ProviderResponses, err = jsoncol.DecodeProviderResponses(attempts)
	}
	return g, err
}

// VerifyLedger implements store.Store.
func (s *Store) VerifyLedger(ctx context.Context) ([]store.LedgerMismatch, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT a.id, a.balance, COALESCE(l.total, 0)
		FROM accounts a
		LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM ledger GROUP BY account_id) l ON l.account_id = a.id
		WHERE a.balance <> COALESCE(l.total, 0)
		ORDER BY a.id`)
	if err != nil {
		return nil, fmt.Errorf("verify ledger: %w", err)
	}
	defer rows.Close()
	var out []store.LedgerMismatch
	for rows.Next() {
		var m store.LedgerMismatch
		if err := rows.Scan(&m.AccountID, &m.Balance, &m.LedgerSum); err != nil {
			return nil, fmt.Errorf("verify ledger: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("verify ledger: %w", err)
	}
	return out, nil
}

// VerifyCharges implements store.Store.
func (s *Store) VerifyCharges(ctx context.Context) ([]store.ChargeMismatch, error) {
	out, err := collect(ctx, s.read, scanChargeMismatch, `
		SELECT l.id, l.account_id, l.kind, l.amount, COALESCE(c.costs, 0), COALESCE(c.n, 0), COALESCE(c.foreign_n, 0)
		FROM ledger l
		LEFT JOIN (
			SELECT g.ledger_id, SUM(g.cost) AS costs, COUNT(*) AS n,
			       SUM(CASE WHEN g.account_id <> e.account_id OR g.key_hash <> e.key_hash THEN 1 ELSE 0 END) AS foreign_n
			FROM generations g JOIN ledger e ON e.id = g.ledger_id
			GROUP BY g.ledger_id
		) c ON c.ledger_id = l.id
		WHERE (l.kind IN (?, ?) OR c.n > 0) AND (l.amount <> -COALESCE(c.costs, 0) OR c.foreign_n > 0)
		ORDER BY l.id`, store.LedgerUsage, store.LedgerGeneration)
	if err != nil {
		return nil, fmt.Errorf("verify charges: %w", err)
	}
	return out, nil
}

func scanChargeMismatch(row scanner) (store.ChargeMismatch, error) {
	var m store.ChargeMismatch
	err := row.Scan(&m.EntryID, &m.AccountID, &m.Kind, &m.Amount, &m.Costs, &m.Generations, &m.Foreign)
	return m, err
}
