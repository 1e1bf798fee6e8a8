package e2e_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"bookshop/e2e/harness"
)

// Issue 4, acceptance 2 and 3: with communication stopped and retries
// short, orders end stuck at the email step and are listed as stuck. The
// emails sent meanwhile are lost (the queue purged), so only an operator
// moves them on once communication is back: retry completes one, cancel
// refunds another and tells its customer, resolve ends a third sending
// nothing. Each action is on the timeline with who and why.
func TestOperatorRepairsStuckOrders(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	shop := harness.Start(t, harness.Options{Env: fastRetries("3")})
	shop.Stop(t, "communication")
	retried := shop.MustOrder(t, "tok_visa", harness.Line{ISBN: "9780134190440", Quantity: 1})
	cancelled := shop.MustOrder(t, "tok_visa", harness.Line{ISBN: "9780262033848", Quantity: 1})
	resolved := shop.MustOrder(t, "tok_card_declined", harness.Line{ISBN: "9780134190440", Quantity: 1})
	shop.MustPlace(t, retried, cancelled, resolved)
	awaitStuck(t, shop, retried.OrderID, "sending_confirmation")
	awaitStuck(t, shop, cancelled.OrderID, "sending_confirmation")
	awaitStuck(t, shop, resolved.OrderID, "sending_decline_notice")
	listed := stuckList(t, shop)
	for _, o := range []harness.Order{retried, cancelled, resolved} {
		if !slices.Contains(listed, o.OrderID) {
			t.Errorf("GET /admin/orders?stuck=true lists %v, not %s", listed, o.OrderID)
		}
	}
	if err := harness.PurgeQueue(shop.AMQPURL, "communication"); err != nil {
		t.Fatal(err)
	}
	shop.Start(t, "communication")

	t.Run("retry completes it", func(t *testing.T) { retryCompletes(t, shop, retried) })
	t.Run("cancel refunds and tells the customer", func(t *testing.T) { cancelRefunds(t, shop, cancelled) })
	t.Run("resolve ends it sending nothing", func(t *testing.T) { resolveSendsNothing(t, shop, resolved) })
	// The resolved order is no invariant's business: it ended by hand.
	shop.CheckInvariants(t, []harness.Order{retried, cancelled})
}

func awaitStuck(t *testing.T, shop *harness.Shop, id, step string) {
	t.Helper()
	s := shop.AwaitSaga(t, id, 30*time.Second, "stuck at "+step, func(s harness.Saga) bool { return s.State == "stuck" })
	if s.Step != step || s.StuckSince == "" || s.Count("timeout") < 2 {
		t.Fatalf("order %s stuck at %s since %q after %d timeouts, want stuck at %s after 2 (events %v)",
			id, s.Step, s.StuckSince, s.Count("timeout"), step, s.Events())
	}
}

