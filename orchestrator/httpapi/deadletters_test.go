package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"bookshop/pkg/rabbit"
)

// fakeDeadLetters keeps dead letters in memory, in order; pkg/rabbit's own
// tests cover the broker.
type fakeDeadLetters struct {
	mu       sync.Mutex
	letters  []rabbit.DeadLetter
	replayed map[string][]byte
	err      error
}

func newFakeDeadLetters() *fakeDeadLetters {
	at := time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)
	return &fakeDeadLetters{replayed: map[string][]byte{}, letters: []rabbit.DeadLetter{
		{ID: "m1", Queue: "billing.dead-letter", OriginalQueue: "billing", MessageID: "m1", Type: "ChargePayment",
			Reason: "validate ChargePayment m1: order_id is required", DeadLetteredAt: at, Size: 2, Preview: []byte("{}")},
		{ID: "sha256-00ff", Queue: "orchestrator.dead-letter", OriginalQueue: "orchestrator",
			Reason: "decode envelope: invalid character", Size: 3, Preview: []byte{0xff, 'a', 'b'}},
		{ID: "m3", Queue: "orchestrator.dead-letter", OriginalQueue: "orchestrator", MessageID: "m3",
			Reason: "broker: delivery_limit", Size: 40, Preview: []byte(`{"id":"m3","type":"StartPurchase"}`)},
	}}
}

func (f *fakeDeadLetters) List(_ context.Context, limit int) ([]rabbit.DeadLetter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.letters), f.err
}

func (f *fakeDeadLetters) Counts(context.Context) (map[string]int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for _, d := range f.letters {
		out[d.Queue]++
	}
	return out, f.err
}

func (f *fakeDeadLetters) take(id string) (rabbit.DeadLetter, error) {
	i := slices.IndexFunc(f.letters, func(d rabbit.DeadLetter) bool { return d.ID == id })
	if i < 0 {
		return rabbit.DeadLetter{}, fmt.Errorf("dead letter %s: %w", id, rabbit.ErrDeadLetterNotFound)
	}
	d := f.letters[i]
	f.letters = slices.Delete(f.letters, i, i+1)
	return d, nil
}

func (f *fakeDeadLetters) Replay(_ context.Context, id string, body []byte) (rabbit.DeadLetter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, err := f.take(id)
	if err == nil {
		f.replayed[id] = body
	}
	return d, err
}

func (f *fakeDeadLetters) Delete(_ context.Context, id string) (rabbit.DeadLetter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.take(id)
}

func TestDeadLetterEndpoints(t *testing.T) {
	f := newFixture(t)
	list := f.get("/admin/dead-letters")
	for _, want := range []string{`"id": "m1"`, `"original_queue": "billing"`, `"type": "ChargePayment"`,
		`"reason": "validate ChargePayment m1: order_id is required"`, `"dead_lettered_at": "2026-11-25T11:00:00Z"`,
		"\"preview\": \"\ufffdab\"", `"type": "StartPurchase"`, `"orchestrator.dead-letter": 2`} {
		if list.status != 200 || !strings.Contains(list.body, want) {
			t.Errorf("GET /admin/dead-letters = %d, want it to hold %s:\n%s", list.status, want, list.body)
		}
	}
	tests := []struct {
		name, method, path, auth, body string
		status                         int
		contains                       string
	}{
		{"read-only may list", "GET", "/admin/dead-letters?limit=5", readonly, "", 200, `"m1"`},
		{"bad limit", "GET", "/admin/dead-letters?limit=0", full, "", 400, "limit"},
		{"read-only may not replay", "POST", "/admin/dead-letters/m1/replay", readonly, "", 403, "read-only"},
		{"read-only may not delete", "DELETE", "/admin/dead-letters/m1", readonly, "", 403, "read-only"},
		{"no token", "DELETE", "/admin/dead-letters/m1", "", "", 401, "token"},
		{"replay as it is", "POST", "/admin/dead-letters/m1/replay", full, "", 202, `"corrected": false`},
		{"replay again", "POST", "/admin/dead-letters/m1/replay", full, "", 404, "no dead-letter queue holds it"},
		{"replay corrected", "POST", "/admin/dead-letters/m3/replay", full, `{"body": {"id": "m3"}, "reason": "fixed"}`, 202, `"corrected": true`},
		{"bad body", "POST", "/admin/dead-letters/m3/replay", full, `{"bodyy": 1}`, 400, "unknown field"},
		{"delete", "DELETE", "/admin/dead-letters/sha256-00ff", full, `{"reason": "garbage"}`, 200, `"deleted"`},
		{"delete unknown", "DELETE", "/admin/dead-letters/nope", full, "", 404, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.call(tt.method, tt.path, tt.auth, tt.body)
			if r.status != tt.status || !strings.Contains(r.body, tt.contains) {
				t.Errorf("%s %s = %d %s\nwant %d containing %q", tt.method, tt.path, r.status, r.body, tt.status, tt.contains)
			}
		})
	}
	if got := string(f.dl.replayed["m3"]); got != `{"id": "m3"}` {
		t.Errorf("corrected body replayed as %q", got)
	}
	if b, ok := f.dl.replayed["m1"]; !ok || b != nil {
		t.Errorf("m1 replayed with body %q, want its own (nil)", b)
	}
	f.dl.err = fmt.Errorf("connect: %w", context.DeadlineExceeded)
	if r := f.get("/admin/dead-letters"); r.status != http.StatusBadGateway {
		t.Errorf("broker down: %d %s, want 502", r.status, r.body)
	}
}
