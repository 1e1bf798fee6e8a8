package harness

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"bookshop/pkg/catalog"
	"bookshop/pkg/msg"
)

// Order is an order the harness placed: its StartPurchase and the envelope
// it was published in, kept so that placing it again is a true duplicate.
type Order struct {
	msg.StartPurchase
	Envelope msg.Envelope
}

// Line is one book and how many copies.
type Line struct {
	ISBN     string
	Quantity int
}

// OutOfStock is the catalog's title with no stock.
const OutOfStock = "9780451524935"

// NewOrder builds an order priced from the catalog.
func NewOrder(cat *catalog.Catalog, token string, lines ...Line) (Order, error) {
	id := msg.NewID()
	sp := msg.StartPurchase{
		OrderID:         id,
		Customer:        msg.Customer{Name: "Ada Lovelace", Email: "ada+" + strings.ToLower(id) + "@example.com"},
		Currency:        "EUR",
		PaymentToken:    token,
		ShippingAddress: msg.Address{Line1: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH", Country: "GB"},
		PlacedAt:        time.Now().UTC(),
	}
	for _, l := range lines {
		b, ok := cat.Book(l.ISBN)
		if !ok {
			return Order{}, fmt.Errorf("new order: isbn %s is not in the catalog", l.ISBN)
		}
		sp.Items = append(sp.Items, msg.Item{ISBN: b.ISBN, Title: b.Title, Author: b.Author, Quantity: l.Quantity, PriceCents: b.PriceCents})
		sp.TotalCents += b.PriceCents * int64(l.Quantity)
	}
	env, err := msg.New(&sp, id, "", time.Now())
	if err != nil {
		return Order{}, err
	}
	return Order{StartPurchase: sp, Envelope: env}, nil
}

// RandomLines picks one to three distinct books in stock, one or two copies
// each.
func RandomLines(cat *catalog.Catalog, rnd *rand.Rand) []Line {
	var inStock []string
	for _, b := range cat.Books {
		if b.Stock > 0 {
			inStock = append(inStock, b.ISBN)
		}
	}
	rnd.Shuffle(len(inStock), func(i, j int) { inStock[i], inStock[j] = inStock[j], inStock[i] })
	n := 1 + rnd.IntN(min(3, len(inStock)))
	lines := make([]Line, n)
	for i := range lines {
		lines[i] = Line{ISBN: inStock[i], Quantity: 1 + rnd.IntN(2)}
	}
	return lines
}

// Mix is a weighted choice of what an order is: a payment token, or the
// pseudo-token "out_of_stock" for a visa order that includes the title
// with no stock.
type Mix []struct {
	Kind   string
	Weight int
}

// ParseMix reads "tok_visa=90,tok_insufficient_funds=5,out_of_stock=5".
func ParseMix(s string) (Mix, error) {
	var m Mix
	for _, part := range strings.Split(s, ",") {
		kind, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		weight := 1
		if ok {
			if _, err := fmt.Sscan(w, &weight); err != nil || weight < 0 {
				return nil, fmt.Errorf("mix %q: bad weight %q", s, w)
			}
		}
		m = append(m, struct {
			Kind   string
			Weight int
		}{kind, weight})
	}
	return m, nil
}

// Random builds an order of a kind drawn from the mix.
func (m Mix) Random(cat *catalog.Catalog, rnd *rand.Rand) (Order, error) {
	total := 0
	for _, k := range m {
		total += k.Weight
	}
	if total == 0 {
		return Order{}, errors.New("mix has no weight")
	}
	r := rnd.IntN(total)
	kind := m[len(m)-1].Kind
	for _, k := range m {
		if r < k.Weight {
			kind = k.Kind
			break
		}
		r -= k.Weight
	}
	lines := RandomLines(cat, rnd)
	if kind == "out_of_stock" {
		return NewOrder(cat, "tok_visa", append(lines, Line{ISBN: OutOfStock, Quantity: 1})...)
	}
	return NewOrder(cat, kind, lines...)
}

// IDs returns the orders' ids.
func IDs(orders []Order) []string {
	ids := make([]string, len(orders))
	for i, o := range orders {
		ids[i] = o.OrderID
	}
	return ids
}

// WaitFor polls the saga of id every poll until ok holds, and returns the
// saga that satisfied it; on ctx's end it returns the last saga seen.
func (c *Client) WaitFor(ctx context.Context, id string, poll time.Duration, ok func(Saga) bool) (Saga, error) {
	var last Saga
	var lastErr error
	for {
		s, err := c.Saga(ctx, id)
		if err == nil {
			last, lastErr = s, nil
			if ok(s) {
				return s, nil
			}
		} else if ctx.Err() == nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return last, fmt.Errorf("order %s: %w (last error: %v)", id, ctx.Err(), lastErr)
			}
			return last, fmt.Errorf("order %s: %w", id, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// WaitTerminal polls every outstanding order, a few at a time, until all
// are in a terminal state or ctx ends; then the error describes the ones
// still outstanding. It returns the last saga seen of each order.
func (c *Client) WaitTerminal(ctx context.Context, ids []string, poll time.Duration) (map[string]Saga, error) {
	seen := make(map[string]Saga, len(ids))
	outstanding := slices.Clone(ids)
	for {
		var mu sync.Mutex
		var still []string
		parallel(ctx, outstanding, 8, func(id string) {
			s, err := c.Saga(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				seen[id] = s
			}
			if err != nil || !IsTerminal(s.State) {
				still = append(still, id)
			}
		})
		outstanding = still
		if len(outstanding) == 0 {
			return seen, nil
		}
		select {
		case <-ctx.Done():
			return seen, fmt.Errorf("%d of %d orders not terminal: %s", len(outstanding), len(ids), describe(outstanding, seen))
		case <-time.After(poll):
		}
	}
}

// describe summarises orders that are not finished: how many in each state,
// then the first few in detail.
func describe(ids []string, seen map[string]Saga) string {
	counts := map[string]int{}
	for _, id := range ids {
		state := "not started (404 or no answer)"
		if s, ok := seen[id]; ok {
			state = s.State + "/" + s.Step
		}
		counts[state]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, counts[k])
	}
	for i, id := range ids {
		if i == 10 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(ids)-10)
			break
		}
		s := seen[id]
		fmt.Fprintf(&b, "\n  %s state=%s step=%s attempts=%d next_attempt_at=%s stuck_since=%s last_error=%q events=%v",
			id, s.State, s.Step, s.Attempts, s.NextAttemptAt, s.StuckSince, s.LastError, s.Events())
	}
	return b.String()
}

// parallel runs f for each item, n at a time, skipping the rest once ctx
// is done.
func parallel[T any](ctx context.Context, items []T, n int, f func(T)) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(it)
		})
	}
	wg.Wait()
}
