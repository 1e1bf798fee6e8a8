package billing_test

import (
	"errors"
	"testing"
	"time"

	"bookshop/billing"
	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestTransientGatewayFailures: a failing gateway is tried again in-process
// (3 attempts, 50ms then 100ms apart), each failure recorded; when every
// attempt fails the handler returns a plain error, so the message is
// redelivered, and its transaction (failed rows included) rolls back.
func TestTransientGatewayFailures(t *testing.T) {
	failed := func(k billing.Kind, amount int64, token string) ledgerRow {
		return ledgerRow{k, billing.StatusFailed, amount, billing.ReasonGatewayUnavailable, token}
	}
	tests := []struct {
		name       string
		rands      []float64 // the gateway fails on a draw below 0.5
		cmds       []msg.Message
		want       msg.Message // reply to the last command, or nil for an error
		ledger     []ledgerRow
		wantSleeps []time.Duration
	}{
		{"one failure, then charged", []float64{0.1}, []msg.Message{charge("tok_visa")}, charged(1250),
			[]ledgerRow{failed(billing.KindCharge, 1250, "tok_visa"), visaCharge},
			[]time.Duration{50 * time.Millisecond}},
		{"two failures, then declined", []float64{0.1, 0.2}, []msg.Message{charge("tok_card_declined")}, declined("card_declined"),
			[]ledgerRow{failed(billing.KindCharge, 1250, "tok_card_declined"), failed(billing.KindCharge, 1250, "tok_card_declined"),
				{billing.KindCharge, billing.StatusDeclined, 1250, "card_declined", "tok_card_declined"}},
			[]time.Duration{50 * time.Millisecond, 100 * time.Millisecond}},
		{"every attempt fails: redelivered later, nothing kept", []float64{0, 0, 0}, []msg.Message{charge("tok_visa")}, nil,
			nil, []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}},
		{"a refund is retried too", []float64{0.9, 0.3}, []msg.Message{charge("tok_visa"), refund(1250)}, refunded(1250),
			[]ledgerRow{visaCharge, failed(billing.KindRefund, 1250, ""), refundedLedger(1250)},
			[]time.Duration{50 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 0.5, tt.rands...)
			var outs []msg.Outgoing
			var err error
			for _, cmd := range tt.cmds {
				if outs, err = f.handle(t, "cmd-"+cmd.MessageType(), cmd); err != nil {
					break
				}
			}
			if tt.want == nil {
				if err == nil || msg.IsPermanent(err) || !errors.Is(err, billing.ErrGatewayUnavailable) {
					t.Fatalf("got error %v, want a transient one wrapping ErrGatewayUnavailable", err)
				}
				if got := f.gateway(t); len(got) != 0 {
					t.Errorf("gateway record after failures only: %v, want none", got)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				got := reply(t, "cmd-"+tt.cmds[len(tt.cmds)-1].MessageType(), outs)
				if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(msg.PaymentCharged{}, "PaymentID"),
					cmpopts.IgnoreFields(msg.PaymentRefunded{}, "PaymentID")); diff != "" {
					t.Errorf("reply (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tt.ledger, f.ledger(t)); diff != "" {
				t.Errorf("ledger (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSleeps, f.sleeps); diff != "" {
				t.Errorf("waits between attempts (-want +got):\n%s", diff)
			}
		})
	}
}
