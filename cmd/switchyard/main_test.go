package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store/storeopen"
)

var keyPattern = regexp.MustCompile(`^sk-sy-v1-[0-9a-f]{64}$`)

func TestKeysCreate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sy.db")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"keys", "create", "--name", "team-a", "--credits", "12.5", "--db", db}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
	key := lines[len(lines)-1]
	if !keyPattern.MatchString(key) {
		t.Fatalf("last line %q is not a key", key)
	}

	st, err := storeopen.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	k, acct, err := st.KeyByHash(context.Background(), apikey.Hash(key))
	st.Close()
	if err != nil || k.Name != "team-a" || acct.Balance != 25*money.NanoPerUSD/2 {
		t.Fatalf("key %+v account %+v: %v", k, acct, err)
	}

	// The plaintext is stored nowhere: only its hash.
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(db + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(key)) || bytes.Contains(b, []byte(key[len(apikey.Prefix):])) {
			t.Fatalf("the plaintext key is in %s", db+suffix)
		}
	}
}

func TestCommandErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sy.db")
	tests := [][]string{
		{},
		{"frobnicate"},
		{"keys"},
		{"keys", "delete"},
		{"keys", "create", "--credits", "1", "--db", db},
		{"keys", "create", "--name", "x", "--credits", "abc", "--db", db},
		{"keys", "create", "--name", "x", "--credits", "-1", "--db", db},
		{"keys", "create", "--name", "x", "--credits", "1.0000000001", "--db", db},
		{"serve", "--no-such-flag"},
		{"serve", "--addr", "nope", "--db", db},
	}
	for _, args := range tests {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); err == nil {
			t.Errorf("%q: no error", args)
		}
		if keyPattern.MatchString(strings.TrimSpace(stdout.String())) {
			t.Errorf("%q printed a key", args)
		}
	}
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"help"}, &stdout, &stdout); err != nil || !strings.Contains(stdout.String(), "keys create") {
		t.Errorf("help: %v %q", err, stdout.String())
	}
}
