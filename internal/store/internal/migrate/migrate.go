// Package migrate loads the numbered, forward-only SQL migrations that the
// store implementations embed. Applying them is the implementations' job
// (each in its own dialect); this package only reads and checks them.
//
// A migration file is named NNNN_description.sql: NNNN is its version, and
// versions run 1, 2, 3… without gaps. A migration, once released, is never
// edited: changes are new files.
package migrate

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one schema change.
type Migration struct {
	Version int
	Name    string // the file name
	SQL     string
}

// ErrNewerSchema reports a database migrated by a newer Switchyard.
var ErrNewerSchema = errors.New("database schema is newer than this binary")

// Load reads every *.sql file in dir of fsys, in version order, and checks
// that versions run from 1 without gaps or duplicates.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("load migrations: %s: name is not NNNN_description.sql", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("load migrations: %w", err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("load migrations: %s: expected version %d", m.Name, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("load migrations: no migrations in %s", dir)
	}
	return ms, nil
}

// Pending returns the migrations after version current, the highest version
// already applied. It fails with ErrNewerSchema if current is beyond the
// last migration known.
func Pending(ms []Migration, current int) ([]Migration, error) {
	if current > len(ms) {
		return nil, fmt.Errorf("schema version %d, latest known %d: %w", current, len(ms), ErrNewerSchema)
	}
	return ms[current:], nil
}
