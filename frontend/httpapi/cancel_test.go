package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCancelRoute: 202 while the order can be cancelled (and again while
// that request is carried out), 409 with the reason once it cannot, 404
// for an unknown order, and the body's rules.
func TestCancelRoute(t *testing.T) {
	e := newEnv(t)
	header := map[string]string{"Content-Type": "application/json"}
	if resp, body := do(t, e, "POST", "/api/orders", validBody, header); resp.StatusCode != 202 {
		t.Fatalf("checkout: %d %s", resp.StatusCode, body)
	}
	steps := []struct {
		name, path, contentType, body string
		status                        int
		says                          string
	}{
		{"unknown order", "/api/orders/nope/cancel", "", "", 404, "There is no order nope."},
		{"body not JSON", "/api/orders/ord-2/cancel", "application/json", "{", 400, "reason"},
		{"body not declared JSON", "/api/orders/ord-2/cancel", "text/plain", "stop", 415, "JSON"},
		{"reason not a string", "/api/orders/ord-2/cancel", "application/json", `{"reason": 1}`, 400, "must be a string"},
		{"accepted order", "/api/orders/ord-2/cancel", "application/json", `{"reason": "changed my mind"}`, 202, `"can_cancel": false`},
		{"again, no body", "/api/orders/ord-2/cancel", "", "", 202, `"cancel_requested_at": "2026-11-25T10:30:00Z"`},
		{"delivery confirmed", "/api/orders/ord-1/cancel", "", "", 409, "The delivery is confirmed, so the order can no longer be cancelled."},
	}
	for _, s := range steps {
		h := map[string]string{}
		if s.contentType != "" {
			h["Content-Type"] = s.contentType
		}
		resp, body := do(t, e, "POST", s.path, s.body, h)
		if resp.StatusCode != s.status || !strings.Contains(body, s.says) {
			t.Errorf("%s: %d %s, want %d saying %q", s.name, resp.StatusCode, body, s.status, s.says)
		}
		if s.status >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: Content-Type %q, want application/problem+json", s.name, resp.Header.Get("Content-Type"))
		}
	}
	var msgs []struct {
		Type string `db:"type"`
		Body string `db:"body"`
	}
	if err := e.db.Select(&msgs, `SELECT type, body FROM outbox ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[1].Type != "CancelPurchase" {
		t.Fatalf("outbox = %+v, want StartPurchase then one CancelPurchase", msgs)
	}
	var env struct {
		Payload map[string]string `json:"payload"`
	}
	if err := json.Unmarshal([]byte(msgs[1].Body), &env); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"order_id": "ord-2", "reason": "changed my mind", "requested_by": "customer"}
	for k, v := range want {
		if env.Payload[k] != v {
			t.Errorf("CancelPurchase %s = %q, want %q", k, env.Payload[k], v)
		}
	}
}
