package orchestrator_test

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"bookshop/orchestrator"
	"bookshop/pkg/msg"
	"bookshop/pkg/retry"

	gocmp "github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func newEngine(t *testing.T) *orchestrator.Engine {
	t.Helper()
	m, err := orchestrator.Purchase.Compile()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	return &orchestrator.Engine{
		Machine: m, StepTimeout: 10 * time.Second,
		Backoff: retry.Policy{Initial: time.Second, Coefficient: 2, Max: 30 * time.Second, MaxAttempts: 3},
		NewID:   func() string { n++; return "id-" + string(rune('a'+n%26)) + time.Duration(n).String() },
		Rand:    func() float64 { return 0.5 },
	}
}

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func sagaIn(state, step string) *orchestrator.Saga {
	return &orchestrator.Saga{ID: "ord-1", DefinitionVersion: orchestrator.DefinitionVersion, State: state, Step: step, Version: 3, CommandID: "cmd-1",
		Data: orchestrator.Data{OrderID: "ord-1", Customer: msg.Customer{Name: "Ada", Email: "ada@example.com"},
			Items: []msg.Item{{ISBN: "9780262033848", Quantity: 1, PriceCents: 9500}}, TotalCents: 9500,
			Currency: "EUR", PaymentToken: "tok_visa", ShippingAddress: msg.Address{Line1: "1 Road", Country: "GB"}}}
}

// expectedRows pins the table, written out by hand rather than derived:
// (state, remembered step when stuck, event) → target.
func expectedRows() map[[3]string]string {
	const (
		cp, sd, sc, sdn = orchestrator.ChargingPayment, orchestrator.SchedulingDelivery, orchestrator.SendingConfirmation, orchestrator.SendingDeclineNotice
		cd, rp, scn     = orchestrator.CancellingDelivery, orchestrator.RefundingPayment, orchestrator.SendingCancellation
		stuck           = orchestrator.Stuck
	)
	want := map[[3]string]string{}
	for _, tr := range orchestrator.Purchase.Transitions {
		if !strings.HasPrefix(tr.From, "*") && tr.To != orchestrator.Same {
			want[[3]string{tr.From, "", tr.Event}] = tr.To
		}
	}
	for _, step := range []string{cp, sd, sc, sdn, cd, rp, scn} {
		want[[3]string{step, "", orchestrator.EvRetry}] = step
		want[[3]string{step, "", orchestrator.EvResolve}] = orchestrator.Resolved
	}
	for _, step := range []string{cd, rp, scn} { // already compensating: carry on
		want[[3]string{step, "", orchestrator.EvOperatorCancel}] = step
	}
	// Stuck, by the step it remembers: its late reply resumes it, retry
	// goes back to it, cancel compensates (or carries on), resolve ends it.
	for row, to := range map[[2]string]string{
		{sc, orchestrator.EvConfirmationSent}:   orchestrator.Completed,
		{sc, orchestrator.EvOperatorCancel}:     cd,
		{sdn, orchestrator.EvDeclineNoticeSent}: orchestrator.Declined,
		{cd, orchestrator.EvDeliveryCancelled}:  rp,
		{cd, orchestrator.EvOperatorCancel}:     cd,
		{rp, orchestrator.EvRefunded}:           scn,
		{rp, orchestrator.EvOperatorCancel}:     rp,
		{scn, orchestrator.EvCancellationSent}:  orchestrator.Cancelled,
		{scn, orchestrator.EvOperatorCancel}:    scn,
	} {
		want[[3]string{stuck, row[0], row[1]}] = to
	}
	for _, step := range []string{sc, sdn, cd, rp, scn} {
		want[[3]string{stuck, step, orchestrator.EvRetry}] = step
		want[[3]string{stuck, step, orchestrator.EvResolve}] = orchestrator.Resolved
	}
	return want
}

var operatorEvents = []string{orchestrator.EvRetry, orchestrator.EvOperatorCancel, orchestrator.EvResolve}

// fire applies event as the orchestrator would: an operator's through Act.
func fire(e *orchestrator.Engine, s *orchestrator.Saga, event string) (orchestrator.Effects, error) {
	if slices.Contains(operatorEvents, event) {
		return e.Act(context.Background(), s, orchestrator.Action{Event: event, By: "tester", Reason: "test", ID: "act-1"}, t0)
	}
	return e.Fire(context.Background(), s, event, "reply-1", nil, t0)
}

// The saga table pinned: every (state, event) pair, and for stuck every
// (remembered step, event) pair, either is a row of the table or is
// rejected as out of order — never a crash, never a surprise.
func TestEveryStateEventPair(t *testing.T) {
	e := newEngine(t)
	want := expectedRows()
	rows := 0
	for _, state := range e.Machine.States() {
		steps := []string{""}
		if state == orchestrator.Stuck {
			steps = []string{orchestrator.SendingConfirmation, orchestrator.SendingDeclineNotice,
				orchestrator.CancellingDelivery, orchestrator.RefundingPayment, orchestrator.SendingCancellation}
		}
		for _, step := range steps {
			for _, event := range e.Machine.Events() {
				wantTo, ok := want[[3]string{state, step, event}]
				s := sagaIn(state, cmp.Or(step, state))
				before := *s
				_, err := fire(e, s, event)
				switch {
				case ok && err != nil:
					t.Errorf("%s(%s) --%s--> want %s, got error %v", state, step, event, wantTo, err)
				case ok && s.State != wantTo:
					t.Errorf("%s(%s) --%s--> %s, want %s", state, step, event, s.State, wantTo)
				case !ok && !errors.Is(err, orchestrator.ErrOutOfOrder):
					t.Errorf("%s(%s) --%s-- should be out of order, got state %s err %v", state, step, event, s.State, err)
				case !ok && !gocmp.Equal(before, *s):
					t.Errorf("%s(%s) --%s-- rejected but changed the saga", state, step, event)
				}
				if ok {
					rows++
				}
			}
		}
	}
	if rows != len(want) {
		t.Errorf("%d allowed pairs, want %d", rows, len(want))
	}
}

