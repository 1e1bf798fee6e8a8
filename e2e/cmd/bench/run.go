package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"bookshop/e2e/harness"
	"bookshop/pkg/catalog"
	"bookshop/pkg/msg"
)

// config is what the flags say.
type config struct {
	amqpURL         string
	c               int
	duration        time.Duration
	warmup          time.Duration
	rates           []float64
	rateDuration    time.Duration
	maxOutstanding  int
	ceilingDuration time.Duration
	ceilingInFlight int
	mix             string
	timeout         time.Duration
	seed            uint64
	binDir          string
	keep            bool
	check           bool
	json            bool
	plot            string
	stock           int
	env             harness.EnvFlag
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	cfg := config{env: harness.NewEnvFlag()}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	rates := fs.String("rates", "100,200,300,500,1000", "open-loop arrival rates in orders/s, comma-separated (empty: none)")
	fs.StringVar(&cfg.amqpURL, "amqp", "amqp://guest:guest@127.0.0.1:5672/", "broker to make the fresh vhost on")
	fs.IntVar(&cfg.c, "c", 64, "closed loop: customers with one order in flight each (0: no closed loop)")
	fs.DurationVar(&cfg.duration, "duration", 60*time.Second, "closed loop: how long to place orders")
	fs.DurationVar(&cfg.warmup, "warmup", 5*time.Second, "closed loop run first and not reported")
	fs.DurationVar(&cfg.rateDuration, "rate-duration", 20*time.Second, "open loop: how long to place orders at each rate")
	fs.IntVar(&cfg.maxOutstanding, "max-outstanding", 3000, "open loop: orders in flight at which a rate counts as saturated and stops")
	fs.DurationVar(&cfg.ceilingDuration, "ceiling-duration", 5*time.Second, "broker ceiling pass: how long to publish (0: skip)")
	fs.IntVar(&cfg.ceilingInFlight, "ceiling-in-flight", 256, "broker ceiling pass: unconfirmed messages in flight")
	fs.StringVar(&cfg.mix, "mix", "tok_visa", `what the orders are, weighted: payment tokens and "out_of_stock", e.g. "tok_visa=90,tok_insufficient_funds=5,out_of_stock=5"`)
	fs.DurationVar(&cfg.timeout, "timeout", 2*time.Minute, "an order not terminal after this long counts as unfinished")
	fs.Uint64Var(&cfg.seed, "seed", uint64(time.Now().UnixNano()), "random seed of the orders")
	fs.StringVar(&cfg.binDir, "bin", getenv("BOOKSHOP_BIN_DIR"), "prebuilt programs (default: build them; $BOOKSHOP_BIN_DIR)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the databases and logs")
	fs.BoolVar(&cfg.check, "check", false, "check every order's invariants at the end (slow: four requests per order)")
	fs.BoolVar(&cfg.json, "json", false, "print the results as JSON instead of the table")
	fs.StringVar(&cfg.plot, "plot", "docs/performance-latency.png", "PNG of latency against open-loop rate, relative to the repository root (empty: none)")
	fs.IntVar(&cfg.stock, "stock", 0, "copies of each title in stock on the fresh databases (0: configs/catalog.yaml's, 100,000 a title, which ten minutes at 1,000 orders/s outrun); titles out of stock stay out")
	fs.Var(cfg.env, "env", "NAME_KEY_PATH=VALUE for the programs (repeatable), e.g. ORCHESTRATOR_AMQP_BATCH_SIZE=64; GOMAXPROCS defaults to 1")
	if err := fs.Parse(args[1:]); err != nil {
		return cfg, err
	}
	for _, s := range strings.Split(*rates, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		r, err := strconv.ParseFloat(s, 64)
		if err != nil || r <= 0 {
			return cfg, fmt.Errorf("-rates: %q is not a positive rate", s)
		}
		cfg.rates = append(cfg.rates, r)
	}
	switch {
	case cfg.c < 0 || (cfg.c > 0 && cfg.duration <= 0):
		return cfg, errors.New("-c must not be negative, and -duration positive with it")
	case cfg.c == 0 && len(cfg.rates) == 0:
		return cfg, errors.New("nothing to run: -c 0 and no -rates")
	case len(cfg.rates) > 0 && cfg.rateDuration <= 0:
		return cfg, errors.New("-rate-duration must be positive")
	case cfg.maxOutstanding < 1 || cfg.ceilingInFlight < 1:
		return cfg, errors.New("-max-outstanding and -ceiling-in-flight must be positive")
	case cfg.stock < 0:
		return cfg, errors.New("-stock must not be negative")
	}
	return cfg, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, getenv, stderr)
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
	if cfg.stock > 0 {
		dir, err := os.MkdirTemp("", "bookshop-bench-catalog-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if cat, err = restock(cfg, cat, filepath.Join(dir, "catalog.yaml")); err != nil {
			return err
		}
	}
	rep := &report{Command: "go run ./e2e/cmd/bench " + strings.Join(args[1:], " "),
		Started: time.Now().UTC().Format(time.RFC3339), Machine: describeMachine(ctx)}
	unlock, err := lockBroker(stderr)
	if err != nil {
		return err
	}
	defer unlock()
	shop, stop, err := startShop(ctx, cfg, root, stderr)
	if err != nil {
		return err
	}
	defer stop()
	shop.Catalog = cat // what the invariants check the stock against
	b, err := newBench(ctx, cfg, shop, cat, mix, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.runAll(ctx, rep); err != nil {
		return err
	}
	if cfg.plot != "" && len(cfg.rates) > 0 {
		path := cfg.plot
		if !filepath.IsAbs(path) {
			path = filepath.Join(root, path)
		}
		if err := writePlot(path, rep); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "plot written to %s\n", path)
	}
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(stdout, b.meter.names())
	return nil
}

