package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bookshop/orchestrator"
	"bookshop/orchestrator/httpapi"
	"bookshop/orchestrator/sqlite"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/retry"
	pkgsqlite "bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

const (
	token    = "test-admin-token-0123456789"
	roToken  = "test-readonly-token-0123456789"
	full     = "Bearer " + token
	readonly = "Bearer " + roToken
)

// fixture is the admin API over a real SQLite file, with the saga engine
// and scanner on a clock the test moves, and fake dead-letter queues.
type fixture struct {
	t        *testing.T
	db       *sqlx.DB
	srv      *httptest.Server
	proc     *inbox.Processor
	scanner  *orchestrator.Scanner
	dl       *fakeDeadLetters
	notified atomic.Int32

	mu  sync.Mutex
	now time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := pkgsqlite.Open(ctx, filepath.Join(t.TempDir(), "o.db"), pkgsqlite.Options{},
		outbox.Migrations, inbox.Migrations, sqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := orchestrator.Purchase.Compile()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, dl: newFakeDeadLetters(), now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	o := &orchestrator.Orchestrator{Engine: &orchestrator.Engine{Machine: m, StepTimeout: 10 * time.Second,
		Backoff: retry.Policy{Initial: time.Second, Coefficient: 2, Max: 5 * time.Second, MaxAttempts: 2},
		NewID:   msg.NewID, Rand: func() float64 { return 0 }},
		Store: sqlite.Store{}, Log: log, Now: f.clock}
	f.proc = &inbox.Processor{DB: db, Handle: o.Handle, Log: log}
	f.scanner = &orchestrator.Scanner{O: o, DB: db, Batch: 100}
	mux := http.NewServeMux()
	(&httpapi.Admin{Reader: sqlite.Reader{DB: db}, Machine: m, Token: token, ReadOnlyToken: roToken, Now: f.clock,
		Orchestrator: o, DB: db, Notify: func() { f.notified.Add(1) }, DeadLetters: f.dl, Log: log}).Routes(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// handle delivers one message for order id, as the consumer would.
func (f *fixture) handle(id string, m msg.Message) {
	f.t.Helper()
	env, err := msg.New(m, id, "", f.clock())
	if err != nil {
		f.t.Fatal(err)
	}
	body, _ := env.Marshal()
	if err := f.proc.HandleBatch(context.Background(), [][]byte{body})[0]; err != nil {
		f.t.Fatalf("handle %s for %s: %v", env.Type, id, err)
	}
}

// start places order id, a second after the previous one.
func (f *fixture) start(id, token string) {
	f.t.Helper()
	f.advance(time.Second)
	f.handle(id, &msg.StartPurchase{OrderID: id, Customer: msg.Customer{Name: "Ada", Email: "ada@example.com"},
		Items: []msg.Item{{ISBN: "9780262033848", Quantity: 1, PriceCents: 9500}}, TotalCents: 9500, Currency: "EUR",
		PaymentToken: token, ShippingAddress: msg.Address{Line1: "1 Road", Country: "GB"}})
}

// toConfirmation places order id and has it charged and scheduled.
func (f *fixture) toConfirmation(id string) {
	f.t.Helper()
	f.start(id, "tok_visa")
	f.handle(id, &msg.PaymentCharged{OrderID: id, PaymentID: "pay-" + id, AmountCents: 9500, Currency: "EUR"})
	f.handle(id, &msg.DeliveryScheduled{OrderID: id, ShipmentID: "sh-" + id, TrackingID: "T1", ExpectedDate: "2026-11-30"})
}

// timeOut moves the clock past every deadline, n times, scanning each time.
func (f *fixture) timeOut(n int) {
	f.t.Helper()
	for range n {
		f.advance(time.Minute)
		if _, err := f.scanner.ScanOnce(context.Background()); err != nil {
			f.t.Fatal(err)
		}
	}
}

// stick has order id end stuck at sending_confirmation (nobody answers).
func (f *fixture) stick(id string) {
	f.t.Helper()
	f.toConfirmation(id)
	f.timeOut(2)
	if s := f.saga(id); s.State != orchestrator.Stuck {
		f.t.Fatalf("order %s is %s, want stuck", id, s.State)
	}
}

func (f *fixture) saga(id string) *orchestrator.Saga {
	f.t.Helper()
	s, err := sqlite.Reader{DB: f.db}.Get(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// outbox lists the types of the messages waiting in the outbox for id.
func (f *fixture) outbox(id string) []string {
	f.t.Helper()
	var types []string
	if err := f.db.Select(&types, `SELECT type FROM outbox WHERE correlation_id = ? ORDER BY rowid`, id); err != nil {
		f.t.Fatal(err)
	}
	return types
}

type response struct {
	status int
	header http.Header
	body   string
}

// call makes one request; headers are name, value pairs.
func (f *fixture) call(method, path, auth, body string, headers ...string) response {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(raw)}
}

func (f *fixture) get(path string) response { return f.call(http.MethodGet, path, full, "") }

// decode parses a JSON response body, failing the test if it is not JSON.
func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("decode %d %s: %v", r.status, r.body, err)
	}
	return v
}
