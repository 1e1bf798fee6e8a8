package httpapi_test

import (
	"strings"
	"testing"

	"bookshop/orchestrator"
	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
)

type story struct {
	State          string   `json:"state"`
	Step           string   `json:"step"`
	Attempts       int      `json:"attempts"`
	CommandID      string   `json:"command_id"`
	AllowedActions []string `json:"allowed_actions"`
	History        []orchestrator.HistoryEntry
}

// What each action does in the states an operator meets, and where it is
// refused with an explanation.
func TestActions(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(f *fixture, id string)
		action string
		status int
		state  string   // after
		sent   []string // messages added to the outbox by the action
		says   string   // in the response
	}{
		{"retry stuck", (*fixture).stick, "retry", 202, "sending_confirmation",
			[]string{"SendEmail", "OrderStatusChanged"}, `"action": "retry"`},
		{"cancel stuck after the charge", (*fixture).stick, "cancel", 202, "cancelling_delivery",
			[]string{"CancelDelivery", "OrderStatusChanged"}, `"state": "cancelling_delivery"`},
		{"resolve stuck", (*fixture).stick, "resolve", 202, "resolved", []string{"OrderStatusChanged"}, `"allowed_actions": []`},
		{"retry while charging", func(f *fixture, id string) { f.start(id, "tok_visa") }, "retry", 202, "charging_payment",
			[]string{"ChargePayment"}, `"attempts": 1`},
		{"cancel while charging", func(f *fixture, id string) { f.start(id, "tok_visa") }, "cancel", 202, "refunding_payment",
			[]string{"RefundPayment", "OrderStatusChanged"}, `"state": "refunding_payment"`},
		{"cancel a declined order", declined, "cancel", 409, "sending_decline_notice", nil, "nothing was charged"},
		{"retry a completed order", completed, "retry", 409, "completed", nil, "ended as completed"},
		{"cancel a completed order", completed, "cancel", 409, "completed", nil, `"allowed_actions": []`},
		{"resolve a completed order", completed, "resolve", 409, "completed", nil, `"state": "completed"`},
		{"retry an unknown order", func(*fixture, string) {}, "retry", 404, "", nil, "no order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			id := "ord-1"
			tt.setup(f, id)
			before := len(f.outbox(id))
			r := f.call("POST", "/admin/orders/"+id+"/"+tt.action, full, `{"reason": "  customer called  "}`, "X-Operator", "Grace")
			if r.status != tt.status || !strings.Contains(r.body, tt.says) {
				t.Fatalf("POST %s = %d %s\nwant %d saying %q", tt.action, r.status, r.body, tt.status, tt.says)
			}
			if tt.status >= 400 && r.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("refusal as %s, want problem+json", r.header.Get("Content-Type"))
			}
			if tt.status == 404 {
				return
			}
			if s := f.saga(id); s.State != tt.state {
				t.Errorf("order is %s, want %s", s.State, tt.state)
			}
			if diff := cmp.Diff(tt.sent, f.outbox(id)[before:], cmpEmpty); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			if (f.notified.Load() > 0) != (len(tt.sent) > 0) {
				t.Errorf("relay woken %d times, sent %v", f.notified.Load(), tt.sent)
			}
		})
	}
}

var cmpEmpty = cmp.Comparer(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })

func declined(f *fixture, id string) {
	f.start(id, "tok_card_declined")
	f.handle(id, &msg.PaymentDeclined{OrderID: id, Reason: "card_declined"})
}

func completed(f *fixture, id string) {
	f.toConfirmation(id)
	f.handle(id, &msg.EmailSent{OrderID: id, Template: msg.TemplateOrderConfirmed, EmailID: "e1"})
}

// The timeline tells the whole story: commands and replies with their
// message ids, timeouts, giving up, and the operator's action with who,
// when and why; the resent command keeps its id.
func TestRetryTellsTheStory(t *testing.T) {
	f := newFixture(t)
	f.stick("ord-1")
	cmd := f.saga("ord-1").CommandID
	r := f.call("POST", "/admin/orders/ord-1/retry", full, `{"reason": "communication is back"}`, "X-Operator", "Grace")
	if r.status != 202 {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	s := decode[story](t, f.get("/admin/orders/ord-1"))
	var events []string
	for _, h := range s.History {
		events = append(events, h.Event)
		if (h.Event == "command" || h.Event == "charged" || h.Event == "started") && h.MessageID == "" {
			t.Errorf("%s without a message id: %+v", h.Event, h)
		}
	}
	want := []string{"started", "command", "charged", "command", "scheduled", "command", "timeout", "command", "gave_up", "retry", "command"}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	op := s.History[len(s.History)-2]
	if op.By != "Grace (admin)" || op.Reason != "communication is back" || op.From != "stuck" || op.To != "sending_confirmation" || op.At.IsZero() {
		t.Errorf("operator entry %+v", op)
	}
	if last := s.History[len(s.History)-1]; last.MessageID != cmd || !strings.Contains(last.Detail, "attempt 1") {
		t.Errorf("resend %+v, want command %s, attempt 1", last, cmd)
	}
	if s.State != "sending_confirmation" || s.Attempts != 1 || s.CommandID != cmd {
		t.Errorf("after retry: %+v", s)
	}
}
