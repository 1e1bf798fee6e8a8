package harness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"bookshop/pkg/catalog"
	"bookshop/pkg/msg"
)

// Evidence is everything the shop says about one order.
type Evidence struct {
	Saga      Saga
	Payments  []Payment
	Shipments []Shipment
	Emails    []Email
}

// Report is the result of Check.
type Report struct {
	Outcomes map[string]int // orders by final saga state
	Problems []string       // every broken invariant, one line each
	Orders   map[string]Evidence
	Timeouts int // retry entries in all the histories
}

// Summary is one line: outcomes, then retries.
func (r Report) Summary() string {
	keys := make([]string, 0, len(r.Outcomes))
	for k := range r.Outcomes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, r.Outcomes[k])
	}
	fmt.Fprintf(&b, "(timeouts in histories: %d, problems: %d)", r.Timeouts, len(r.Problems))
	return b.String()
}

// Check gathers the evidence of every order and checks the invariants of
// issue 2: every order terminal; no order charged twice; a charged order
// either completed with its shipment or cancelled and refunded in full; a
// declined order neither charged nor shipped; exactly one final email of
// the right template; the outcome the token and the stock allow; stock
// neither created nor lost, and reserved exactly for completed orders.
func (c *Client) Check(ctx context.Context, cat *catalog.Catalog, orders []Order) (Report, error) {
	r := Report{Outcomes: map[string]int{}, Orders: make(map[string]Evidence, len(orders))}
	var mu sync.Mutex
	var errs []error
	parallel(ctx, orders, 8, func(o Order) {
		e, err := c.evidence(ctx, o.OrderID)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			return
		}
		r.Orders[o.OrderID] = e
	})
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return r, err
	}
	for _, o := range orders {
		e := r.Orders[o.OrderID]
		r.Outcomes[e.Saga.State]++
		r.Timeouts += e.Saga.Count("timeout")
		r.Problems = append(r.Problems, checkOrder(o, e)...)
	}
	stock, err := c.Stock(ctx)
	if err != nil {
		return r, err
	}
	r.Problems = append(r.Problems, checkStock(cat, orders, r.Orders, stock)...)
	return r, nil
}

func (c *Client) evidence(ctx context.Context, id string) (Evidence, error) {
	var e Evidence
	var err error
	if e.Saga, err = c.Saga(ctx, id); errors.Is(err, ErrNotFound) {
		e.Saga = Saga{ID: id, State: "unknown to the orchestrator"}
	} else if err != nil {
		return e, err
	}
	if e.Payments, err = c.Payments(ctx, id); err != nil {
		return e, err
	}
	if e.Shipments, err = c.Shipments(ctx, id); err != nil {
		return e, err
	}
	e.Emails, err = c.Emails(ctx, id)
	return e, err
}

// finalEmail is the one email each terminal state sends.
var finalEmail = map[string]string{
	"completed": msg.TemplateOrderConfirmed,
	"declined":  msg.TemplatePaymentDeclined,
	"cancelled": msg.TemplateOrderCancelled,
}

// problems collects one order's broken invariants, each line naming it.
type problems struct {
	o     Order
	state string
	list  []string
}

func (p *problems) bad(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf("order %s (%s, %s): ", p.o.OrderID, p.o.PaymentToken, p.state)+fmt.Sprintf(format, args...))
}

// tally is what moved for one order.
type tally struct {
	charges           int
	charged, refunded int64
	scheduled         int
}

// checkOrder returns the invariants one order breaks.
func checkOrder(o Order, e Evidence) []string {
	p := &problems{o: o, state: e.Saga.State}
	if !IsTerminal(p.state) || p.state == "resolved" {
		p.bad("not finished by itself: step=%s attempts=%d last_error=%q", e.Saga.Step, e.Saga.Attempts, e.Saga.LastError)
	}
	var t tally
	t.charges, t.charged = succeeded(e.Payments, "charge")
	_, t.refunded = succeeded(e.Payments, "refund")
	for _, s := range e.Shipments {
		if s.Status == "scheduled" {
			t.scheduled++
		}
	}
	if t.charges > 1 {
		p.bad("charged %d times: %+v", t.charges, e.Payments)
	}
	if t.charges == 1 && t.charged != o.TotalCents {
		p.bad("charged %d cents, the order's total is %d", t.charged, o.TotalCents)
	}
	if t.refunded > t.charged {
		p.bad("refunded %d cents of %d charged", t.refunded, t.charged)
	}
	if t.scheduled > 1 {
		p.bad("%d shipments scheduled", t.scheduled)
	}
	p.checkFinal(e, t)
	return append(p.list, checkOutcome(o, p.state)...)
}

