package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The same Idempotency-Key gets the same response and acts once; reused
// for another request it is refused. A refusal is remembered too.
func TestIdempotencyKeys(t *testing.T) {
	f := newFixture(t)
	f.stick("ord-1")
	f.stick("ord-2")
	post := func(path, body, key string) response {
		return f.call("POST", path, full, body, "Idempotency-Key", key)
	}
	first := post("/admin/orders/ord-1/retry", `{"reason": "back"}`, "k1")
	again := post("/admin/orders/ord-1/retry", `{"reason": "back"}`, "k1")
	if first.status != 202 || again.status != 202 || first.body != again.body || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("same key twice: %d %s / %d %s %v", first.status, first.body, again.status, again.body, again.header)
	}
	if n := strings.Count(strings.Join(f.outbox("ord-1"), " "), "SendEmail"); n != 3 {
		t.Errorf("%d SendEmail in the outbox, want 3 (two sends before stuck, one retry)", n)
	}
	hist := decode[story](t, f.get("/admin/orders/ord-1")).History
	retries := 0
	for _, h := range hist {
		if h.Event == "retry" {
			retries++
		}
	}
	if retries != 1 {
		t.Errorf("%d retries on the timeline, want 1", retries)
	}
	if r := post("/admin/orders/ord-2/retry", `{"reason": "back"}`, "k1"); r.status != 422 || !strings.Contains(r.body, "another request") {
		t.Errorf("key reused for another order: %d %s", r.status, r.body)
	}
	if r := post("/admin/orders/ord-1/retry", `{"reason": "other"}`, "k1"); r.status != 422 {
		t.Errorf("key reused with another reason: %d %s", r.status, r.body)
	}
	// A refusal is an answer too: the same key keeps getting it.
	post("/admin/orders/ord-2/resolve", `{"reason": "done by hand"}`, "k2")
	refused := post("/admin/orders/ord-2/cancel", `{"reason": "x"}`, "k3")
	if refused.status != 409 || post("/admin/orders/ord-2/cancel", `{"reason": "x"}`, "k3").body != refused.body {
		t.Errorf("refusal under a key: %d %s", refused.status, refused.body)
	}
	// Not remembered: an order that does not exist yet.
	if r := post("/admin/orders/ord-3/retry", `{"reason": "x"}`, "k4"); r.status != 404 {
		t.Fatalf("unknown order: %d", r.status)
	}
	f.stick("ord-3")
	if r := post("/admin/orders/ord-3/retry", `{"reason": "x"}`, "k4"); r.status != 202 {
		t.Errorf("the key of a 404, once the order exists: %d %s", r.status, r.body)
	}
	if r := post("/admin/orders/ord-3/retry", `{"reason": "x"}`, strings.Repeat("k", 201)); r.status != 400 {
		t.Errorf("a 201-character key: %d", r.status)
	}
}

func TestActionValidation(t *testing.T) {
	f := newFixture(t)
	f.stick("ord-1")
	tests := []struct {
		name, path, body string
		status           int
		contains         string
	}{
		{"no body", "/admin/orders/ord-1/retry", "", 400, `"field": "reason"`},
		{"empty reason", "/admin/orders/ord-1/cancel", `{"reason": "   "}`, 400, "reason is required"},
		{"long reason", "/admin/orders/ord-1/resolve", fmt.Sprintf(`{"reason": %q}`, strings.Repeat("x", 1001)), 400, "at most 1000"},
		{"not JSON", "/admin/orders/ord-1/retry", `reason=x`, 400, "JSON"},
		{"unknown field", "/admin/orders/ord-1/retry", `{"reason": "x", "force": true}`, 400, "unknown field"},
		{"too big", "/admin/orders/ord-1/retry", `{"reason": "` + strings.Repeat("x", 70<<10) + `"}`, 413, "at most"},
		{"bulk without step", "/admin/orders/retry", `{"reason": "x"}`, 400, `"field": "step"`},
		{"bulk at a state that is no step", "/admin/orders/retry", `{"step": "stuck", "reason": "x"}`, 400, "step"},
		{"bulk without reason", "/admin/orders/retry", `{"step": "sending_confirmation"}`, 400, `"field": "reason"`},
		{"bulk over the limit", "/admin/orders/retry", `{"step": "sending_confirmation", "reason": "x", "limit": 1001}`, 400, `"field": "limit"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.call("POST", tt.path, full, tt.body)
			if r.status != tt.status || !strings.Contains(r.body, tt.contains) {
				t.Errorf("POST %s = %d %.300s\nwant %d containing %q", tt.path, r.status, r.body, tt.status, tt.contains)
			}
		})
	}
	if s := f.saga("ord-1"); s.State != "stuck" {
		t.Errorf("a refused request changed the order: %s", s.State)
	}
}

// Bulk retry retries the orders stuck at one step, oldest first, up to the
// limit, and leaves the others.
func TestBulkRetry(t *testing.T) {
	f := newFixture(t)
	for _, id := range []string{"a", "b", "c"} {
		f.stick(id)
	}
	f.start("d", "tok_visa") // charging, not stuck
	f.timeOut(2)             // d gives up charging: refunding_payment, not stuck yet
	type result struct {
		Count   int      `json:"count"`
		Retried []string `json:"retried"`
		Reason  string   `json:"reason"`
	}
	body := `{"step": "sending_confirmation", "reason": "communication is back", "limit": 2}`
	r := decode[result](t, f.call("POST", "/admin/orders/retry", full, body, "X-Operator", "Grace"))
	if diff := cmp.Diff(result{2, []string{"a", "b"}, "communication is back"}, r); diff != "" {
		t.Errorf("first bulk retry (-want +got):\n%s", diff)
	}
	r = decode[result](t, f.call("POST", "/admin/orders/retry", full, body))
	if diff := cmp.Diff([]string{"c"}, r.Retried); diff != "" {
		t.Errorf("second bulk retry (-want +got):\n%s", diff)
	}
	for id, want := range map[string]string{"a": "sending_confirmation", "c": "sending_confirmation", "d": "refunding_payment"} {
		if s := f.saga(id); s.State != want || (id != "d" && s.Attempts != 1) {
			t.Errorf("order %s: %s attempts %d, want %s", id, s.State, s.Attempts, want)
		}
	}
	if r := decode[result](t, f.call("POST", "/admin/orders/retry", full, body)); r.Count != 0 || r.Retried == nil {
		t.Errorf("nothing left to retry: %+v", r)
	}
}
