package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// The orchestrator's admin side as an operator uses it (issue 4): actions
// on orders, the timeline with who and why, and the dead letters.

// AdminAnswer is one response of the admin API.
type AdminAnswer struct {
	Status int
	Header http.Header
	Body   []byte
}

func (a AdminAnswer) String() string { return fmt.Sprintf("%d %s", a.Status, bytes.TrimSpace(a.Body)) }

// AdminCall makes one request to the admin API with the shop's token; body,
// if not nil, is sent as JSON; headers are name, value pairs.
func (c *Client) AdminCall(ctx context.Context, method, path string, body any, headers ...string) (AdminAnswer, error) {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return AdminAnswer{}, err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URLs["orchestrator"]+path, r)
	if err != nil {
		return AdminAnswer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.AdminToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return AdminAnswer{}, fmt.Errorf("%s orchestrator%s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return AdminAnswer{Status: resp.StatusCode, Header: resp.Header, Body: raw}, err
}

// AdminAction asks for an operator's action (retry, cancel, resolve) on an
// order, with a reason, as operator (the X-Operator header; none if empty).
func (c *Client) AdminAction(ctx context.Context, id, action, reason, operator string) (AdminAnswer, error) {
	return c.AdminCall(ctx, http.MethodPost, "/admin/orders/"+url.PathEscape(id)+"/"+action,
		map[string]string{"reason": reason}, "X-Operator", operator)
}

// AdminHistoryEntry is a timeline entry with the operator's who and why.
type AdminHistoryEntry struct {
	HistoryEntry
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// AdminHistory reads an order's timeline.
func (c *Client) AdminHistory(ctx context.Context, id string) ([]AdminHistoryEntry, error) {
	var s struct {
		History []AdminHistoryEntry `json:"history"`
	}
	err := c.get(ctx, "orchestrator", "/admin/orders/"+url.PathEscape(id), true, &s)
	return s.History, err
}

// AdminDeadLetter is one row of GET /admin/dead-letters.
type AdminDeadLetter struct {
	ID             string `json:"id"`
	Queue          string `json:"queue"`
	OriginalQueue  string `json:"original_queue"`
	MessageID      string `json:"message_id"`
	Type           string `json:"type"`
	CorrelationID  string `json:"correlation_id"`
	Reason         string `json:"reason"`
	DeadLetteredAt Text   `json:"dead_lettered_at"`
	Size           int    `json:"size"`
	Preview        string `json:"preview"`
}

// AdminDeadLetters lists the dead letters and counts them per queue.
func (c *Client) AdminDeadLetters(ctx context.Context) ([]AdminDeadLetter, map[string]int, error) {
	var l struct {
		DeadLetters []AdminDeadLetter `json:"dead_letters"`
		Queues      map[string]int    `json:"queues"`
	}
	err := c.get(ctx, "orchestrator", "/admin/dead-letters", true, &l)
	return l.DeadLetters, l.Queues, err
}

// MustAdmin makes an admin API call and requires the status.
func (s *Shop) MustAdmin(t testing.TB, want int, method, path string, body any, headers ...string) AdminAnswer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := s.AdminCall(ctx, method, path, body, headers...)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != want {
		t.Fatalf("%s %s = %s, want %d", method, path, a, want)
	}
	return a
}

// AwaitDeadLetter waits until the dead letters hold one that ok accepts,
// and returns it.
func (s *Shop) AwaitDeadLetter(t testing.TB, timeout time.Duration, what string, ok func(AdminDeadLetter) bool) AdminDeadLetter {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last []AdminDeadLetter
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		last, _, lastErr = s.AdminDeadLetters(ctx)
		cancel()
		for _, d := range last {
			if ok(d) {
				return d
			}
		}
		time.Sleep(200 * time.Millisecond) // polling, not an assertion
	}
	t.Fatalf("no dead letter %s within %v; last listed %+v (%v)", what, timeout, last, lastErr)
	return AdminDeadLetter{}
}
