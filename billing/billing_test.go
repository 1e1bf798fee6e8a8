package billing_test

import (
	"fmt"
	"strings"
	"testing"

	"bookshop/billing"
	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// step is one command and what billing must answer.
type step struct {
	cmd     msg.Message
	want    msg.Message // the reply, payment_id aside
	wantErr string      // instead of a reply: a permanent error containing this
	// samePaymentAs is the index of an earlier step whose reply must carry
	// the same payment id (-1: none).
	samePaymentAs int
}

func ok(cmd, want msg.Message) step { return step{cmd: cmd, want: want, samePaymentAs: -1} }

func same(cmd, want msg.Message, as int) step { return step{cmd: cmd, want: want, samePaymentAs: as} }

func fails(cmd msg.Message, wantErr string) step {
	return step{cmd: cmd, wantErr: wantErr, samePaymentAs: -1}
}

func charged(amount int64) *msg.PaymentCharged {
	return &msg.PaymentCharged{OrderID: order, AmountCents: amount, Currency: "GBP"}
}

func declined(reason string) *msg.PaymentDeclined {
	return &msg.PaymentDeclined{OrderID: order, Reason: reason}
}

func refunded(amount int64) *msg.PaymentRefunded {
	return &msg.PaymentRefunded{OrderID: order, AmountCents: amount, Currency: "GBP"}
}

var (
	visaCharge     = ledgerRow{billing.KindCharge, billing.StatusSucceeded, 1250, "", "tok_visa"}
	visaAtGateway  = gatewayRow{"charge:" + order, true, "", 1250, 1}
	noopRefund     = ledgerRow{billing.KindRefund, billing.StatusSucceeded, 0, billing.ReasonNothingCharged, ""}
	refundedLedger = func(amount int64) ledgerRow {
		return ledgerRow{billing.KindRefund, billing.StatusSucceeded, amount, "", ""}
	}
	refundAtGateway = func(amount int64) gatewayRow { return gatewayRow{"refund:" + order, true, "", amount, 1} }
)

func TestRules(t *testing.T) {
	tests := []struct {
		name    string
		steps   []step
		ledger  []ledgerRow
		gateway []gatewayRow
	}{
		{"tok_visa is charged", []step{ok(charge("tok_visa"), charged(1250))},
			[]ledgerRow{visaCharge}, []gatewayRow{visaAtGateway}},
		{"tok_mastercard is charged", []step{ok(charge("tok_mastercard"), charged(1250))},
			[]ledgerRow{{billing.KindCharge, billing.StatusSucceeded, 1250, "", "tok_mastercard"}},
			[]gatewayRow{visaAtGateway}},
		{"tok_insufficient_funds is declined", []step{ok(charge("tok_insufficient_funds"), declined("insufficient_funds"))},
			[]ledgerRow{{billing.KindCharge, billing.StatusDeclined, 1250, "insufficient_funds", "tok_insufficient_funds"}},
			[]gatewayRow{{"charge:" + order, false, "insufficient_funds", 1250, 1}}},
		{"tok_card_declined is declined", []step{ok(charge("tok_card_declined"), declined("card_declined"))},
			[]ledgerRow{{billing.KindCharge, billing.StatusDeclined, 1250, "card_declined", "tok_card_declined"}},
			[]gatewayRow{{"charge:" + order, false, "card_declined", 1250, 1}}},
		{"another token is an invalid_token", []step{ok(charge("tok_amex"), declined("invalid_token"))},
			[]ledgerRow{{billing.KindCharge, billing.StatusDeclined, 1250, "invalid_token", "tok_amex"}},
			[]gatewayRow{{"charge:" + order, false, "invalid_token", 1250, 1}}},
		{"a new charge command of a charged order answers with the charge, without the gateway",
			[]step{ok(charge("tok_visa"), charged(1250)), same(charge("tok_visa"), charged(1250), 0)},
			[]ledgerRow{visaCharge}, []gatewayRow{visaAtGateway}},
		{"a refund gives back the whole charge",
			[]step{ok(charge("tok_visa"), charged(1250)), ok(refund(1250), refunded(1250))},
			[]ledgerRow{visaCharge, refundedLedger(1250)}, []gatewayRow{visaAtGateway, refundAtGateway(1250)}},
		{"a refund never gives back more than was charged",
			[]step{ok(charge("tok_visa"), charged(1250)), ok(refund(9999), refunded(1250))},
			[]ledgerRow{visaCharge, refundedLedger(1250)}, []gatewayRow{visaAtGateway, refundAtGateway(1250)}},
		{"a second refund answers with the first",
			[]step{ok(charge("tok_visa"), charged(1250)), ok(refund(500), refunded(500)), same(refund(1250), refunded(500), 1)},
			[]ledgerRow{visaCharge, refundedLedger(500)}, []gatewayRow{visaAtGateway, refundAtGateway(500)}},
		{"a refund of nothing is a no-op and blocks a later charge",
			[]step{ok(refund(1250), refunded(0)), ok(charge("tok_visa"), declined("order_cancelled"))},
			[]ledgerRow{noopRefund}, nil},
		{"a second refund of nothing answers with the first",
			[]step{ok(refund(1250), refunded(0)), same(refund(1250), refunded(0), 0)},
			[]ledgerRow{noopRefund}, nil},
		{"a refund after a declined charge is a no-op",
			[]step{ok(charge("tok_card_declined"), declined("card_declined")), ok(refund(1250), refunded(0))},
			[]ledgerRow{{billing.KindCharge, billing.StatusDeclined, 1250, "card_declined", "tok_card_declined"}, noopRefund},
			[]gatewayRow{{"charge:" + order, false, "card_declined", 1250, 1}}},
		{"a refund in another currency than the charge is dead-lettered",
			[]step{ok(charge("tok_visa"), charged(1250)),
				fails(&msg.RefundPayment{OrderID: order, AmountCents: 1250, Currency: "EUR"}, "refund in EUR of a charge in GBP")},
			[]ledgerRow{visaCharge}, []gatewayRow{visaAtGateway}},
		{"a message billing does not handle is dead-lettered",
			[]step{fails(&msg.CancelDelivery{OrderID: order}, "billing does not handle CancelDelivery")}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 0)
			runSteps(t, f, tt.steps)
			if diff := cmp.Diff(tt.ledger, f.ledger(t)); diff != "" {
				t.Errorf("ledger (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.gateway, f.gateway(t)); diff != "" {
				t.Errorf("gateway record (-want +got):\n%s", diff)
			}
		})
	}
}

