package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit"
)

// ErrNotFound is returned for a 404: the order (or saga) is not known (yet).
var ErrNotFound = errors.New("not found")

// Client talks to a running shop from outside, as a test or an operator
// would: it publishes messages to the broker and reads the HTTP APIs.
type Client struct {
	Publisher  *rabbit.Publisher
	AdminToken string
	URLs       map[string]string // base URL of each program's HTTP server
	HTTP       *http.Client
}

// NewClient returns a client publishing on amqpURL and reading the
// orchestrator's admin API at adminURL.
func NewClient(amqpURL, adminURL, token string) *Client {
	return &Client{
		Publisher:  rabbit.NewPublisher(rabbitConfig(amqpURL, "publisher"), slog.New(slog.DiscardHandler)),
		AdminToken: token,
		URLs:       map[string]string{"orchestrator": adminURL},
		HTTP: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			MaxIdleConns: 256, MaxIdleConnsPerHost: 128, IdleConnTimeout: 30 * time.Second,
		}},
	}
}

// Close closes the broker connection.
func (c *Client) Close() error { return c.Publisher.Close() }

// Publish sends envelopes to their queues with confirms, in batches.
func (c *Client) Publish(ctx context.Context, outs ...msg.Outgoing) error {
	ps := make([]rabbit.Publishing, 0, len(outs))
	for _, o := range outs {
		body, err := o.Envelope.Marshal()
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", o.Envelope.Type, o.Envelope.ID, err)
		}
		ps = append(ps, rabbit.Publishing{
			RoutingKey: o.To, MessageID: o.Envelope.ID, Type: o.Envelope.Type,
			CorrelationID: o.Envelope.CorrelationID, Body: body,
		})
	}
	return c.PublishRaw(ctx, ps...)
}

// PublishRaw sends publishings as they are, 256 in flight at a time.
func (c *Client) PublishRaw(ctx context.Context, ps ...rabbit.Publishing) error {
	for len(ps) > 0 {
		n := min(len(ps), 256)
		if err := c.Publisher.Publish(ctx, ps[:n]); err != nil {
			return err
		}
		ps = ps[n:]
	}
	return nil
}

// Place publishes the orders' StartPurchase envelopes to the orchestrator.
// Placing an order again publishes the very same message (same id): a
// duplicate delivery.
func (c *Client) Place(ctx context.Context, orders ...Order) error {
	outs := make([]msg.Outgoing, len(orders))
	for i, o := range orders {
		outs[i] = o.Envelope.To(msg.Orchestrator)
	}
	if err := c.Publish(ctx, outs...); err != nil {
		return fmt.Errorf("place %d orders: %w", len(orders), err)
	}
	return nil
}

// Cancel publishes a customer's CancelPurchase for the order.
func (c *Client) Cancel(ctx context.Context, orderID, reason string) error {
	env, err := msg.New(&msg.CancelPurchase{OrderID: orderID, Reason: reason, RequestedBy: "customer"}, orderID, "", time.Now())
	if err != nil {
		return err
	}
	return c.Publish(ctx, env.To(msg.Orchestrator))
}

// Saga reads one order's saga from the admin API.
func (c *Client) Saga(ctx context.Context, id string) (Saga, error) {
	var s Saga
	err := c.get(ctx, "orchestrator", "/admin/orders/"+url.PathEscape(id), true, &s)
	return s, err
}

// Stats reads the count of orders in each state.
func (c *Client) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	err := c.get(ctx, "orchestrator", "/admin/stats", true, &s)
	return s, err
}

// ListOrders reads one page of GET /admin/orders with the given query.
func (c *Client) ListOrders(ctx context.Context, q url.Values) (OrderList, error) {
	var l OrderList
	err := c.get(ctx, "orchestrator", "/admin/orders?"+q.Encode(), true, &l)
	return l, err
}

// Payments lists billing's gateway attempts for an order.
func (c *Client) Payments(ctx context.Context, orderID string) ([]Payment, error) {
	var ps []Payment
	err := c.get(ctx, "billing", "/payments?order_id="+url.QueryEscape(orderID), false, &ps)
	return ps, err
}

// Shipments lists fulfillment's shipments for an order.
func (c *Client) Shipments(ctx context.Context, orderID string) ([]Shipment, error) {
	var ss []Shipment
	err := c.get(ctx, "fulfillment", "/shipments?order_id="+url.QueryEscape(orderID), false, &ss)
	return ss, err
}

// Emails lists communication's emails for an order.
func (c *Client) Emails(ctx context.Context, orderID string) ([]Email, error) {
	var es []Email
	err := c.get(ctx, "communication", "/emails?order_id="+url.QueryEscape(orderID), false, &es)
	return es, err
}

// Stock reads fulfillment's stock levels.
func (c *Client) Stock(ctx context.Context) ([]Stock, error) {
	var ss []Stock
	err := c.get(ctx, "fulfillment", "/stock", false, &ss)
	return ss, err
}

// FrontendOrder reads the frontend's view of an order.
func (c *Client) FrontendOrder(ctx context.Context, id string) (FrontendOrder, error) {
	var o FrontendOrder
	err := c.get(ctx, "frontend", "/api/orders/"+url.PathEscape(id), false, &o)
	return o, err
}

// get fetches a JSON document; a 404 is ErrNotFound.
func (c *Client) get(ctx context.Context, program, path string, admin bool, out any) error {
	base, ok := c.URLs[program]
	if !ok {
		return fmt.Errorf("get %s%s: no URL for %s", program, path, program)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return fmt.Errorf("get %s%s: %w", program, path, err)
	}
	if admin {
		req.Header.Set("Authorization", "Bearer "+c.AdminToken)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("get %s%s: %w", program, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read %s%s: %w", program, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("get %s%s: %w", program, path, ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("get %s%s: status %d: %s", program, path, resp.StatusCode, bytes.TrimSpace(body))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode %s%s: %w (body %.300s)", program, path, err, body)
	}
	return nil
}

// Post sends a JSON body to a program and returns the status and body.
func (c *Client) Post(ctx context.Context, program, path string, admin bool, in any) (int, []byte, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URLs[program]+path, bytes.NewReader(raw))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if admin {
		req.Header.Set("Authorization", "Bearer "+c.AdminToken)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("post %s%s: %w", program, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// Checkout places the order through the frontend's customer API, as a
// browser would, and returns the frontend's order (its id is the frontend's,
// not o.OrderID).
func (c *Client) Checkout(ctx context.Context, o Order) (FrontendOrder, error) {
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
	status, raw, err := c.Post(ctx, "frontend", "/api/orders", false, body)
	if err != nil {
		return FrontendOrder{}, err
	}
	if status != http.StatusAccepted {
		return FrontendOrder{}, fmt.Errorf("post frontend/api/orders: status %d: %s", status, bytes.TrimSpace(raw))
	}
	var fo FrontendOrder
	if err := json.Unmarshal(raw, &fo); err != nil || fo.ID == "" {
		return fo, fmt.Errorf("decode frontend order %.300s: %v", raw, err)
	}
	return fo, nil
}
