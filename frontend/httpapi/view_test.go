package httpapi

import (
	"strings"
	"testing"
	"time"

	"bookshop/frontend"
	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
)

// TestLiveView checks what the order page says in each saga state: the
// headline, the state of each timeline step, and key words of the summary.
func TestLiveView(t *testing.T) {
	tests := []struct {
		state, reason string
		cancelAsked   bool
		headline      string
		steps         string // key:state of each step
		says          []string
		canCancel     bool
	}{
		{"", "", false, "Order received", "received:done payment:pending delivery:pending email:pending",
			[]string{"nothing will be lost"}, true},
		{"charging_payment", "", false, "Taking payment", "received:done payment:current delivery:pending email:pending", nil, true},
		{"scheduling_delivery", "", false, "Booking your delivery",
			"received:done payment:done delivery:current email:pending", nil, true},
		{"sending_confirmation", "", false, "Delivery booked", "received:done payment:done delivery:done email:current",
			[]string{"Monday 30 November 2026", "BK1"}, false},
		{"completed", "", false, "Order complete", "received:done payment:done delivery:done email:done",
			[]string{"arrive by Monday 30 November 2026"}, false},
		{"sending_decline_notice", "card_declined", false, "Payment declined",
			"received:done payment:failed delivery:skipped email:current", []string{"declined the card", "Nothing was charged"}, false},
		{"declined", "insufficient_funds", false, "Payment declined", "received:done payment:failed delivery:skipped email:done",
			[]string{"insufficient funds", "Nothing was charged"}, false},
		{"refunding_payment", "out_of_stock", false, "Cancelling your order",
			"received:done cancel:failed delivery:done refund:current email:pending", []string{"enough copies"}, false},
		{"cancelled", "out_of_stock", false, "Order cancelled", "received:done cancel:failed delivery:done refund:done email:done",
			[]string{"enough copies", "€95.00 you paid has been refunded"}, false},
		{"cancelling_delivery", "cancelled_by_customer", true, "Cancelling your order",
			"received:done cancel:failed delivery:current refund:pending email:pending", []string{"You asked us to cancel"}, false},
		{"cancelled", "cancelled_by_customer", true, "Order cancelled",
			"received:done cancel:failed delivery:done refund:done email:done", []string{"Anything charged has been refunded"}, false},
		{"cancelled", "charging_payment_timed_out", false, "Order cancelled",
			"received:done cancel:failed delivery:done refund:done email:done", []string{"did not answer in time (charging payment)"}, false},
		{"charging_payment", "", true, "Taking payment", "received:done payment:current delivery:pending email:pending",
			[]string{"You asked us to cancel this order"}, false},
		{"completed", "", true, "Order complete", "received:done payment:done delivery:done email:done",
			[]string{"came too late"}, false},
		{"stuck", "", false, "Taking longer than expected", "received:done attention:current", []string{"Nothing is lost"}, false},
		{"resolved", "", false, "Order complete", "received:done attention:done", []string{"by hand"}, false},
		{"resolved", "retries_exhausted", false, "Order closed", "received:done attention:done", []string{"by hand"}, false},
		{"checking_fraud", "", false, "Processing your order", "received:done progress:current", []string{"checking fraud"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.state+" "+tt.reason, func(t *testing.T) {
			o := frontend.Order{ID: "ord-1", State: tt.state, Status: frontend.CustomerStatus(tt.state, tt.reason),
				FailureReason: tt.reason, ExpectedDate: "2026-11-30", TrackingID: "BK1", TotalCents: 9500, Currency: "EUR",
				Customer: msg.Customer{Name: "Ada", Email: "ada@example.com"}}
			if tt.cancelAsked {
				o.CancelRequestedAt = time.Now()
			}
			v := newLiveView(o)
			var steps []string
			for _, s := range v.Steps {
				steps = append(steps, s.Key+":"+s.State)
				if s.Label() == "" || s.Title == "" || s.Detail == "" {
					t.Errorf("step %+v lacks a label, title or detail", s)
				}
			}
			got := []string{v.Headline, strings.Join(steps, " ")}
			if diff := cmp.Diff([]string{tt.headline, tt.steps}, got); diff != "" {
				t.Errorf("headline, steps (-want +got):\n%s", diff)
			}
			text := v.Summary + " " + v.Note
			for _, s := range v.Steps {
				text += " " + s.Detail
			}
			for _, w := range tt.says {
				if !strings.Contains(text, w) {
					t.Errorf("page does not say %q; it says: %s", w, text)
				}
			}
			if v.CanCancel != tt.canCancel {
				t.Errorf("CanCancel = %v, want %v", v.CanCancel, tt.canCancel)
			}
		})
	}
}

func TestMoney(t *testing.T) {
	for in, want := range map[[2]any]string{{int64(9500), "EUR"}: "€95.00", {int64(5), "GBP"}: "£0.05",
		{int64(-1999), "USD"}: "-$19.99", {int64(100), "CHF"}: "1.00 CHF"} {
		if got := money(in[0].(int64), in[1].(string)); got != want {
			t.Errorf("money(%v) = %q, want %q", in, got, want)
		}
	}
}