func runSteps(t *testing.T, f *fixture, steps []step) {
	t.Helper()
	paymentIDs := make([]string, len(steps))
	for i, s := range steps {
		id := fmt.Sprintf("cmd-%d", i)
		outs, err := f.handle(t, id, s.cmd)
		if s.wantErr != "" {
			if err == nil || !msg.IsPermanent(err) || !strings.Contains(err.Error(), s.wantErr) {
				t.Fatalf("step %d: got error %v, want a permanent one containing %q", i, err, s.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		got := reply(t, id, outs)
		if diff := cmp.Diff(s.want, got, cmpopts.IgnoreFields(msg.PaymentCharged{}, "PaymentID"),
			cmpopts.IgnoreFields(msg.PaymentRefunded{}, "PaymentID")); diff != "" {
			t.Fatalf("step %d reply (-want +got):\n%s", i, diff)
		}
		paymentIDs[i] = paymentID(got)
		if s.samePaymentAs >= 0 && paymentIDs[i] != paymentIDs[s.samePaymentAs] {
			t.Errorf("step %d: payment id %q, want step %d's %q", i, paymentIDs[i], s.samePaymentAs, paymentIDs[s.samePaymentAs])
		}
	}
}

func paymentID(m msg.Message) string {
	switch r := m.(type) {
	case *msg.PaymentCharged:
		return r.PaymentID
	case *msg.PaymentRefunded:
		return r.PaymentID
	}
	return ""
}
