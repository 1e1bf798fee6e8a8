package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"bookshop/e2e/harness"
	"bookshop/pkg/catalog"
)

// config is what the flags say.
type config struct {
	n, c            int
	amqpURL         string
	orchestratorURL string
	token           string
	mix             string
	watch           string
	via             string
	frontendURL     string
	timeout         time.Duration
	seed            uint64
	start           bool
	binDir          string
	keep            bool
	check           bool
	env             harness.EnvFlag
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	cfg := config{env: harness.NewEnvFlag()}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.n, "n", 2000, "orders to place")
	fs.IntVar(&cfg.c, "c", 64, "concurrency: orders in flight at once")
	fs.StringVar(&cfg.amqpURL, "amqp", "amqp://guest:guest@127.0.0.1:5672/", "broker URL (with -start: the broker to make a fresh vhost on)")
	fs.StringVar(&cfg.orchestratorURL, "orchestrator", "http://127.0.0.1:8081", "orchestrator base URL (admin API); ignored with -start")
	fs.StringVar(&cfg.token, "token", getenv("ORCHESTRATOR_ADMIN_TOKEN"), "orchestrator admin token (default $ORCHESTRATOR_ADMIN_TOKEN); ignored with -start")
	fs.StringVar(&cfg.mix, "mix", "tok_visa", `what the orders are, weighted: payment tokens and "out_of_stock", e.g. "tok_visa=90,tok_insufficient_funds=5,out_of_stock=5"`)
	fs.StringVar(&cfg.watch, "watch", "events", `how to see an order finish: "events" (a private queue bound to the frontend's routing key receives copies of OrderStatusChanged; the admin API is polled only as a fallback) or "poll" (the admin API only)`)
	fs.StringVar(&cfg.via, "via", "amqp", `how to place orders: "amqp" (StartPurchase messages to the orchestrator's queue) or "frontend" (POST /api/orders)`)
	fs.StringVar(&cfg.frontendURL, "frontend", "http://127.0.0.1:8080", "frontend base URL for -via frontend; ignored with -start")
	fs.DurationVar(&cfg.timeout, "timeout", 2*time.Minute, "give up on an order after this long")
	fs.Uint64Var(&cfg.seed, "seed", uint64(time.Now().UnixNano()), "random seed of the orders")
	fs.BoolVar(&cfg.start, "start", false, "build and start the whole shop on a fresh vhost with temporary databases")
	fs.StringVar(&cfg.binDir, "bin", getenv("BOOKSHOP_BIN_DIR"), "with -start: prebuilt programs (default: build them; $BOOKSHOP_BIN_DIR)")
	fs.BoolVar(&cfg.keep, "keep", false, "with -start: keep the databases and logs")
	fs.BoolVar(&cfg.check, "check", false, "with -start: check every order's invariants at the end")
	fs.Var(cfg.env, "env", "with -start: NAME_KEY_PATH=VALUE for the programs (repeatable)")
	if err := fs.Parse(args[1:]); err != nil {
		return cfg, err
	}
	switch {
	case cfg.n < 1 || cfg.c < 1:
		return cfg, errors.New("-n and -c must be positive")
	case cfg.watch != "events" && cfg.watch != "poll":
		return cfg, fmt.Errorf("-watch %q: want events or poll", cfg.watch)
	case cfg.via != "amqp" && cfg.via != "frontend":
		return cfg, fmt.Errorf("-via %q: want amqp or frontend", cfg.via)
	case !cfg.start && cfg.token == "":
		return cfg, errors.New("-token (or $ORCHESTRATOR_ADMIN_TOKEN) is required without -start")
	}
	return cfg, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseFlags(args, getenv, os.Stderr)
	if err != nil {
		return err
	}
	mix, err := harness.ParseMix(cfg.mix)
	if err != nil {
		return err
	}
	root, err := harness.Root()
	if err != nil {
		return err
	}
	cat, err := catalog.Load(filepath.Join(root, "configs", "catalog.yaml"))
	if err != nil {
		return err
	}
	client, amqpURL := harness.NewClient(cfg.amqpURL, cfg.orchestratorURL, cfg.token), cfg.amqpURL
	client.URLs["frontend"] = cfg.frontendURL
	var shop *harness.Shop
	if cfg.start {
		var stop func()
		if shop, stop, err = harness.StartLocal(ctx, harness.LocalOptions{Root: root, BinDir: cfg.binDir,
			AMQPURL: cfg.amqpURL, Env: cfg.env, Keep: cfg.keep, Name: "loadgen", Log: stdout}); err != nil {
			return err
		}
		defer stop()
		client, amqpURL = shop.Client, shop.AMQPURL
	} else {
		defer client.Close()
	}
	fmt.Fprintf(stdout, "loadgen: %d orders via %s, concurrency %d, mix %s, watching by %s, seed %d\n", cfg.n, cfg.via, cfg.c, cfg.mix, cfg.watch, cfg.seed)
	res, err := load(ctx, cfg, client, amqpURL, cat, mix, stdout)
	if err != nil {
		return err
	}
	res.print(stdout)
	if cfg.check && shop != nil {
		return check(ctx, shop, res, stdout)
	}
	if res.failed > 0 {
		return fmt.Errorf("%d orders did not finish", res.failed)
	}
	return nil
}

// check runs the end-to-end invariants over every order placed.
func check(ctx context.Context, shop *harness.Shop, res result, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	r, err := shop.Check(ctx, shop.Catalog, res.orders)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "invariants: %s\n", r.Summary())
	for i, p := range r.Problems {
		if i == 30 {
			fmt.Fprintf(stdout, "  ... and %d more\n", len(r.Problems)-30)
			break
		}
		fmt.Fprintf(stdout, "  %s\n", p)
	}
	if len(r.Problems) > 0 {
		return fmt.Errorf("%d invariants broken", len(r.Problems))
	}
	return nil
}
