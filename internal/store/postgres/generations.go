package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

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

// RecordGeneration implements store.Store: it records a batch of one, and
// reports the id already recorded that a batch would skip.
func (s *Store) RecordGeneration(ctx context.Context, g store.Generation) error {
	gens, err := batch.Prepare([]store.Generation{g}, time.Now())
	if err != nil {
		return fmt.Errorf("record generation: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		recorded, _, err := record(ctx, tx, gens)
		if err == nil && len(recorded) == 0 {
			err = store.ErrAlreadyExists
		}
		return err
	})
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
	var balances map[int64]money.Amount
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		_, balances, err = record(ctx, tx, gens)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("record generations: %w", err)
	}
	return balances, nil
}

// readColumns are the columns scanGeneration reads.
const readColumns = generationColumns + `, COALESCE(ledger_id, 0)`

// insertGenerationsSQL inserts the generations of genArrays ($1-$32, in
// the order given, which is the lock order) whose ids are not yet stored,
// with a ledger entry for each key ($33, and its account $34) that those
// that cost something charge, and returns their ids.
//
// Each generation names its entry, which sums what the generations
// actually inserted cost; so the entries' ids are drawn from the ledger's
// sequence first, one per key the batch could charge (a key whose
// generations were all stored before leaves its id unused). Rows of one
// statement reference each other: foreign keys are checked at its end.
var insertGenerationsSQL = `
	WITH entries AS MATERIALIZED (
		SELECT nextval(pg_get_serial_sequence('ledger', 'id')) AS id, key_hash, account_id
		FROM unnest($33::text[], $34::bigint[]) AS o (key_hash, account_id)
	), inserted AS (
		INSERT INTO generations (` + generationColumns + `, ledger_id)
		SELECT ` + qualified("g", generationColumns) + `, e.id
		FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
		            $9::boolean[], $10::boolean[], $11::text[], $12::text[],
		            $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[],
		            $18::bigint[], $19::bigint[], $20::bigint[], $21::text[], $22::text[], $23::text[], $24::text[],
		            $25::bigint[], $26::timestamptz[], $27::text[], $28::boolean[],
		            $29::integer[], $30::text[], $31::text[], $32::boolean[])
		     WITH ORDINALITY AS g (` + generationColumns + `, ord)
		LEFT JOIN entries e ON g.cost > 0 AND e.key_hash = g.key_hash AND e.account_id = g.account_id
		ORDER BY g.ord
		ON CONFLICT (id) DO NOTHING
		RETURNING id, account_id, key_hash, cost, ledger_id
	), charged AS (
		INSERT INTO ledger (id, account_id, kind, amount, key_hash, note, created_at)
		OVERRIDING SYSTEM VALUE
		SELECT ledger_id, account_id, '` + store.LedgerUsage + `', -sum(cost)::bigint, key_hash,
		       CASE count(*) WHEN 1 THEN '1 generation' ELSE count(*) || ' generations' END, $35
		FROM inserted WHERE ledger_id IS NOT NULL
		GROUP BY ledger_id, account_id, key_hash
	)
	SELECT id FROM inserted`

// columnNames splits columns, a comma-separated list, into its names.
func columnNames(columns string) []string {
	return strings.Split(strings.Join(strings.Fields(columns), ""), ",")
}

// qualified is columns, a comma-separated list, each prefixed with
// table and a dot.
func qualified(table, columns string) string {
	return table + "." + strings.Join(columnNames(columns), ", "+table+".")
}

// genArrays holds a batch's generation columns, one array each, for
// insertGenerationsSQL.
type genArrays struct {
	id, keyHash, model, providerSlug, providerName, upstreamModel, upstreamID []string
	finishReason, nativeFinishReason, referer, appTitle, endUser, sessionID   []string
	providerResponses                                                         []string
	accountID, prompt, completion, reasoning, cached, cacheWrite, attempts    []int64
	cost, latency, generationTime                                             []int64
	streamed, cancelled, isBYOK, appPrivate                                   []bool
	status                                                                    []int32
	errorText, category                                                       []string
	createdAt                                                                 []time.Time
}

