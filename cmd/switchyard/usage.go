package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/usage"
)

func usageGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("usage generate", "usage generate --records N [--days D] [--end YYYY-MM-DD] [--db DSN]",
		"Writes N synthetic generation records (and their rollups) spread over the D days ending on\n"+
			"--end, over the catalog's models with Zipf popularity, 200 apps and 50 keys of an account\n"+
			"\"usage-generator\", to try the rankings at scale. It prints the ingestion rate.", stderr)
	records := fs.Int("records", 0, "how many generation `records` to write (required)")
	days := fs.Int("days", 30, "spread them over this many `days`")
	endFlag := fs.String("end", "", "the last day, `YYYY-MM-DD` (default today, UTC)")
	seed := fs.Uint64("seed", 1, "random `seed`")
	db := dbFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *records <= 0 || *days <= 0 {
		return fmt.Errorf("usage generate: --records and --days must be positive")
	}
	end, err := lastDay(*endFlag)
	if err != nil {
		return fmt.Errorf("usage generate: %w", err)
	}
	file, err := catalog.Bundled()
	if err != nil {
		return err
	}
	var models []string
	for _, m := range file.Models {
		models = append(models, m.ID)
	}
	st, err := openStore(ctx, *db, false)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	stats, err := usage.Generate(ctx, st, usage.GenerateOptions{
		Records: *records, Days: *days, End: end, Models: models, Seed: *seed,
		Progress: func(done int) {
			fmt.Fprintf(stderr, "\r%d/%d records (%.0f/s)", done, *records, float64(done)/time.Since(start).Seconds())
		},
	})
	fmt.Fprintln(stderr)
	if err != nil {
		return fmt.Errorf("usage generate: %w", err)
	}
	fmt.Fprintf(stdout, "%d records in %s: records %.0f/s; records and rollups %.0f/s (rollups took %s)\n",
		stats.Records, (stats.Import + stats.Rollup).Round(time.Millisecond), stats.ImportPerSec, stats.TotalPerSec,
		stats.Rollup.Round(time.Millisecond))
	return nil
}

func usageRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("usage rebuild", "usage rebuild [--days D] [--end YYYY-MM-DD] [--db DSN]",
		"Recomputes the usage rollups of the D days ending on --end from the generation records,\n"+
			"replacing them: after a crash lost the last second of rollups, or a full recorder queue\n"+
			"(switchyard_usage_dropped_total) left some generations out.", stderr)
	days := fs.Int("days", 2, "rebuild this many `days`")
	endFlag := fs.String("end", "", "the last day, `YYYY-MM-DD` (default today, UTC)")
	db := dbFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *days <= 0 {
		return fmt.Errorf("usage rebuild: --days must be positive")
	}
	end, err := lastDay(*endFlag)
	if err != nil {
		return fmt.Errorf("usage rebuild: %w", err)
	}
	st, err := openStore(ctx, *db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	to := store.Day(end).AddDate(0, 0, 1)
	from := to.AddDate(0, 0, -*days)
	n, err := st.RebuildUsage(ctx, from, to)
	if err != nil {
		return fmt.Errorf("usage rebuild: %w", err)
	}
	if m, ok := st.(store.UsageMaintainer); ok {
		if err := m.MaintainUsage(ctx); err != nil {
			return fmt.Errorf("usage rebuild: %w", err)
		}
	}
	fmt.Fprintf(stdout, "rebuilt the rollups of %s to %s from %d generations\n",
		from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly), n)
	return nil
}

// lastDay parses --end: a YYYY-MM-DD day, today (UTC) when empty.
func lastDay(flag string) (time.Time, error) {
	if flag == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.DateOnly, flag)
	if err != nil {
		return time.Time{}, fmt.Errorf("--end: %w", err)
	}
	return t, nil
}
