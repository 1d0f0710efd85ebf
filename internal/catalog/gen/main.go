// Command gen regenerates the bundled catalog from the price file:
//
//	go run ./gen [-src source/<price file>] [-out data/catalog.json]
//
// Paths are relative to internal/catalog, where go generate runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/switchyard-dev/switchyard/internal/catalog"
)

func main() {
	src := flag.String("src", filepath.Join("source", catalog.SourceName), "LiteLLM price file")
	out := flag.String("out", filepath.Join("data", "catalog.json"), "catalog file to write")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(src, out string) error {
	in, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	data, err := catalog.Generate(in)
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o644)
}