// A stuck saga resumes only on a reply for the step it remembers.
func TestStuckResumesOnlyForItsStep(t *testing.T) {
	e := newEngine(t)
	s := sagaIn(orchestrator.Stuck, orchestrator.SendingConfirmation)
	if _, err := e.Fire(context.Background(), s, orchestrator.EvRefunded, "r", nil, t0); !errors.Is(err, orchestrator.ErrOutOfOrder) {
		t.Fatalf("refunded resumed a saga stuck at sending_confirmation: %v (state %s)", err, s.State)
	}
}

func TestHappyPathSendsEachCommandAndStatus(t *testing.T) {
	e := newEngine(t)
	s, eff, err := e.Start(sagaIn("", "").Data, "start-1", t0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	collect := func(eff orchestrator.Effects) {
		for _, o := range eff.Outgoing {
			types = append(types, o.To+":"+o.Envelope.Type)
		}
	}
	collect(eff)
	for _, ev := range []string{orchestrator.EvCharged, orchestrator.EvScheduled, orchestrator.EvConfirmationSent} {
		eff, err := e.Fire(context.Background(), s, ev, "r-"+ev, nil, t0)
		if err != nil {
			t.Fatal(err)
		}
		collect(eff)
	}
	want := []string{
		"billing:ChargePayment", "frontend:OrderStatusChanged",
		"fulfillment:ScheduleDelivery", "frontend:OrderStatusChanged",
		"communication:SendEmail", "frontend:OrderStatusChanged",
		"frontend:OrderStatusChanged",
	}
	if diff := gocmp.Diff(want, types); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if s.State != orchestrator.Completed || s.Deadline != nil || s.Version != 4 {
		t.Errorf("end: state %s deadline %v version %d", s.State, s.Deadline, s.Version)
	}
}

// Timeouts resend the same command id with a growing wait, then compensate.
func TestTimeoutRetriesThenCompensates(t *testing.T) {
	e := newEngine(t)
	s, _, err := e.Start(sagaIn("", "").Data, "start-1", t0)
	if err != nil {
		t.Fatal(err)
	}
	cmd := s.CommandID
	now := t0
	var waits []time.Duration
	for attempt := 2; attempt <= 3; attempt++ {
		now = *s.Deadline
		eff, err := e.Timeout(context.Background(), s, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(eff.Outgoing) != 1 || eff.Outgoing[0].Envelope.ID != cmd || s.Attempts != attempt {
			t.Fatalf("attempt %d: outgoing %+v attempts %d", attempt, eff.Outgoing, s.Attempts)
		}
		waits = append(waits, s.Deadline.Sub(now))
	}
	if diff := gocmp.Diff([]time.Duration{11 * time.Second, 12 * time.Second}, waits); diff != "" {
		t.Errorf("waits after resends (-want +got):\n%s", diff)
	}
	if eff, _ := e.Timeout(context.Background(), s, now); len(eff.Outgoing) != 0 {
		t.Errorf("timed out before the deadline: %+v", eff)
	}
	if _, err := e.Timeout(context.Background(), s, *s.Deadline); err != nil {
		t.Fatal(err)
	}
	if s.State != orchestrator.RefundingPayment || s.Data.FailureReason != "charging_payment_timed_out" {
		t.Errorf("after max attempts: state %s reason %q, want refunding_payment", s.State, s.Data.FailureReason)
	}
}

func TestGoldenMermaid(t *testing.T) {
	got, err := newEngine(t).Machine.Mermaid()
	if err != nil {
		t.Fatal(err)
	}
	const path = "testdata/saga.mmd"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (go test -update): %v", err)
	}
	if diff := gocmp.Diff(string(want), got); diff != "" {
		t.Errorf("saga diagram changed (-golden +now):\n%s", diff)
	}
}

func TestCompileRejectsBadTables(t *testing.T) {
	d := orchestrator.Purchase
	d.Transitions = append([]orchestrator.Transition{{From: "charging_payment", Event: "charged", To: "nowhere"}}, d.Transitions...)
	if _, err := d.Compile(); err == nil {
		t.Error("unknown state accepted")
	}
	d = orchestrator.Purchase
	d.Transitions = slices.DeleteFunc(slices.Clone(d.Transitions), func(tr orchestrator.Transition) bool {
		return tr.From == orchestrator.SendingCancellation && tr.Event == orchestrator.EvGaveUp
	})
	if _, err := d.Compile(); err == nil {
		t.Error("a step without a gave_up row accepted")
	}
}
