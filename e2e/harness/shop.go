// Package harness runs the whole bookshop for end-to-end tests and the load
// generator: it builds the five programs, starts each as its own OS process
// on a fresh RabbitMQ vhost with temporary databases and free ports, breaks
// them on purpose (SIGKILL, SIGTERM, restarts), places orders, waits for
// them, and checks the invariants every order must satisfy.
package harness

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"bookshop/pkg/catalog"
	"bookshop/pkg/rabbit"
	"bookshop/pkg/rabbit/rabbittest"
)

// Options shape a shop. The zero value starts all five programs with the
// harness defaults.
type Options struct {
	// Env holds extra environment variables in the programs' NAME_KEY_PATH
	// form (ORCHESTRATOR_SAGA_MAX_ATTEMPTS=3). Every program gets all of
	// them and reads only its own prefix; they override the defaults below.
	Env map[string]string
	// Programs to start at first; nil means all five. The others can be
	// started later with Start.
	Programs []string
	// ReadyTimeout bounds the wait for each /readyz; default 30s.
	ReadyTimeout time.Duration

	// For Launch only (Start fills them itself).
	BinDir  string // the built programs
	AMQPURL string // the vhost to run on
	Dir     string // databases and logs
}

// DefaultEnv is what Start sets unless Options.Env says otherwise: short
// saga timeouts so that tests of retries finish quickly. (Launch leaves
// the programs' own defaults.)
var DefaultEnv = map[string]string{
	"ORCHESTRATOR_SAGA_STEP_TIMEOUT":    "2s",
	"ORCHESTRATOR_SAGA_BACKOFF_INITIAL": "200ms",
	"ORCHESTRATOR_SAGA_BACKOFF_MAX":     "1s",
	// The duplicate and late-redelivery tests find the commands the
	// orchestrator sent in its inbox (SentMessages).
	"ORCHESTRATOR_DATABASE_INBOX_KEEP_REPLIES": "true",
}

// Shop is a running bookshop.
type Shop struct {
	Root       string // repository root, the programs' working directory
	BinDir     string
	Dir        string // databases and logs
	AMQPURL    string // the shop's vhost
	AdminToken string
	Catalog    *catalog.Catalog
	*Client
	// ExpectedDeadLetters is how many messages CheckInvariants expects in
	// each program's dead-letter queue; none unless a test says otherwise.
	ExpectedDeadLetters map[string]int

	readyTimeout time.Duration
	procs        map[string]*proc
	addrs        map[string]string
}

// Start runs a shop for the test on a fresh vhost and temporary directory
// (kept when BOOKSHOP_E2E_KEEP is set), and stops it when the test ends,
// printing each program's last log lines if the test failed. It fails the
// test if a program does not get ready. The shop's methods that take a
// testing.TB are for the test's own goroutine; the others return errors.
func Start(t testing.TB, opts Options) *Shop {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the whole shop; skipped with -short")
	}
	LockBroker(t, false)
	opts.BinDir = Build(t)
	opts.AMQPURL = rabbittest.VHost(t)
	opts.Dir = t.TempDir()
	if os.Getenv("BOOKSHOP_E2E_KEEP") != "" {
		dir, err := os.MkdirTemp("", "bookshop-e2e-")
		if err != nil {
			t.Fatal(err)
		}
		opts.Dir = dir // kept for reading the logs and databases afterwards
	}
	env := maps.Clone(DefaultEnv)
	maps.Copy(env, opts.Env)
	opts.Env = env
	s, err := newShop(opts)
	if err != nil {
		t.Fatalf("prepare shop: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			s.DumpLogs(t.Logf, 60)
		}
		for _, err := range s.Shutdown() {
			t.Errorf("shut the shop down: %v", err)
		}
	})
	if err := s.startAll(context.Background(), opts.Programs); err != nil {
		t.Fatalf("start shop: %v", err)
	}
	t.Logf("shop running on %s, logs in %s", s.AMQPURL, s.Dir)
	return s
}

// Launch runs a shop outside a test (the load generator). The caller must
// call Shutdown.
func Launch(ctx context.Context, opts Options) (*Shop, error) {
	if opts.BinDir == "" || opts.AMQPURL == "" || opts.Dir == "" {
		return nil, errors.New("launch shop: BinDir, AMQPURL and Dir are required")
	}
	s, err := newShop(opts)
	if err != nil {
		return nil, err
	}
	if err := s.startAll(ctx, opts.Programs); err != nil {
		s.DumpLogs(func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }, 30)
		s.Shutdown()
		return nil, err
	}
	return s, nil
}