func (a *genArrays) add(g store.Generation) error {
	prs, err := jsoncol.EncodeProviderResponses(g.ProviderResponses)
	if err != nil {
		return fmt.Errorf("generation %s: %w", g.ID, err)
	}
	a.id = append(a.id, g.ID)
	a.accountID = append(a.accountID, g.AccountID)
	a.keyHash = append(a.keyHash, g.KeyHash)
	a.model = append(a.model, g.Model)
	a.providerSlug = append(a.providerSlug, g.ProviderSlug)
	a.providerName = append(a.providerName, g.ProviderName)
	a.upstreamModel = append(a.upstreamModel, g.UpstreamModel)
	a.upstreamID = append(a.upstreamID, g.UpstreamID)
	a.streamed = append(a.streamed, g.Streamed)
	a.cancelled = append(a.cancelled, g.Cancelled)
	a.finishReason = append(a.finishReason, g.FinishReason)
	a.nativeFinishReason = append(a.nativeFinishReason, g.NativeFinishReason)
	a.prompt = append(a.prompt, int64(g.PromptTokens))
	a.completion = append(a.completion, int64(g.CompletionTokens))
	a.reasoning = append(a.reasoning, int64(g.ReasoningTokens))
	a.cached = append(a.cached, int64(g.CachedTokens))
	a.cacheWrite = append(a.cacheWrite, int64(g.CacheWriteTokens))
	a.cost = append(a.cost, int64(g.Cost))
	a.latency = append(a.latency, g.LatencyMs)
	a.generationTime = append(a.generationTime, g.GenerationTimeMs)
	a.referer = append(a.referer, g.HTTPReferer)
	a.appTitle = append(a.appTitle, g.AppTitle)
	a.endUser = append(a.endUser, g.User)
	a.sessionID = append(a.sessionID, g.SessionID)
	a.attempts = append(a.attempts, int64(g.Attempts))
	a.createdAt = append(a.createdAt, g.CreatedAt)
	a.providerResponses = append(a.providerResponses, string(prs))
	a.isBYOK = append(a.isBYOK, g.IsBYOK)
	a.status = append(a.status, int32(g.Status))
	a.errorText = append(a.errorText, store.ClipError(g.Error))
	a.category = append(a.category, g.Category)
	a.appPrivate = append(a.appPrivate, g.AppPrivate)
	return nil
}

// args returns the arrays in the order of generationColumns.
func (a *genArrays) args() []any {
	return []any{a.id, a.accountID, a.keyHash, a.model, a.providerSlug, a.providerName, a.upstreamModel, a.upstreamID,
		a.streamed, a.cancelled, a.finishReason, a.nativeFinishReason,
		a.prompt, a.completion, a.reasoning, a.cached, a.cacheWrite,
		a.cost, a.latency, a.generationTime, a.referer, a.appTitle, a.endUser, a.sessionID,
		a.attempts, a.createdAt, a.providerResponses, a.isBYOK,
		a.status, a.errorText, a.category, a.appPrivate}
}