// bench is one run against one shop.
type bench struct {
	cfg    config
	shop   *harness.Shop
	meter  *meter
	tap    *harness.Tap
	driver *driver
	log    io.Writer
	all    []harness.Order
}

func newBench(ctx context.Context, cfg config, shop *harness.Shop, cat *catalog.Catalog, mix harness.Mix, log io.Writer) (*bench, error) {
	m, err := newMeter(ctx, shop)
	if err != nil {
		return nil, err
	}
	// A private queue bound to the frontend's routing key gets a copy of
	// every OrderStatusChanged, taking nothing from the frontend.
	tap, err := harness.NewTapOf(ctx, shop.AMQPURL, msg.Frontend, harness.MayBeTerminal)
	if err != nil {
		return nil, err
	}
	d := &driver{client: shop.Client, cat: cat, mix: mix, watcher: harness.NewWatcher(tap.Events),
		timeout: cfg.timeout, seed: cfg.seed}
	return &bench{cfg: cfg, shop: shop, meter: m, tap: tap, driver: d, log: log}, nil
}

func (b *bench) close() { b.tap.Close() }

// restock writes cat to path with cfg.stock copies of every title in stock,
// has the frontend and fulfillment read it (unless -env says otherwise), and
// returns it.
func restock(cfg config, cat *catalog.Catalog, path string) (*catalog.Catalog, error) {
	books := slices.Clone(cat.Books)
	for i := range books {
		if books[i].Stock > 0 {
			books[i].Stock = cfg.stock
		}
	}
	raw, err := yaml.Marshal(map[string][]catalog.Book{"books": books})
	if err != nil {
		return nil, fmt.Errorf("-stock: %w", err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		return nil, fmt.Errorf("-stock: %w", err)
	}
	for _, key := range []string{"FULFILLMENT_CATALOG_PATH", "FRONTEND_CATALOG_PATH"} {
		if _, set := cfg.env[key]; !set {
			cfg.env[key] = path
		}
	}
	return catalog.New(books)
}
