package harness

import (
	"encoding/json"
	"flag"
	"io"
	"testing"
	"time"

	"bookshop/pkg/msg"
)

func statusEvent(t *testing.T, id, state string) msg.Envelope {
	t.Helper()
	payload, err := json.Marshal(msg.OrderStatusChanged{OrderID: id, State: state})
	if err != nil {
		t.Fatal(err)
	}
	return msg.Envelope{Type: "OrderStatusChanged", CorrelationID: id, Payload: payload}
}

// received returns what ch yields within a moment, or "" if nothing.
func received(ch <-chan string) string {
	select {
	case s := <-ch:
		return s
	case <-time.After(200 * time.Millisecond):
		return ""
	}
}

func TestWatcher(t *testing.T) {
	events := make(chan msg.Envelope)
	defer close(events)
	w := NewWatcher(events)

	a, b := w.Expect("a"), w.Expect("b")
	events <- statusEvent(t, "a", "authorized") // not terminal
	events <- msg.Envelope{Type: "EmailSent", CorrelationID: "a", Payload: []byte(`{"order_id":"a","state":"completed"}`)}
	events <- msg.Envelope{Type: "OrderStatusChanged", Payload: []byte(`not json`)}
	events <- statusEvent(t, "b", "declined")
	if got := received(b); got != "declined" {
		t.Errorf("b got %q, want declined", got)
	}
	events <- statusEvent(t, "a", "completed")
	if got := received(a); got != "completed" {
		t.Errorf("a got %q, want completed", got)
	}

	// An event before Expect (a checkout's answer comes after it) is kept.
	events <- statusEvent(t, "early", "cancelled")
	events <- statusEvent(t, "sync", "completed") // the one before is handled by now
	if got := received(w.Expect("early")); got != "cancelled" {
		t.Errorf("early got %q, want cancelled", got)
	}

	// After Forget the event no longer goes to the old channel.
	c := w.Expect("c")
	w.Forget("c")
	events <- statusEvent(t, "c", "completed")
	events <- statusEvent(t, "sync2", "completed")
	select {
	case got := <-c:
		t.Errorf("forgotten c got %q", got)
	default:
	}
	w.mu.Lock()
	waiting := len(w.waiting)
	w.mu.Unlock()
	if waiting != 0 {
		t.Errorf("%d orders still waited for, want 0", waiting)
	}
}

func TestWatcherNil(t *testing.T) {
	var w *Watcher
	if ch := w.Expect("a"); ch != nil {
		t.Errorf("nil watcher: Expect = %v, want nil", ch)
	}
	w.Forget("a") // must not panic
}

func TestEnvFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want map[string]string
	}{
		{nil, map[string]string{"GOMAXPROCS": "1"}},
		{[]string{"-env", "GOMAXPROCS=4", "-env", "A_B=x=y"}, map[string]string{"GOMAXPROCS": "4", "A_B": "x=y"}},
		{[]string{"-env", "A=", "-env", "A=2"}, map[string]string{"GOMAXPROCS": "1", "A": "2"}},
	} {
		env := NewEnvFlag()
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.Var(env, "env", "")
		if err := fs.Parse(tc.args); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if len(env) != len(tc.want) {
			t.Errorf("%v: got %v, want %v", tc.args, env, tc.want)
		}
		for k, v := range tc.want {
			if env[k] != v {
				t.Errorf("%v: got %v, want %v", tc.args, env, tc.want)
			}
		}
	}
	for _, bad := range []string{"NOEQUALS", "=v"} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Var(NewEnvFlag(), "env", "")
		if err := fs.Parse([]string{"-env", bad}); err == nil {
			t.Errorf("-env %q: no error", bad)
		}
	}
}

// The load commands' tap skips bodies MayBeTerminal rejects: it must never
// reject a terminal event.
func TestMayBeTerminal(t *testing.T) {
	states := append([]string{"charging_payment", "scheduling_delivery", "sending_confirmation",
		"sending_decline_notice", "cancelling_delivery", "refunding_payment", "sending_cancellation", "stuck"}, Terminal...)
	for _, state := range states {
		env, err := msg.New(&msg.OrderStatusChanged{OrderID: "ord-1", State: state, PreviousState: "charging_payment",
			Event: "x", Version: 2, Currency: "EUR", OccurredAt: time.Now()}, "ord-1", "cause-1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		body, err := env.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := MayBeTerminal(body), IsTerminal(state); got != want {
			t.Errorf("MayBeTerminal(event to %s) = %v, want %v", state, got, want)
		}
	}
}