// record writes gens (from batch.Prepare) in tx: each generation whose id is
// not yet stored, the ledger entries that charge them (one per key), and
// the charges to keys and accounts.
// It returns the generations it inserted and the balance of every account
// of gens.
//
// It makes three round trips whatever the batch's size: one checks the
// keys, one statement inserts the generations and their ledger entries, and a
// pipelined pgx.Batch charges the keys and then the accounts, one UPDATE
// each in the order of batch.Sum, so that rows are locked in the order the
// batch package prescribes (generation ids, keys, accounts) and concurrent
// batches cannot deadlock.
func record(ctx context.Context, tx pgx.Tx, gens []store.Generation) ([]store.Generation, map[int64]money.Amount, error) {
	if err := checkOwners(ctx, tx, batch.Owners(gens)); err != nil {
		return nil, nil, err
	}

	var cols genArrays
	for _, g := range gens {
		if err := cols.add(g); err != nil {
			return nil, nil, err
		}
	}
	// The keys that could be charged, and their accounts.
	var (
		chargedKeys     []string
		chargedAccounts []int64
	)
	for _, o := range batch.Owners(costly(gens)) {
		chargedKeys, chargedAccounts = append(chargedKeys, o.KeyHash), append(chargedAccounts, o.AccountID)
	}
	args := append(cols.args(), chargedKeys, chargedAccounts, store.Timestamp(time.Now()))
	rows, err := tx.Query(ctx, insertGenerationsSQL, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("insert generations: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, nil, fmt.Errorf("insert generations: %w", err)
	}
	inserted := make(map[string]bool, len(ids))
	for _, id := range ids {
		inserted[id] = true
	}
	var recorded []store.Generation
	for _, g := range gens {
		if inserted[g.ID] {
			recorded = append(recorded, g)
		}
	}

	charges, err := batch.Sum(gens, recorded)
	if err != nil {
		return nil, nil, err
	}
	var b pgx.Batch
	for _, c := range charges.Keys {
		b.Queue(`UPDATE api_keys SET total_usage = total_usage + $1 WHERE hash = $2`, c.Amount, c.Hash)
	}
	balances := make(map[int64]money.Amount, len(charges.Accounts))
	for _, c := range charges.Accounts {
		// Accounts charged nothing (every generation of theirs was already
		// recorded, or free) are only read.
		var qq *pgx.QueuedQuery
		if c.Amount > 0 {
			qq = b.Queue(`UPDATE accounts SET balance = balance - $1, total_usage = total_usage + $1 WHERE id = $2 RETURNING balance`,
				c.Amount, c.ID)
		} else {
			qq = b.Queue(`SELECT balance FROM accounts WHERE id = $1`, c.ID)
		}
		qq.QueryRow(func(row pgx.Row) error {
			var balance money.Amount
			if err := row.Scan(&balance); err != nil {
				return fmt.Errorf("charge account %d: %w", c.ID, err)
			}
			balances[c.ID] = balance
			return nil
		})
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return nil, nil, err
	}
	return recorded, balances, nil
}

// costly returns the generations of gens that cost something.
func costly(gens []store.Generation) []store.Generation {
	var out []store.Generation
	for _, g := range gens {
		if g.Cost > 0 {
			out = append(out, g)
		}
	}
	return out
}

// checkOwners returns ErrNotFound unless each owner's key is a key of its
// account (deleted keys included: they are still charged).
func checkOwners(ctx context.Context, tx pgx.Tx, owners []batch.Owner) error {
	hashes := make([]string, len(owners))
	for i, o := range owners {
		hashes[i] = o.KeyHash
	}
	rows, err := tx.Query(ctx, `SELECT hash, account_id FROM api_keys WHERE hash = ANY($1)`, hashes)
	if err != nil {
		return err
	}
	accounts := map[string]int64{}
	var (
		hash string
		id   int64
	)
	_, err = pgx.ForEachRow(rows, []any{&hash, &id}, func() error {
		accounts[hash] = id
		return nil
	})
	if err != nil {
		return err
	}
	for _, o := range owners {
		if id, ok := accounts[o.KeyHash]; !ok || id != o.AccountID {
			return fmt.Errorf("key %.8s… of account %d: %w", o.KeyHash, o.AccountID, store.ErrNotFound)
		}
	}
	return nil
}

// Generation implements store.Store.
func (s *Store) Generation(ctx context.Context, id string) (store.Generation, error) {
	g, err := scanGeneration(s.pool.QueryRow(ctx, `SELECT `+readColumns+` FROM generations WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Generation{}, fmt.Errorf("get generation %s: %w", id, err)
	}
	return g, nil
}

// RecentGenerations implements store.Store.
func (s *Store) RecentGenerations(ctx context.Context, accountID int64, limit int) ([]store.Generation, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+readColumns+` FROM generations
		WHERE account_id = $1 ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $2`, accountID, limit)
	out, err := collectRows(rows, err, func(row pgx.CollectableRow) (store.Generation, error) { return scanGeneration(row) })
	if err != nil {
		return nil, fmt.Errorf("recent generations of account %d: %w", accountID, err)
	}
	return out, nil
}

// scanGeneration scans a row of readColumns.
func scanGeneration(row pgx.Row) (store.Generation, error) {
	var (
		g        store.Generation
		attempts string
	)
	err := row.Scan(
		&g.ID, &g.AccountID, &g.KeyHash, &g.Model, &g.ProviderSlug, &g.ProviderName, &g.UpstreamModel, &g.UpstreamID,
		&g.Streamed, &g.Cancelled, &g.FinishReason, &g.NativeFinishReason,
		&g.PromptTokens, &g.CompletionTokens, &g.ReasoningTokens, &g.CachedTokens, &g.CacheWriteTokens,
		&g.Cost, &g.LatencyMs, &g.GenerationTimeMs, &g.HTTPReferer, &g.AppTitle, &g.User, &g.SessionID, &g.Attempts,
		&g.CreatedAt, &attempts, &g.IsBYOK, &g.Status, &g.Error, &g.Category, &g.AppPrivate, &g.LedgerID)
	if err == nil {
		g.ProviderResponses, err = jsoncol.DecodeProviderResponses([]byte(attempts))
	}
	g.CreatedAt = g.CreatedAt.UTC()
	return g, err
}

// VerifyLedger implements store.Store.
func (s *Store) VerifyLedger(ctx context.Context) ([]store.LedgerMismatch, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT a.id, a.balance, COALESCE(l.total, 0)::bigint
		FROM accounts a
		LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM ledger GROUP BY account_id) l ON l.account_id = a.id
		WHERE a.balance <> COALESCE(l.total, 0)
		ORDER BY a.id`)
	if err != nil {
		return nil, fmt.Errorf("verify ledger: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.LedgerMismatch, error) {
		var m store.LedgerMismatch
		err := row.Scan(&m.AccountID, &m.Balance, &m.LedgerSum)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("verify ledger: %w", err)
	}
	return out, nil
}

// VerifyCharges implements store.Store.
func (s *Store) VerifyCharges(ctx context.Context) ([]store.ChargeMismatch, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT l.id, l.account_id, l.kind, l.amount, COALESCE(c.costs, 0)::bigint, COALESCE(c.n, 0), COALESCE(c.foreign_n, 0)
		FROM ledger l
		LEFT JOIN (
			SELECT g.ledger_id, SUM(g.cost) AS costs, COUNT(*) AS n,
			       SUM(CASE WHEN g.account_id <> e.account_id OR g.key_hash <> e.key_hash THEN 1 ELSE 0 END)::bigint AS foreign_n
			FROM generations g JOIN ledger e ON e.id = g.ledger_id
			GROUP BY g.ledger_id
		) c ON c.ledger_id = l.id
		WHERE (l.kind IN ($1, $2) OR c.n > 0) AND (l.amount <> -COALESCE(c.costs, 0) OR c.foreign_n > 0)
		ORDER BY l.id`, store.LedgerUsage, store.LedgerGeneration)
	out, err := collectRows(rows, err, func(row pgx.CollectableRow) (store.ChargeMismatch, error) {
		var m store.ChargeMismatch
		err := row.Scan(&m.EntryID, &m.AccountID, &m.Kind, &m.Amount, &m.Costs, &m.Generations, &m.Foreign)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("verify charges: %w", err)
	}
	return out, nil
}
