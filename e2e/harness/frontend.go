package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"bookshop/pkg/msg"
)

// The frontend's customer API as a browser uses it: checkout with an
// Idempotency-Key, the order, cancel, the pages and /metrics.

// FrontendView is the frontend's GET /api/orders/{id} in full.
type FrontendView struct {
	ID            string       `json:"id"`
	Status        string       `json:"status"`
	State         string       `json:"state"`
	Items         []msg.Item   `json:"items"`
	TotalCents    int64        `json:"total_cents"`
	Currency      string       `json:"currency"`
	Customer      msg.Customer `json:"customer"`
	Delivery      Delivery     `json:"delivery"`
	FailureReason string       `json:"failure_reason"`
	CanCancel     bool         `json:"can_cancel"`
	CreatedAt     Text         `json:"created_at"`
	UpdatedAt     Text         `json:"updated_at"`
}

// Delivery is the delivery part of the frontend's order.
type Delivery struct {
	ExpectedDate string `json:"expected_date"`
	TrackingID   string `json:"tracking_id"`
}

// Answer is one HTTP answer: status, headers, body, and how long it took.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
	Took   time.Duration
}

func (a Answer) String() string {
	return fmt.Sprintf("%d after %v: %.400s", a.Status, a.Took.Round(time.Millisecond), bytes.TrimSpace(a.Body))
}

// CheckoutBody is the JSON body of POST /api/orders for the order: its
// customer, books, token and address (no prices: the frontend takes them
// from the catalog).
func CheckoutBody(o Order) []byte {
	type item struct {
		ISBN     string `json:"isbn"`
		Quantity int    `json:"quantity"`
	}
	body := struct {
		Customer        msg.Customer      `json:"customer"`
		Items           []item            `json:"items"`
		Payment         map[string]string `json:"payment"`
		ShippingAddress msg.Address       `json:"shipping_address"`
	}{Customer: o.Customer, Payment: map[string]string{"token": o.PaymentToken}, ShippingAddress: o.ShippingAddress}
	for _, it := range o.Items {
		body.Items = append(body.Items, item{it.ISBN, it.Quantity})
	}
	raw, err := json.Marshal(body)
	if err != nil {
		panic(err) // plain strings and ints always marshal
	}
	return raw
}

// FrontendCheckout sends POST /api/orders with the body, and the
// Idempotency-Key unless key is empty, and returns the answer whatever its
// status.
func (c *Client) FrontendCheckout(ctx context.Context, body []byte, key string) (Answer, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	if key != "" {
		h.Set("Idempotency-Key", key)
	}
	return c.do(ctx, http.MethodPost, "/api/orders", h, body)
}

// FrontendCancel sends the customer's POST /api/orders/{id}/cancel with a
// reason.
func (c *Client) FrontendCancel(ctx context.Context, id, reason string) (Answer, error) {
	body, err := json.Marshal(map[string]string{"reason": reason})
	if err != nil {
		return Answer{}, err
	}
	h := http.Header{"Content-Type": {"application/json"}}
	return c.do(ctx, http.MethodPost, "/api/orders/"+url.PathEscape(id)+"/cancel", h, body)
}

// FrontendGet fetches a path of the frontend (a page, /metrics) as it is.
func (c *Client) FrontendGet(ctx context.Context, path string) (Answer, error) {
	return c.do(ctx, http.MethodGet, path, nil, nil)
}

// FrontendView reads the frontend's order; a 404 is ErrNotFound.
func (c *Client) FrontendView(ctx context.Context, id string) (FrontendView, error) {
	var v FrontendView
	err := c.get(ctx, "frontend", "/api/orders/"+url.PathEscape(id), false, &v)
	return v, err
}

