// Command switchyard is a self-hostable LLM router: one OpenAI-compatible
// API in front of hundreds of models from dozens of providers.
//
//	switchyard serve [--config FILE] [--addr HOST:PORT] [--db DSN] [--demo]
//	switchyard keys create|list|disable|enable|delete …
//	switchyard accounts list|create|show …
//	switchyard credits add|refund|adjust …
//	switchyard ledger show|verify …
//	switchyard usage rebuild|generate …
//	switchyard simulate --key KEY [--url URL] [--duration D] …
//
// serve runs the server (package app does the work); the other commands
// are the operator's: they open the store the server uses, change or print
// it, and exit. This file parses the command line and is the only place
// that exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/switchyard-dev/switchyard/internal/app"
	"github.com/switchyard-dev/switchyard/internal/bench"
	"github.com/switchyard-dev/switchyard/internal/config"
	"github.com/switchyard-dev/switchyard/internal/gctune"
	"github.com/switchyard-dev/switchyard/internal/logbuf"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/storeopen"
)

const usageText = `Switchyard: one OpenAI-compatible API in front of every model.

Usage:
  switchyard serve [--config FILE] [--addr HOST:PORT] [--db DSN] [--demo]

  switchyard keys create --name NAME [--credits USD | --account ID] [--management]
  switchyard keys list [--account ID] [--all] [--long]
  switchyard keys disable|enable|delete HASH

  switchyard accounts list
  switchyard accounts create --name NAME [--credits USD]
  switchyard accounts show ID [--limit N]

  switchyard credits add --account ID --usd USD [--note TEXT] [--ref REF [--fee-percent P]]
  switchyard credits refund|adjust --account ID --usd [-]USD --note TEXT [--allow-negative]

  switchyard ledger show --account ID [--limit N]
  switchyard ledger verify

  switchyard usage rebuild [--days D] [--end YYYY-MM-DD]
  switchyard usage generate --records N [--days D] [--end YYYY-MM-DD]

  switchyard simulate --key KEY [--url URL] [--duration D | --requests N] [--rps R]

  switchyard bench [--quick] [--duration D] [--out FILE]

--db (env SWITCHYARD_DB), which every command takes, is a SQLite file path
(default ./switchyard.db) or a postgres:// URL. HASH is a key's hash as
"keys list" prints it (any unique prefix of 8 or more characters), or the key
itself. Amounts are exact decimal USD, e.g. 10 or 2.50.
Run "switchyard COMMAND -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "switchyard:", err)
		os.Exit(1)
	}
}

// command runs one command with the arguments that follow its name.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return errors.New("no command given")
	}
	var subcommands map[string]command
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "simulate":
		return simulate(ctx, args[1:], stdout, stderr)
	case "bench", bench.UpstreamCommand, bench.ProxyCommand:
		return benchMain(ctx, args, stdout, stderr)
	case "keys":
		subcommands = map[string]command{
			"create": keysCreate, "list": keysList, "delete": keysDelete,
			"disable": keysDisable, "enable": keysEnable,
		}
	case "accounts":
		subcommands = map[string]command{"list": accountsList, "create": accountsCreate, "show": accountsShow}
	case "credits":
		subcommands = map[string]command{"add": creditsAdd, "refund": creditsRefund, "adjust": creditsAdjust}
	case "ledger":
		subcommands = map[string]command{"show": ledgerShow, "verify": ledgerVerify}
	case "usage":
		subcommands = map[string]command{"generate": usageGenerate, "rebuild": usageRebuild}
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
		return nil
	default:
		fmt.Fprint(stderr, usageText)
		return fmt.Errorf("unknown command %q", args[0])
	}
	group := args[0]
	if len(args) > 1 {
		if cmd, ok := subcommands[args[1]]; ok {
			return cmd(ctx, args[2:], stdout, stderr)
		}
		if slices.Contains([]string{"help", "-h", "--help"}, args[1]) {
			fmt.Fprint(stdout, usageText)
			return nil
		}
	}
	var want []string
	for _, name := range slices.Sorted(maps.Keys(subcommands)) {
		want = append(want, fmt.Sprintf("%q", group+" "+name))
	}
	fmt.Fprint(stderr, usageText)
	if len(args) == 1 {
		return fmt.Errorf("%s needs a command: %s", group, strings.Join(want, ", "))
	}
	return fmt.Errorf("unknown %s command %q; want %s", group, args[1], strings.Join(want, ", "))
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve [flags]",
		"Serves the API until interrupted, then drains in-flight requests and exits.", stderr)
	configPath := fs.String("config", "", "YAML config `file`")
	addr := fs.String("addr", "", "listen address `HOST:PORT` (default 127.0.0.1:8080, env SWITCHYARD_ADDR)")
	db := dbFlag(fs)
	demo := fs.Bool("demo", false, "start simulated providers so it works with no provider keys")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (go tool pprof) to `file` until shutdown")
	execTrace := fs.String("trace", "", "write an execution trace (go tool trace) to `file` until shutdown")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for _, r := range []struct {
		flag, path string
		start      func(io.Writer) error
		stop       func()
	}{
		{"--cpuprofile", *cpuProfile, pprof.StartCPUProfile, pprof.StopCPUProfile},
		{"--trace", *execTrace, trace.Start, trace.Stop},
	} {
		if r.path == "" {
			continue
		}
		stop, err := startRecording(r.flag, r.path, r.start, r.stop)
		if err != nil {
			return err
		}
		defer stop()
	}
	cfg, err := config.Load(*configPath, os.Getenv)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Addr = *addr
	}
	if *db != "" {
		cfg.DB = *db
	}
	if *demo {
		cfg.Demo = true
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	if cfg.GCHeadroom > 0 && os.Getenv("GOGC") == "" {
		defer gctune.Start(uint64(cfg.GCHeadroom), 100)()
	}
	if cfg.MemoryLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(cfg.MemoryLimit))
	}
	// A line per request: batched into a write every logFlushInterval
	// instead of a write(2) each, and formatted there, off the request's
	// path.
	logOut := logbuf.New(stderr, logFlushInterval, 64<<10)
	defer logOut.Close()
	logger := slog.New(logOut.Handler(func(w io.Writer) slog.Handler {
		return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	}))
	return app.Run(ctx, cfg, app.Env{Stdout: stdout, Logger: logger, Getenv: os.Getenv})
}

// logFlushInterval bounds how long a log line waits before it is written
// (and what a crash can lose of the log).
const logFlushInterval = 100 * time.Millisecond

// startRecording has start record the process (a CPU profile, an
// execution trace) into a new file at path, for flag; stop ends the
// recording and closes the file.
func startRecording(flag, path string, start func(io.Writer) error, end func()) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return func() {
		end()
		f.Close()
	}, nil
}

// newFlagSet returns a command's flag set, whose -h prints its synopsis
// (after "switchyard "), what it does, and its flags.
func newFlagSet(name, synopsis, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: switchyard %s\n\n%s\n\nFlags:\n", synopsis, about)
		fs.PrintDefaults()
	}
	return fs
}

// dbFlag defines the --db flag every command has.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", "", "store `DSN`: SQLite path or postgres:// URL (default ./switchyard.db, env SWITCHYARD_DB)")
}

// parseFlags parses a command's flags and refuses positional arguments:
// flag parsing stops at the first one, so in "keys create --name my team
// --credits 5" everything after "my" would otherwise be silently dropped.
func parseFlags(fs *flag.FlagSet, args []string) error {
	_, err := parseArgs(fs, args)
	return err
}

// parseArgs parses a command's flags, which may come before, between or
// after its positional arguments, and returns the positional arguments,
// exactly one for each of names (which name them in errors).
func parseArgs(fs *flag.FlagSet, args []string, names ...string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) > len(names) {
		return nil, fmt.Errorf("%s: unexpected argument %q (quote values that contain spaces)", fs.Name(), positional[len(names)])
	}
	if len(positional) < len(names) {
		return nil, fmt.Errorf("%s: missing %s", fs.Name(), names[len(positional)])
	}
	return positional, nil
}

// openStore opens the store named by --db, else SWITCHYARD_DB, else the
// default. Commands that read or change what is already there pass
// mustExist, so that a mistyped SQLite path is an error instead of a new,
// empty database (in which "ledger verify" would find nothing wrong).
func openStore(ctx context.Context, db string, mustExist bool) (store.Store, error) {
	dsn := db
	if dsn == "" {
		cfg, _ := config.Load("", os.Getenv) // cannot fail without a file
		dsn = cfg.DB
	}
	if mustExist && !storeopen.IsPostgres(dsn) && !strings.HasPrefix(dsn, "file:") {
		if _, err := os.Stat(dsn); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s: name it with --db or SWITCHYARD_DB", dsn)
		}
	}
	return storeopen.Open(ctx, dsn)
}