func newShop(opts Options) (*Shop, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Load(filepath.Join(root, "configs", "catalog.yaml"))
	if err != nil {
		return nil, fmt.Errorf("load the catalog: %w", err)
	}
	s := &Shop{
		Root: root, BinDir: opts.BinDir, Dir: opts.Dir, AMQPURL: opts.AMQPURL, Catalog: cat,
		AdminToken:          "e2e-" + strings.ToLower(rand.Text()[:16]),
		readyTimeout:        opts.ReadyTimeout,
		procs:               map[string]*proc{},
		ExpectedDeadLetters: map[string]int{},
		addrs:               map[string]string{},
	}
	if s.readyTimeout <= 0 {
		s.readyTimeout = 30 * time.Second
	}
	for _, name := range Programs {
		if s.addrs[name], err = freeAddr(); err != nil {
			return nil, err
		}
	}
	env := s.environment(opts.Env)
	for _, name := range Programs {
		s.procs[name] = &proc{
			name: name, bin: filepath.Join(s.BinDir, name), dir: root, env: env,
			logPath: filepath.Join(s.Dir, name+".log"),
		}
	}
	s.Client = NewClient(s.AMQPURL, s.URL("orchestrator"), s.AdminToken)
	for _, name := range Programs {
		s.Client.URLs[name] = s.URL(name)
	}
	return s, nil
}

// environment is the programs' environment: ours without any bookshop
// override, then the harness's keys, then extra.
func (s *Shop) environment(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !hasProgramPrefix(kv) {
			env = append(env, kv)
		}
	}
	vars := map[string]string{
		"ORCHESTRATOR_ADMIN_TOKEN":      s.AdminToken,
		"BILLING_GATEWAY_DATABASE_PATH": filepath.Join(s.Dir, "billing-gateway.db"),
	}
	for _, name := range Programs {
		p := strings.ToUpper(name) + "_"
		vars[p+"AMQP_URL"] = s.AMQPURL
		vars[p+"HTTP_ADDR"] = s.addrs[name]
		vars[p+"DATABASE_PATH"] = s.DBPath(name)
		vars[p+"LOG_FORMAT"] = "text"
	}
	for k, v := range extra {
		vars[k] = v
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env
}

func hasProgramPrefix(kv string) bool {
	for _, name := range Programs {
		if strings.HasPrefix(kv, strings.ToUpper(name)+"_") {
			return true
		}
	}
	return false
}

// URL is the base URL of a program's HTTP server.
func (s *Shop) URL(name string) string { return "http://" + s.addrs[name] }

// DBPath is a program's SQLite file.
func (s *Shop) DBPath(name string) string { return filepath.Join(s.Dir, name+".db") }

// LogPath is a program's log file (all its runs, appended).
func (s *Shop) LogPath(name string) string { return filepath.Join(s.Dir, name+".log") }

func (s *Shop) proc(name string) (*proc, error) {
	p, ok := s.procs[name]
	if !ok {
		return nil, fmt.Errorf("no program %q (have %s)", name, strings.Join(Programs, ", "))
	}
	return p, nil
}

// startAll starts the named programs (all when nil) together and waits
// until every one is ready.
func (s *Shop) startAll(ctx context.Context, names []string) error {
	if names == nil {
		names = Programs
	}
	for _, name := range names {
		p, err := s.proc(name)
		if err != nil {
			return err
		}
		if err := p.start(); err != nil {
			return err
		}
	}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { errs[i] = s.waitReady(ctx, name) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// StartProgram starts one stopped program with its ports and database and
// waits until it is ready.
func (s *Shop) StartProgram(ctx context.Context, name string) error {
	return s.startAll(ctx, []string{name})
}

// KillProgram sends SIGKILL to a program and waits until it is gone.
func (s *Shop) KillProgram(name string) error {
	p, err := s.proc(name)
	if err != nil {
		return err
	}
	if !p.running() {
		return fmt.Errorf("kill %s: not running", name)
	}
	return p.kill()
}

// StopProgram sends SIGTERM and requires exit status 0 within 10 s, as the
// contract says.
func (s *Shop) StopProgram(name string) error {
	p, err := s.proc(name)
	if err != nil {
		return err
	}
	return p.stop(10 * time.Second)
}

// Running reports whether a program's process is alive.
func (s *Shop) Running(name string) bool {
	p, err := s.proc(name)
	return err == nil && p.running()
}

// Shutdown stops every running program with SIGTERM and closes the
// client. It returns one error per program that did not exit 0 in time.
func (s *Shop) Shutdown() []error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, name := range Programs {
		p := s.procs[name]
		if !p.running() {
			continue
		}
		wg.Go(func() {
			if err := p.stop(10 * time.Second); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if s.Client != nil {
		s.Client.Close()
	}
	return errs
}

// DumpLogs prints the last n lines of every program's log.
func (s *Shop) DumpLogs(logf func(format string, args ...any), n int) {
	for _, name := range Programs {
		p := s.procs[name]
		if p.starts == 0 {
			continue
		}
		logf("--- last %d lines of %s (%s) ---\n%s", n, name, p.logPath, p.tail(n))
	}
}

// rabbitConfig is the harness's own broker connection.
func rabbitConfig(url, role string) rabbit.Config {
	return rabbit.Config{URL: url, ConnectionName: "e2e-" + role}
}
