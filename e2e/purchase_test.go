package e2e_test

import (
	"context"
	"testing"
	"time"

	"bookshop/e2e/harness"
	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
)

// Acceptance 1-3: the three outcomes of a purchase, each with exactly the
// money, shipment and email it should leave behind.
func TestPurchase(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	shop := harness.Start(t, harness.Options{})
	const algorithms, ddia = "9780262033848", "9781449373320"
	tests := []struct {
		name       string
		token      string
		lines      []harness.Line
		wantPath   []string
		wantStatus string // the frontend's word for it
		wantEmail  string
	}{
		{
			name: "visa completes", token: "tok_visa",
			lines:      []harness.Line{{ISBN: algorithms, Quantity: 1}, {ISBN: ddia, Quantity: 2}},
			wantPath:   []string{"charging_payment", "scheduling_delivery", "sending_confirmation", "completed"},
			wantStatus: "completed", wantEmail: msg.TemplateOrderConfirmed,
		},
		{
			name: "mastercard completes", token: "tok_mastercard",
			lines:      []harness.Line{{ISBN: ddia, Quantity: 1}},
			wantPath:   []string{"charging_payment", "scheduling_delivery", "sending_confirmation", "completed"},
			wantStatus: "completed", wantEmail: msg.TemplateOrderConfirmed,
		},
		{
			name: "insufficient funds is declined", token: "tok_insufficient_funds",
			lines:      []harness.Line{{ISBN: algorithms, Quantity: 1}},
			wantPath:   []string{"charging_payment", "sending_decline_notice", "declined"},
			wantStatus: "payment_declined", wantEmail: msg.TemplatePaymentDeclined,
		},
		{
			name: "card declined is declined", token: "tok_card_declined",
			lines:      []harness.Line{{ISBN: algorithms, Quantity: 1}},
			wantPath:   []string{"charging_payment", "sending_decline_notice", "declined"},
			wantStatus: "payment_declined", wantEmail: msg.TemplatePaymentDeclined,
		},
		{
			name: "unknown token is declined", token: "tok_no_such_card",
			lines:      []harness.Line{{ISBN: algorithms, Quantity: 1}},
			wantPath:   []string{"charging_payment", "sending_decline_notice", "declined"},
			wantStatus: "payment_declined", wantEmail: msg.TemplatePaymentDeclined,
		},
		{
			name: "no stock is cancelled and refunded", token: "tok_visa",
			lines:      []harness.Line{{ISBN: ddia, Quantity: 1}, {ISBN: harness.OutOfStock, Quantity: 1}},
			wantPath:   []string{"charging_payment", "scheduling_delivery", "refunding_payment", "sending_cancellation", "cancelled"},
			wantStatus: "cancelled", wantEmail: msg.TemplateOrderCancelled,
		},
	}
	orders := make([]harness.Order, len(tests))
	for i, tc := range tests {
		orders[i] = shop.MustOrder(t, tc.token, tc.lines...)
	}
	shop.MustPlace(t, orders...)
	sagas := shop.AwaitTerminal(t, orders, 60*time.Second)

	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, saga := orders[i], sagas[orders[i].OrderID]
			if diff := cmp.Diff(tc.wantPath, saga.Path()); diff != "" {
				t.Errorf("saga path (-want +got):\n%s\nhistory: %+v", diff, saga.History)
			}
			checkMoney(t, shop, o, tc.wantPath[len(tc.wantPath)-1])
			checkShipments(t, shop, o, tc.wantPath[len(tc.wantPath)-1] == "completed")
			checkEmails(t, shop, o, tc.wantEmail)
			checkFrontend(t, shop, o.OrderID, tc.wantStatus)
		})
	}
	shop.CheckInvariants(t, orders)
}

// checkMoney: completed → one charge of the total; declined → nothing
// moved; cancelled → one charge and one refund of the total.
func checkMoney(t *testing.T, shop *harness.Shop, o harness.Order, final string) {
	t.Helper()
	ps, err := shop.Payments(context.Background(), o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	type moved struct {
		Kind        string
		AmountCents int64
		Currency    string
	}
	var got []moved
	for _, p := range ps {
		if p.Status == "succeeded" {
			got = append(got, moved{p.Kind, p.AmountCents, p.Currency})
		}
	}
	charge := moved{"charge", o.TotalCents, "EUR"}
	want := map[string][]moved{
		"completed": {charge},
		"declined":  nil,
		"cancelled": {charge, {"refund", o.TotalCents, "EUR"}},
	}[final]
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("succeeded payments (-want +got):\n%s\nall rows: %+v", diff, ps)
	}
}

func checkShipments(t *testing.T, shop *harness.Shop, o harness.Order, wantScheduled bool) {
	t.Helper()
	ss, err := shop.Shipments(context.Background(), o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	var scheduled []harness.Shipment
	for _, s := range ss {
		if s.Status == "scheduled" {
			scheduled = append(scheduled, s)
		}
	}
	switch {
	case wantScheduled && (len(scheduled) != 1 || scheduled[0].TrackingID == "" || len(scheduled[0].ExpectedDate) != 10):
		t.Errorf("shipments %+v, want one scheduled with a tracking id and an expected date", ss)
	case !wantScheduled && len(scheduled) != 0:
		t.Errorf("shipments %+v, want none scheduled", ss)
	}
}

func checkEmails(t *testing.T, shop *harness.Shop, o harness.Order, template string) {
	t.Helper()
	es, err := shop.Emails(context.Background(), o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Template != template || es[0].To != o.Customer.Email {
		t.Errorf("emails %+v, want one %s to %s", es, template, o.Customer.Email)
	}
}

// checkFrontend waits for the frontend's view (it follows events) to show
// the customer's status.
func checkFrontend(t *testing.T, shop *harness.Shop, id, status string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := shop.FrontendOrder(context.Background(), id)
		if err == nil && v.Status == status {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("frontend view of %s: %+v (err %v), want status %q", id, v, err, status)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
