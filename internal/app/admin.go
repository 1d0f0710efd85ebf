package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// adminAccount names the account EnsureManagementKey creates.
const adminAccount = "admin"

// EnsureManagementKey gives a new installation its first management key.
// If the store has none (a disabled one counts; a deleted one does not), it
// creates an account named "admin", with no credits, holding a management
// key, and prints the key to w with how to use it. The key is shown this
// once: only its hash is stored. When a management key exists it does
// nothing and prints nothing, so it runs on every start.
//
// If writing to w fails, the key is deleted again (the account stays) and
// the error returned, so that the next start prints a new key rather than
// none; a key that was written but lost can be replaced with "switchyard
// keys create --account ID --management".
//
// The check and the creation are two store calls, not one transaction: two
// processes starting at once on a new store may each create an admin
// account and key, and each print its own. Both keys work; delete one with
// "switchyard keys delete" if that matters.
func EnsureManagementKey(ctx context.Context, st store.Store, w io.Writer) error {
	has, err := st.HasManagementKey(ctx)
	if err != nil {
		return fmt.Errorf("checking for a management key: %w", err)
	}
	if has {
		return nil
	}
	key, acct, err := CreateKey(ctx, st, KeyRequest{Name: adminAccount, Management: true})
	if err != nil {
		return fmt.Errorf("creating the first management key: %w", err)
	}
	plaintext := key.Reveal()
	_, err = fmt.Fprintf(w, `No management key existed, so one was created, for the new account %q (id %d).
It creates, lists and disables API keys through /api/v1/keys and cannot call
models. Store it now: it is shown only this once and cannot be recovered.

  %s

For example, to list the keys (HOST:PORT is where Switchyard serves):

  curl -H "Authorization: Bearer %s" http://HOST:PORT/api/v1/keys

Lost it? Make another: switchyard keys create --name admin --account %d --management

`, acct.Name, acct.ID, plaintext, plaintext, acct.ID)
	if err != nil {
		// Nobody saw the key: delete it, so that the next start makes one
		// that can be shown.
		if derr := st.DeleteKey(context.WithoutCancel(ctx), apikey.Hash(plaintext)); derr != nil {
			err = errors.Join(err, fmt.Errorf("deleting the unseen key: %w", derr))
		}
		return fmt.Errorf("printing the first management key: %w", err)
	}
	return nil
}

// Instance names a gateway process in the journal of requests in flight:
// its host name and listen address, the same across its restarts and
// different from its replicas'.
func Instance(addr string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return host + "/" + addr
}

// staleInflight is the age past which any instance's journaled request is
// surely dead (no request lives a day), so that a replica that never came
// back does not leave its requests in the journal forever.
const staleInflight = 24 * time.Hour

// RecoverInflight records, as interrupted generations charging nothing,
// the requests this instance left in flight when it last stopped without
// finishing them (a crash, kill -9), and every instance's older than a
// day. It logs what it found.
func RecoverInflight(ctx context.Context, st store.Store, instance string, logger *slog.Logger) error {
	gens, err := st.RecoverInflight(ctx, instance, time.Now().Add(-staleInflight))
	if err != nil {
		return err
	}
	for _, g := range gens {
		logger.LogAttrs(ctx, slog.LevelWarn, "recorded a request interrupted by the last stop",
			slog.String("id", g.ID), slog.Int64("account", g.AccountID), slog.String("model", g.Model),
			slog.Time("started", g.CreatedAt))
	}
	return nil
}