func (c *Client) do(ctx context.Context, method, path string, h http.Header, body []byte) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.URLs["frontend"]+path, bytes.NewReader(body))
	if err != nil {
		return Answer{}, err
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	start := time.Now()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("%s frontend%s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	a := Answer{Status: resp.StatusCode, Header: resp.Header, Body: raw, Took: time.Since(start)}
	if err != nil {
		return a, fmt.Errorf("read %s frontend%s: %w", method, path, err)
	}
	return a, nil
}

// Metric reads the value of a sample without labels (a gauge such as
// bookshop_outbox_backlog) from a program's /metrics.
func (c *Client) Metric(ctx context.Context, program, name string) (float64, error) {
	base, ok := c.URLs[program]
	if !ok {
		return 0, fmt.Errorf("metric %s: no URL for %s", name, program)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, fmt.Errorf("get %s/metrics: %w", program, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("get %s/metrics: status %d", program, resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == name {
			return strconv.ParseFloat(f[1], 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read %s/metrics: %w", program, err)
	}
	return 0, fmt.Errorf("%s/metrics has no sample %s", program, name)
}

// The methods below are for tests, like those of testing.go: each fails the
// test it is given, so call them from that test's own goroutine.

// MustCheckout places the order through POST /api/orders with the
// Idempotency-Key (none if empty), requires a 202 for a new order, shown
// `accepted`, at the Location it names and priced from the catalog, and
// returns the order under the frontend's id with the view it answered.
func (s *Shop) MustCheckout(t testing.TB, o Order, key string) (Order, FrontendView) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := s.FrontendCheckout(ctx, CheckoutBody(o), key)
	if err != nil {
		t.Fatal(err)
	}
	v, err := AcceptedOrder(a)
	if err != nil {
		t.Fatalf("checkout with Idempotency-Key %q: %v", key, err)
	}
	if v.Status != "accepted" || v.TotalCents != o.TotalCents || v.Currency != o.Currency {
		t.Errorf("checkout answered status %q, total %d %s; want accepted, %d %s (the catalog's prices)",
			v.Status, v.TotalCents, v.Currency, o.TotalCents, o.Currency)
	}
	o.OrderID = v.ID
	return o, v
}

// AcceptedOrder reads a checkout's 202 and its order, and checks that the
// Location header names it.
func AcceptedOrder(a Answer) (FrontendView, error) {
	var v FrontendView
	if a.Status != http.StatusAccepted {
		return v, fmt.Errorf("answer %v, want 202", a)
	}
	if err := json.Unmarshal(a.Body, &v); err != nil || v.ID == "" {
		return v, fmt.Errorf("202 without an order (%v): %.300s", err, a.Body)
	}
	if loc := a.Header.Get("Location"); loc != "/api/orders/"+v.ID {
		return v, fmt.Errorf("202 for order %s with Location %q, want /api/orders/%s", v.ID, loc, v.ID)
	}
	return v, nil
}

// AwaitView polls the frontend's view of the order until ok holds (what
// describes it) and returns that view; after timeout it fails the test
// with the last view seen and the saga.
func (s *Shop) AwaitView(t testing.TB, id string, timeout time.Duration, what string, ok func(FrontendView) bool) FrontendView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last FrontendView
	var lastErr error
	for {
		v, err := s.FrontendView(ctx, id)
		if err == nil {
			last, lastErr = v, nil
			if ok(v) {
				return v
			}
		} else if ctx.Err() == nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			saga, serr := s.Saga(context.Background(), id)
			t.Fatalf("frontend view of %s never %s within %v: last view status=%q state=%q failure_reason=%q (error %v); saga state=%s events=%v (error %v)",
				id, what, timeout, last.Status, last.State, last.FailureReason, lastErr, saga.State, saga.Events(), serr)
			return last
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// AwaitStatuses waits until the frontend shows every order with the
// customer status want, and fails the test with the outstanding orders
// (their views and sagas) after timeout.
func (s *Shop) AwaitStatuses(t testing.TB, orders []Order, want string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	outstanding := IDs(orders)
	views := map[string]FrontendView{}
	for len(outstanding) > 0 {
		var still []string
		for _, id := range outstanding {
			v, err := s.FrontendView(ctx, id)
			if err == nil {
				views[id] = v
			}
			if err != nil || v.Status != want {
				still = append(still, id)
			}
		}
		if outstanding = still; len(outstanding) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("after %v, %d of %d orders not %s in the frontend: %s", timeout, len(outstanding), len(orders), want,
				s.describeViews(outstanding, views))
		case <-time.After(500 * time.Millisecond):
		}
	}
	t.Logf("%d orders %s in the frontend after %v", len(orders), want, time.Since(start).Round(time.Millisecond))
}

// describeViews: how many orders in each frontend status/state, then the
// first few with their sagas.
func (s *Shop) describeViews(ids []string, views map[string]FrontendView) string {
	counts := map[string]int{}
	for _, id := range ids {
		v := views[id]
		counts[v.Status+"/"+v.State]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%v", counts)
	for i, id := range ids {
		if i == 5 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(ids)-5)
			break
		}
		saga, err := s.Saga(context.Background(), id)
		fmt.Fprintf(&b, "\n  %s view status=%q state=%q; saga state=%q step=%q events=%v (error %v)",
			id, views[id].Status, views[id].State, saga.State, saga.Step, saga.Events(), err)
	}
	return b.String()
}

// AwaitMetric polls a program's unlabelled metric until it equals want,
// and fails the test with the last value after timeout.
func (s *Shop) AwaitMetric(t testing.TB, program, name string, want float64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		got, err := s.Metric(ctx, program, name)
		cancel()
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s is %v (error %v) after %v, want %v", program, name, got, err, timeout, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
