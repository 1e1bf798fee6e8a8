package orchestrator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"bookshop/orchestrator"
)

func act(t *testing.T, e *orchestrator.Engine, s *orchestrator.Saga, event string) orchestrator.Effects {
	t.Helper()
	eff, err := e.Act(context.Background(), s, orchestrator.Action{Event: event, By: "Ada (admin)", Reason: "customer called", ID: "act-1"}, t0)
	if err != nil {
		t.Fatalf("%s in %s: %v", event, s.State, err)
	}
	return eff
}

func types(eff orchestrator.Effects) []string {
	var out []string
	for _, o := range eff.Outgoing {
		out = append(out, o.To+":"+o.Envelope.Type)
	}
	return out
}

// Retry of a stuck saga goes back to its step and sends the very same
// command again, attempts starting over; the timeline says who and why.
func TestRetryOfAStuckSagaResendsItsCommand(t *testing.T) {
	e := newEngine(t)
	s := sagaIn(orchestrator.Stuck, orchestrator.SendingConfirmation)
	s.Attempts, s.LastError, s.StuckSince = 3, "no reply", &t0
	eff := act(t, e, s, orchestrator.EvRetry)
	if s.State != orchestrator.SendingConfirmation || s.Attempts != 1 || s.CommandID != "cmd-1" ||
		s.StuckSince != nil || s.LastError != "" || s.Deadline == nil || !s.Deadline.Equal(t0.Add(10*time.Second)) {
		t.Errorf("after retry: %+v", s)
	}
	if got := strings.Join(types(eff), " "); got != "communication:SendEmail frontend:OrderStatusChanged" {
		t.Errorf("sent %s", got)
	}
	if eff.Outgoing[0].Envelope.ID != "cmd-1" {
		t.Errorf("resent under id %s, want the step's command id cmd-1", eff.Outgoing[0].Envelope.ID)
	}
	h := eff.History[0]
	if h.Event != orchestrator.EvRetry || h.From != orchestrator.Stuck || h.To != orchestrator.SendingConfirmation ||
		h.By != "Ada (admin)" || h.Reason != "customer called" || h.MessageID != "act-1" {
		t.Errorf("timeline entry %+v", h)
	}
	if eff.History[1].Event != "command" {
		t.Errorf("the resend is not on the timeline: %+v", eff.History)
	}
}

// Retry in a live step sends the command now; the state does not change,
// so the frontend is told nothing.
func TestRetryOfALiveStep(t *testing.T) {
	e := newEngine(t)
	s := sagaIn(orchestrator.ChargingPayment, orchestrator.ChargingPayment)
	s.Attempts = 2
	eff := act(t, e, s, orchestrator.EvRetry)
	if got := strings.Join(types(eff), " "); got != "billing:ChargePayment" || s.Attempts != 1 || s.Version != 4 {
		t.Errorf("sent %s, attempts %d, version %d", got, s.Attempts, s.Version)
	}
}

// Cancel of a saga stuck after its charge cancels the delivery it asked
// for, then refunds and tells the customer.
func TestCancelOfAStuckSagaCompensates(t *testing.T) {
	e := newEngine(t)
	s := sagaIn(orchestrator.Stuck, orchestrator.SendingConfirmation)
	eff := act(t, e, s, orchestrator.EvOperatorCancel)
	if s.State != orchestrator.CancellingDelivery || s.CommandID == "cmd-1" || s.Data.FailureReason != "cancelled_by_operator" ||
		s.Data.CancelledBy != "Ada (admin)" {
		t.Errorf("after cancel: state %s command %s reason %q by %q", s.State, s.CommandID, s.Data.FailureReason, s.Data.CancelledBy)
	}
	if got := strings.Join(types(eff), " "); got != "fulfillment:CancelDelivery frontend:OrderStatusChanged" {
		t.Errorf("sent %s", got)
	}
}

// Resolve ends any unfinished saga and sends nothing but the status.
func TestResolveSendsNothing(t *testing.T) {
	e := newEngine(t)
	s := sagaIn(orchestrator.Stuck, orchestrator.RefundingPayment)
	s.StuckSince = &t0
	eff := act(t, e, s, orchestrator.EvResolve)
	if s.State != orchestrator.Resolved || s.Step != "" || s.Deadline != nil || s.StuckSince != nil {
		t.Errorf("after resolve: %+v", s)
	}
	if got := strings.Join(types(eff), " "); got != "frontend:OrderStatusChanged" {
		t.Errorf("sent %s", got)
	}
}

// A refused action says why, in words an operator can act on.
func TestRefusalsExplain(t *testing.T) {
	e := newEngine(t)
	tests := []struct {
		state, step, event, why string
	}{
		{orchestrator.Completed, "", orchestrator.EvRetry, "ended as completed"},
		{orchestrator.SendingDeclineNotice, orchestrator.SendingDeclineNotice, orchestrator.EvOperatorCancel, "nothing was charged"},
		{orchestrator.Stuck, orchestrator.SendingDeclineNotice, orchestrator.EvOperatorCancel, "nothing was charged"},
	}
	for _, tt := range tests {
		s := sagaIn(tt.state, tt.step)
		_, err := e.Act(context.Background(), s, orchestrator.Action{Event: tt.event}, t0)
		var refused *orchestrator.RefusedError
		if !errors.As(err, &refused) || !errors.Is(err, orchestrator.ErrOutOfOrder) || !strings.Contains(refused.Why, tt.why) {
			t.Errorf("%s in %s: %v, want a refusal saying %q", tt.event, tt.state, err, tt.why)
		}
	}
}
