// Command switchyard is a self-hostable LLM router: one OpenAI-compatible
// API in front of hundreds of models from dozens of providers.
//
//	switchyard serve [--config FILE] [--addr HOST:PORT] [--db DSN] [--demo]
//	switchyard keys create --name NAME --credits USD [--db DSN]
//
// This file only parses flags and exits; package app does the work.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchyard-dev/switchyard/internal/app"
	"github.com/switchyard-dev/switchyard/internal/config"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store/storeopen"
)

const usage = `Switchyard: one OpenAI-compatible API in front of every model.

Usage:
  switchyard serve [--config FILE] [--addr HOST:PORT] [--db DSN] [--demo]
  switchyard keys create --name NAME --credits USD [--db DSN]

--db (env SWITCHYARD_DB) is a SQLite file path (default ./switchyard.db) or a
postgres:// URL. Run "switchyard COMMAND -h" for a command's flags.
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

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "keys":
		if len(args) < 2 || args[1] != "create" {
			fmt.Fprint(stderr, usage)
			return errors.New(`unknown keys command; want "keys create"`)
		}
		return keysCreate(ctx, args[2:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML config `file`")
	addr := fs.String("addr", "", "listen address `HOST:PORT` (default 127.0.0.1:8080, env SWITCHYARD_ADDR)")
	db := fs.String("db", "", "store `DSN`: SQLite path or postgres:// URL (default ./switchyard.db, env SWITCHYARD_DB)")
	demo := fs.Bool("demo", false, "start simulated providers so it works with no provider keys")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
	if err := parseFlags(fs, args); err != nil {
		return err
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
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	return app.Run(ctx, cfg, app.Env{Stdout: stdout, Logger: logger, Getenv: os.Getenv})
}

func keysCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "key `name`, and the new account's (required)")
	credits := fs.String("credits", "0", "credits in `USD` to put on the new account, e.g. 10 or 2.50")
	account := fs.Int64("account", 0, "add the key to the existing account `ID` instead of creating one")
	management := fs.Bool("management", false, "a management key: manages keys and presets, cannot call models")
	db := fs.String("db", "", "store `DSN` (default ./switchyard.db, env SWITCHYARD_DB)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("keys create: --name is required")
	}
	amount, err := money.ParseAmount(*credits)
	if err != nil || amount < 0 {
		return fmt.Errorf("keys create: --credits %q must be a non-negative amount of USD", *credits)
	}
	if *account != 0 && amount != 0 {
		return errors.New("keys create: --credits applies to a new account, not with --account")
	}
	dsn := *db
	if dsn == "" {
		cfg, _ := config.Load("", os.Getenv)
		dsn = cfg.DB
	}
	st, err := storeopen.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	key, acct, err := app.CreateKey(ctx, st, app.KeyRequest{Name: *name, Credits: amount, AccountID: *account, Management: *management})
	if err != nil {
		return fmt.Errorf("keys create: %w", err)
	}
	kind := "key"
	if *management {
		kind = "management key"
	}
	fmt.Fprintf(stdout, "Created %s %q for account %d (balance $%s). It is shown only once:\n", kind, *name, acct.ID, acct.Balance)
	fmt.Fprintln(stdout, key.Reveal())
	return nil
}

// parseFlags parses a command's flags and refuses positional arguments:
// flag parsing stops at the first one, so in "keys create --name my team
// --credits 5" everything after "my" would otherwise be silently dropped.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (quote values that contain spaces)", fs.Name(), fs.Arg(0))
	}
	return nil
}