func stuckList(t *testing.T, shop *harness.Shop) []string {
	t.Helper()
	l, err := shop.ListOrders(context.Background(), url.Values{"stuck": {"true"}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range l.Orders {
		ids = append(ids, o.ID)
	}
	return ids
}

func retryCompletes(t *testing.T, shop *harness.Shop, o harness.Order) {
	ctx := context.Background()
	a, err := shop.AdminAction(ctx, o.OrderID, "retry", "communication is back", "Grace")
	if err != nil || a.Status != 202 {
		t.Fatalf("retry: %v %v", a, err)
	}
	shop.AwaitSaga(t, o.OrderID, 30*time.Second, "completed", func(s harness.Saga) bool { return s.State == "completed" })
	h, err := shop.AdminHistory(ctx, o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	var action *harness.AdminHistoryEntry
	for i, e := range h {
		events = append(events, e.Event)
		if e.Event == "retry" {
			action = &h[i]
		}
	}
	if action == nil || action.By != "Grace (admin)" || action.Reason != "communication is back" || action.At == "" ||
		action.From != "stuck" || action.To != "sending_confirmation" {
		t.Fatalf("the timeline does not show the operator's retry with who, when and why: %+v", h)
	}
	if n := countOf(events, "timeout"); n < 2 || countOf(events, "gave_up") != 1 {
		t.Errorf("the timeline shows %d timeouts and %d gave_up, want the step's retries and giving up: %v", n, countOf(events, "gave_up"), events)
	}
	i := slices.Index(events, "retry")
	if tail := events[i:]; len(tail) < 3 || tail[1] != "command" || tail[len(tail)-1] != "confirmation_sent" {
		t.Errorf("after the retry the timeline shows %v, want the command sent again, then its reply", tail)
	}
	t.Logf("timeline of %s: %v", o.OrderID, events)
}

func cancelRefunds(t *testing.T, shop *harness.Shop, o harness.Order) {
	ctx := context.Background()
	if a, err := shop.AdminAction(ctx, o.OrderID, "cancel", "customer called: the books are no longer wanted", "Grace"); err != nil || a.Status != 202 {
		t.Fatalf("cancel: %v %v", a, err)
	}
	s := shop.AwaitSaga(t, o.OrderID, 30*time.Second, "cancelled", func(s harness.Saga) bool { return s.State == "cancelled" })
	if got := s.Path(); !slices.Contains(got, "cancelling_delivery") || !slices.Contains(got, "refunding_payment") {
		t.Errorf("path %v, want it through cancelling_delivery and refunding_payment", got)
	}
	var charged, refunded int64
	ps, err := shop.Payments(ctx, o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Status == "succeeded" && p.Kind == "charge" {
			charged += p.AmountCents
		} else if p.Status == "succeeded" && p.Kind == "refund" {
			refunded += p.AmountCents
		}
	}
	if charged != o.TotalCents || refunded != charged {
		t.Errorf("charged %d, refunded %d, want %d each", charged, refunded, o.TotalCents)
	}
	if got := templates(t, shop, o.OrderID); !slices.Equal(got, []string{"order_cancelled"}) {
		t.Errorf("the customer got %v, want [order_cancelled]", got)
	}
}

func resolveSendsNothing(t *testing.T, shop *harness.Shop, o harness.Order) {
	ctx := context.Background()
	a, err := shop.AdminAction(ctx, o.OrderID, "cancel", "try", "Grace")
	if err != nil || a.Status != 409 || !strings.Contains(string(a.Body), "nothing was charged") {
		t.Errorf("cancel of a declined order: %v %v, want 409 explaining nothing was charged", a, err)
	}
	before := mustSaga(t, shop, o.OrderID)
	a, err = shop.AdminAction(ctx, o.OrderID, "resolve", "decline notice sent by hand", "Grace")
	if err != nil || a.Status != 202 {
		t.Fatalf("resolve: %v %v", a, err)
	}
	waitQuiet(t, shop)
	after := mustSaga(t, shop, o.OrderID)
	if after.State != "resolved" || len(after.History) != len(before.History)+1 || after.History[len(after.History)-1].Event != "resolve" {
		t.Errorf("after resolve: state %s, new entries %v", after.State, after.Events()[len(before.History):])
	}
	if got := templates(t, shop, o.OrderID); len(got) != 0 {
		t.Errorf("the customer got %v after resolve, want nothing", got)
	}
	if ps, _ := shop.Payments(ctx, o.OrderID); slices.ContainsFunc(ps, func(p harness.Payment) bool { return p.Status == "succeeded" }) {
		t.Errorf("money moved for a declined, resolved order: %+v", ps)
	}
	shop.AwaitSaga(t, o.OrderID, 5*time.Second, "resolved", func(s harness.Saga) bool { return s.State == "resolved" })
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		v, err := shop.FrontendOrder(ctx, o.OrderID)
		if err == nil && v.State == "resolved" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the frontend shows %+v (%v), want resolved: the status change is the one message resolve sends", v, err)
		}
	}
	if a, _ := shop.AdminAction(ctx, o.OrderID, "retry", "again", ""); a.Status != 409 {
		t.Errorf("retry of a resolved order: %v, want 409", a)
	}
}

func templates(t *testing.T, shop *harness.Shop, id string) []string {
	t.Helper()
	es, err := shop.Emails(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Template)
	}
	return out
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
