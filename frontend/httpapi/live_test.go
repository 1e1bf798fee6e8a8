package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"bookshop/frontend"
	fsqlite "bookshop/frontend/sqlite"

	"github.com/google/go-cmp/cmp"
)

// sse reads server-sent events from a response.
type sse struct{ r *bufio.Reader }

// next returns the next event's name and data (data lines joined by \n).
func (s sse) next(t *testing.T) (string, string) {
	t.Helper()
	var event string
	var data []string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("read event stream: %v (so far event %q data %q)", err, event, data)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && event != "":
			return event, strings.Join(data, "\n")
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		}
	}
}

func openStream(t *testing.T, e *env, path string) sse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET %s = %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return sse{bufio.NewReader(resp.Body)}
}

// apply moves ord-1's view as an event would.
func apply(t *testing.T, e *env, v int64, state, reason string) {
	t.Helper()
	_, err := fsqlite.Orders{}.Apply(context.Background(), e.db, frontend.Order{ID: "ord-1", State: state,
		Status: frontend.CustomerStatus(state, reason), Version: v, FailureReason: reason,
		CreatedAt: t0, UpdatedAt: t0.Add(time.Duration(v) * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOrderEvents follows ord-1 over the JSON stream to its end.
func TestOrderEvents(t *testing.T) {
	e := newEnv(t)
	s := openStream(t, e, "/api/orders/ord-1/events")
	states := []string{"sending_confirmation", "completed"}
	for i, want := range states {
		event, data := s.next(t)
		var o struct{ State, Status string }
		if err := json.Unmarshal([]byte(data), &o); err != nil || event != "order" || o.State != want {
			t.Fatalf("event %d = %s %s (%v), want order in %s", i, event, data, err, want)
		}
		if i == 0 {
			apply(t, e, 4, "completed", "")
		}
	}
	if event, data := s.next(t); event != "end" || data != `{"status":"completed"}` {
		t.Errorf("last event = %s %s, want end", event, data)
	}
}

// TestOrderPageLive follows the page's HTML stream through a decline.
func TestOrderPageLive(t *testing.T) {
	e := newEnv(t)
	apply(t, e, 4, "charging_payment", "") // a fresher view than the fixture's
	s := openStream(t, e, "/orders/ord-1/live")
	if event, data := s.next(t); event != "live" || !strings.Contains(data, "Taking payment") {
		t.Fatalf("first event = %s %s", event, data)
	}
	apply(t, e, 5, "sending_decline_notice", "insufficient_funds")
	apply(t, e, 6, "declined", "insufficient_funds")
	for {
		event, data := s.next(t)
		if event != "live" {
			t.Fatalf("event %s %s before the decline was shown", event, data)
		}
		if strings.Contains(data, `data-status="payment_declined"`) {
			if !strings.Contains(data, "insufficient funds") {
				t.Errorf("decline does not explain itself:\n%s", data)
			}
			break
		}
	}
	if event, _ := s.next(t); event != "end" {
		t.Errorf("after the decline: %s, want end", event)
	}
}

func TestOrderEventsUnknown(t *testing.T) {
	e := newEnv(t)
	resp, _ := do(t, e, "GET", "/api/orders/nope/events", "", nil)
	if resp.StatusCode != 404 {
		t.Errorf("events of an unknown order = %d, want 404", resp.StatusCode)
	}
}

// TestRequestLatency: requests are measured by route and status.
func TestRequestLatency(t *testing.T) {
	e := newEnv(t)
	do(t, e, "GET", "/api/books", "", nil)
	do(t, e, "GET", "/api/orders/nope", "", nil)
	do(t, e, "GET", "/api/orders/ord-1", "", nil)
	families, err := e.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for _, f := range families {
		if f.GetName() != "bookshop_frontend_http_request_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			got[labels["route"]+" "+labels["code"]] = m.GetHistogram().GetSampleCount()
		}
	}
	want := map[string]uint64{"GET /api/books 200": 1, "GET /api/orders/{id} 404": 1, "GET /api/orders/{id} 200": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request latency samples (-want +got):\n%s", diff)
	}
}
