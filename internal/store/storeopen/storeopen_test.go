package storeopen_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/sqlite"
	"github.com/switchyard-dev/switchyard/internal/store/storeopen"
)

func TestIsPostgres(t *testing.T) {
	for dsn, want := range map[string]bool{
		"postgres://u@h/db":            true,
		"postgresql://u@h:5432/db?x=y": true,
		"POSTGRES://u@h/db":            true,
		"./switchyard.db":              false,
		"/var/lib/switchyard.db":       false,
		"file:switchyard.db?mode=rwc":  false,
		"postgres.db":                  false,
		"postgres:/x":                  false,
	} {
		if got := storeopen.IsPostgres(dsn); got != want {
			t.Errorf("IsPostgres(%q) = %v, want %v", dsn, got, want)
		}
	}
}

func TestOpenSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchyard.db")
	s, err := storeopen.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if _, ok := s.(*sqlite.Store); !ok {
		t.Errorf("Open(%q) = %T, want *sqlite.Store", path, s)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestOpenEmpty(t *testing.T) {
	if _, err := storeopen.Open(t.Context(), ""); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Open(\"\") error %v, want ErrInvalid", err)
	}
}
