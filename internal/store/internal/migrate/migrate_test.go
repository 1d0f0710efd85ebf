package migrate

import (
	"errors"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_more.sql": {Data: []byte("B")},
		"m/0001_init.sql": {Data: []byte("A")},
		"m/README.md":     {Data: []byte("ignored")},
	}
	ms, err := Load(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0] != (Migration{1, "0001_init.sql", "A"}) || ms[1] != (Migration{2, "0002_more.sql", "B"}) {
		t.Errorf("Load = %+v", ms)
	}
	if p, err := Pending(ms, 1); err != nil || len(p) != 1 || p[0].Version != 2 {
		t.Errorf("Pending(1) = %+v, %v", p, err)
	}
	if p, err := Pending(ms, 2); err != nil || len(p) != 0 {
		t.Errorf("Pending(2) = %+v, %v", p, err)
	}
	if _, err := Pending(ms, 3); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Pending(3) error %v, want ErrNewerSchema", err)
	}
}

func TestLoadRejects(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"duplicate": {"m/0001_a.sql": {}, "m/001_b.sql": {}},
		"bad name":  {"m/init.sql": {}},
		"zero":      {"m/0000_a.sql": {}},
		"empty":     {"m/x.txt": {}},
	} {
		if ms, err := Load(fsys, "m"); err == nil {
			t.Errorf("%s: Load = %+v, want error", name, ms)
		}
	}
}
