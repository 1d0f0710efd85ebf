package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/switchyard-dev/switchyard/internal/store"
)

// recordChunks are the row counts of the multi-row INSERTs that record
// writes generations with, smallest first: a few
// statements prepared once serve batches of every size, where preparing
// one of the batch's exact size on every flush cost as much CPU as
// binding its values. A batch is written by as few statements as
// maxPadding allows, each but the last full; the last is the smallest that
// holds the rows left, its rows padded with rows of NULLs that it skips.
//
// Fewer statements rather than exact chunks (100 rows as 64+32+4) was
// chosen while each statement kept a statement journal, copying the pages
// at the end of the table and of its indexes once more (some 90 µs of CPU
// a statement); since the statements keep none (see padded), the two
// measure the same in BenchmarkRecordGenerations.
var recordChunks = [...]int{1, 2, 4, 8, 16, 32, 64, 128, 256}

// yieldRows is the most rows a statement of record writes for work that
// yields (background.Yields, the billing flusher's): some 60–100 µs of CPU
// in the gateway, after which the flusher gives its core to any request
// thread woken onto it. In alternating short runs of switchyard bench at
// concurrency 1 (a 2-vCPU VM) the gateway's p99 was lower with them than with
// statements of up to 256 rows in 19 of 20 pairs (statements of two and
// of four rows), by a median of 170 µs. Four rows cost some 10% more CPU
// a record than as few statements as possible in BenchmarkRecordGenerations,
// two rows 40%, eight no less than four (docs/performance.md).
const yieldRows = 4

// maxPadding is how many rows of padding a statement may carry rather
// than the batch take one more statement (or two): binding and skipping a
// row of NULLs costs some 5 µs.
const maxPadding = 32

// chunkFor returns the index in recordChunks of the statement that writes
// the first rows of n (n ≥ 1): the smallest that holds them if it needs at
// most maxPadding rows of padding, else the largest that they fill.
func chunkFor(n int) int {
	for i, size := range recordChunks {
		if size >= n {
			if size-n <= maxPadding {
				return i
			}
			return i - 1 // > 0: recordChunks[0] is 1
		}
	}
	return len(recordChunks) - 1
}

// padded is a multi-row INSERT of n rows of cols values into table's
// columns, which skips a row whose first value is NULL.
//
// It is INSERT OR FAIL: a row that breaks a NOT NULL or CHECK constraint
// ends the statement and leaves the rows before it, where the default
// (ABORT) would undo them. record rolls the whole transaction back on any
// error, so the two end alike, but only a statement that can abort
// half-way keeps a statement journal, copying each page it first changes
// (16 KiB, in 1 KiB pieces of fresh memory). With the tables' foreign
// keys deferred to the COMMIT (migration 0007), no record statement can.
func padded(table, columns string, cols, n int) string {
	return `INSERT OR FAIL INTO ` + table + ` (` + columns + `) SELECT * FROM (VALUES ` + placeholders(cols, n) + `)
		WHERE column1 IS NOT NULL`
}

// appendNulls appends n NULL values to args.
func appendNulls(args []any, n int) []any {
	for range n {
		args = append(args, nil)
	}
	return args
}

// cachedStmt is a query and, once prepared on the writer pool, its
// statement.
type cachedStmt struct {
	query string
	stmt  *sql.Stmt // nil until prepared
}

// in returns the prepared statement, running in tx.
//
// The writer pool has one connection, so a statement prepared on the pool
// is prepared on that connection, and Tx.StmtContext hands tx that same
// SQLite statement rather than preparing it again; the driver resets it
// after each use and keeps it until it is closed. Should the connection
// ever be replaced, database/sql prepares it again on the new one.
func (c *cachedStmt) in(ctx context.Context, tx *sql.Tx) *sql.Stmt {
	return tx.StmtContext(ctx, c.stmt) // an error shows when it is used
}

// recordStmts are the statements of record. Open prepares the
// store's once, and Close closes them.
type recordStmts struct {
	// insertGenerations[i] inserts up to recordChunks[i] generations
	// (recordColumns), skipping ids already stored.
	insertGenerations [len(recordChunks)]cachedStmt
	keyOfAccount      cachedStmt // whether key hash ? is a key of account ?
	// insertUsage writes a usage entry (account, amount, key hash, note,
	// time) and returns its id. It is INSERT OR FAIL, as padded's are: a
	// plain INSERT into the ledger, whose unique indexes could abort it,
	// kept a statement journal (14% of the flush in a gateway profile).
	insertUsage   cachedStmt
	chargeKey     cachedStmt // adds ? to the usage of key hash ?
	chargeAccount cachedStmt // charges ? (given twice) to account ?, returning its balance
}

// newRecordStmts returns record's queries, not yet prepared.
func newRecordStmts() *recordStmts {
	rs := &recordStmts{
		keyOfAccount: cachedStmt{query: `SELECT EXISTS (SELECT 1 FROM api_keys WHERE hash = ? AND account_id = ?)`},
		insertUsage: cachedStmt{query: `INSERT OR FAIL INTO ledger (account_id, kind, amount, key_hash, note, created_at)
			VALUES (?, '` + store.LedgerUsage + `', ?, ?, ?, ?) RETURNING id`},
		chargeKey: cachedStmt{query: `UPDATE api_keys SET total_usage = total_usage + ? WHERE hash = ?`},
		chargeAccount: cachedStmt{query: `UPDATE accounts SET balance = balance - ?, total_usage = total_usage + ?
			WHERE id = ? RETURNING balance`},
	}
	for i, n := range recordChunks {
		rs.insertGenerations[i].query = padded("generations", recordColumns, recordColumnCount, n) +
			` ON CONFLICT (id) DO NOTHING`
	}
	return rs
}

// all returns every statement of rs.
func (rs *recordStmts) all() []*cachedStmt {
	var out []*cachedStmt
	for i := range recordChunks {
		out = append(out, &rs.insertGenerations[i])
	}
	return append(out, &rs.keyOfAccount, &rs.insertUsage, &rs.chargeKey, &rs.chargeAccount)
}

// prepareRecordStmts prepares record's statements on db, the writer
// pool.
func prepareRecordStmts(ctx context.Context, db *sql.DB) (*recordStmts, error) {
	rs := newRecordStmts()
	for _, c := range rs.all() {
		var err error
		if c.stmt, err = db.PrepareContext(ctx, c.query); err != nil {
			_ = rs.Close()
			return nil, fmt.Errorf("prepare %.40q: %w", c.query, err)
		}
	}
	return rs, nil
}

// Close closes the statements prepared.
func (rs *recordStmts) Close() error {
	var err error
	for _, c := range rs.all() {
		if c.stmt != nil {
			err = errors.Join(err, c.stmt.Close())
		}
	}
	return err
}