// checkFinal: what each terminal state must leave behind in money, goods
// and mail.
func (p *problems) checkFinal(e Evidence, t tally) {
	switch p.state {
	case "completed":
		if t.charges != 1 || t.refunded != 0 || t.scheduled != 1 {
			p.bad("completed with %d charges, %d cents refunded, %d scheduled shipments (want 1, 0, 1)", t.charges, t.refunded, t.scheduled)
		}
	case "declined":
		if t.charges != 0 || len(e.Shipments) != 0 {
			p.bad("declined with %d charges and %d shipments (want none)", t.charges, len(e.Shipments))
		}
	case "cancelled":
		if t.refunded != t.charged || t.scheduled != 0 {
			p.bad("cancelled with %d cents charged, %d refunded, %d shipments still scheduled (want all refunded, none scheduled)", t.charged, t.refunded, t.scheduled)
		}
	}
	if want, ok := finalEmail[p.state]; ok {
		var got []string
		for _, m := range e.Emails {
			got = append(got, m.Template)
		}
		if len(got) != 1 || got[0] != want {
			p.bad("emails %v, want exactly [%s]", got, want)
		}
	}
}

// checkOutcome: the token and the stock decide what an order may end as.
// An approved order in stock may still be cancelled (its retries ran out
// while a worker was down), never declined.
func checkOutcome(o Order, state string) []string {
	approved := o.PaymentToken == "tok_visa" || o.PaymentToken == "tok_mastercard"
	noStock := slices.ContainsFunc(o.Items, func(it msg.Item) bool { return it.ISBN == OutOfStock })
	var allowed []string
	switch {
	case !approved:
		allowed = []string{"declined", "cancelled"}
	case noStock:
		allowed = []string{"cancelled"}
	default:
		allowed = []string{"completed", "cancelled"}
	}
	if IsTerminal(state) && !slices.Contains(allowed, state) {
		return []string{fmt.Sprintf("order %s (%s, out of stock: %v) ended %s, want one of %v", o.OrderID, o.PaymentToken, noStock, state, allowed)}
	}
	return nil
}

func succeeded(ps []Payment, kind string) (n int, cents int64) {
	for _, p := range ps {
		if p.Kind == kind && p.Status == "succeeded" {
			n++
			cents += p.AmountCents
		}
	}
	return n, cents
}

// checkStock: per title, available+reserved is the catalog's stock, and
// reserved is what the completed orders hold.
func checkStock(cat *catalog.Catalog, orders []Order, ev map[string]Evidence, stock []Stock) []string {
	want := map[string]int{}
	for _, o := range orders {
		if ev[o.OrderID].Saga.State != "completed" {
			continue
		}
		for _, it := range o.Items {
			want[it.ISBN] += it.Quantity
		}
	}
	got := map[string]Stock{}
	for _, s := range stock {
		got[s.ISBN] = s
	}
	var p []string
	for _, b := range cat.Books {
		s, ok := got[b.ISBN]
		switch {
		case !ok:
			p = append(p, fmt.Sprintf("stock of %s: not listed by GET /stock", b.ISBN))
		case s.Available+s.Reserved != b.Stock:
			p = append(p, fmt.Sprintf("stock of %s: available %d + reserved %d != %d in the catalog", b.ISBN, s.Available, s.Reserved, b.Stock))
		case s.Reserved != want[b.ISBN]:
			p = append(p, fmt.Sprintf("stock of %s: reserved %d, completed orders hold %d", b.ISBN, s.Reserved, want[b.ISBN]))
		}
	}
	return p
}

// CheckFrontend compares the frontend's view of each order with its saga
// and returns the orders where they differ.
func (c *Client) CheckFrontend(ctx context.Context, sagas map[string]Saga) []string {
	var mu sync.Mutex
	var p []string
	ids := make([]string, 0, len(sagas))
	for id := range sagas {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	parallel(ctx, ids, 8, func(id string) {
		v, err := c.FrontendOrder(ctx, id)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			p = append(p, fmt.Sprintf("frontend view of %s: %v", id, err))
		case v.State != sagas[id].State:
			p = append(p, fmt.Sprintf("frontend view of %s: state %q status %q, saga is %q", id, v.State, v.Status, sagas[id].State))
		}
	})
	sort.Strings(p)
	return p
}
