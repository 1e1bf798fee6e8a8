package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// Every endpoint without a token, with a wrong one, with the read-only one
// and with the full one.
func TestAuth(t *testing.T) {
	f := newFixture(t)
	f.stick("ord-1")
	endpoints := []struct {
		method, path, body string
		acts               bool // needs the full token
		ok                 int
	}{
		{"GET", "/admin/orders", "", false, 200},
		{"GET", "/admin/orders/ord-1", "", false, 200},
		{"GET", "/admin/stats", "", false, 200},
		{"GET", "/admin/saga", "", false, 200},
		{"GET", "/admin/me", "", false, 200},
		{"GET", "/admin/dead-letters", "", false, 200},
		{"POST", "/admin/orders/ord-1/retry", `{"reason": "x"}`, true, 202},
		{"POST", "/admin/orders/ord-1/cancel", `{"reason": "x"}`, true, 202},
		{"POST", "/admin/orders/ord-1/resolve", `{"reason": "x"}`, true, 202},
		{"POST", "/admin/orders/retry", `{"step": "sending_confirmation", "reason": "x"}`, true, 202},
		{"POST", "/admin/dead-letters/m1/replay", "", true, 202},
		{"DELETE", "/admin/dead-letters/m3", "", true, 200},
	}
	for _, e := range endpoints {
		name := e.method + " " + e.path
		for _, c := range []struct{ who, auth string }{{"no token", ""}, {"wrong token", "Bearer nope-nope-nope-nope-nope"},
			{"not bearer", "Basic " + token}, {"bearer of nothing", "Bearer "}} {
			if r := f.call(e.method, e.path, c.auth, e.body); r.status != 401 || r.header.Get("WWW-Authenticate") == "" ||
				r.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s with %s: %d %v, want 401 problem+json with WWW-Authenticate", name, c.who, r.status, r.header)
			}
		}
		want := e.ok
		if e.acts {
			want = http.StatusForbidden
		}
		if r := f.call(e.method, e.path, readonly, e.body); r.status != want {
			t.Errorf("%s with the read-only token: %d %s, want %d", name, r.status, r.body, want)
		}
		if r := f.call(e.method, e.path, full, e.body); r.status != e.ok {
			t.Errorf("%s with the full token: %d %s, want %d", name, r.status, r.body, e.ok)
		}
	}
	if r := f.call("GET", "/admin/me", readonly, ""); !strings.Contains(r.body, `"can_act": false`) {
		t.Errorf("GET /admin/me read-only: %s", r.body)
	}
	if r := f.call("GET", "/admin/me", full, "", "X-Operator", "J%C3%BCrgen"); !strings.Contains(r.body, `"operator": "Jürgen (admin)"`) {
		t.Errorf("GET /admin/me with a percent-encoded name: %s", r.body)
	}
}

func TestReadEndpoints(t *testing.T) {
	f := newFixture(t)
	f.start("ord-1", "tok_visa")
	f.start("ord-2", "tok_visa")
	tests := []struct {
		name, path string
		status     int
		contains   string
	}{
		{"stats", "/admin/stats", 200, `"charging_payment": 2`},
		{"one order", "/admin/orders/ord-1", 200, `"event": "command"`},
		{"its allowed actions", "/admin/orders/ord-1", 200, `"allowed_actions": [
    "retry",
    "cancel",
    "resolve"
  ]`},
		{"unknown order", "/admin/orders/nope", 404, "no order nope"},
		{"list by state", "/admin/orders?state=charging_payment&limit=1", 200, `"id": "ord-1"`},
		{"bad state", "/admin/orders?state=flying", 400, "not a saga state"},
		{"bad step", "/admin/orders?step=stuck", 400, `"field": "step"`},
		{"bad limit", "/admin/orders?limit=0", 400, "limit"},
		{"bad cursor", "/admin/orders?after=!!", 400, "cursor"},
		{"bad stuck", "/admin/orders?stuck=maybe", 400, `"field": "stuck"`},
		{"bad age", "/admin/orders?older_than=-3m", 400, `"field": "older_than"`},
		{"nothing stuck", "/admin/orders?stuck=true", 200, `"orders": []`},
		{"diagram", "/admin/saga", 200, "charging_payment --> scheduling_delivery: charged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.get(tt.path)
			if r.status != tt.status || !strings.Contains(r.body, tt.contains) {
				t.Errorf("GET %s = %d %s\nwant %d containing %q", tt.path, r.status, r.body, tt.status, tt.contains)
			}
		})
	}
}
