package harness

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"bookshop/pkg/msg"
)

// EnvFlag collects repeated -env KEY=VALUE for the programs a load command
// starts (Options.Env).
type EnvFlag map[string]string

// NewEnvFlag returns the environment the load commands start the programs
// with before any -env: GOMAXPROCS=1, since the five programs share the
// machine with the broker, as under make run (scripts/run-local.sh says
// why). -env GOMAXPROCS=N overrides it.
func NewEnvFlag() EnvFlag { return EnvFlag{"GOMAXPROCS": "1"} }

func (e EnvFlag) String() string { return fmt.Sprint(map[string]string(e)) }

// Set adds one KEY=VALUE, replacing an earlier value of KEY.
func (e EnvFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	e[k] = v
	return nil
}

// Watcher hands each order's terminal OrderStatusChanged to whoever waits
// for it. An order placed through the frontend gets its id only with the
// checkout's answer, so its event may come first: early keeps it.
type Watcher struct {
	mu      sync.Mutex
	waiting map[string]chan string
	early   map[string]string
}

// NewWatcher reads events (a Tap's, bound to the frontend's routing key)
// until the channel closes.
func NewWatcher(events <-chan msg.Envelope) *Watcher {
	w := &Watcher{waiting: map[string]chan string{}, early: map[string]string{}}
	go func() {
		for env := range events {
			if env.Type != "OrderStatusChanged" {
				continue
			}
			var ev msg.OrderStatusChanged
			if json.Unmarshal(env.Payload, &ev) != nil || !IsTerminal(ev.State) {
				continue
			}
			w.mu.Lock()
			if ch, ok := w.waiting[ev.OrderID]; ok {
				ch <- ev.State
				delete(w.waiting, ev.OrderID)
			} else {
				w.early[ev.OrderID] = ev.State
			}
			w.mu.Unlock()
		}
	}()
	return w
}

// Expect registers interest in an order, best before it is placed; the
// channel yields its terminal state once. On a nil Watcher it returns nil
// (a channel that never yields).
func (w *Watcher) Expect(id string) <-chan string {
	if w == nil {
		return nil
	}
	ch := make(chan string, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if state, ok := w.early[id]; ok {
		ch <- state
		delete(w.early, id)
		return ch
	}
	w.waiting[id] = ch
	return ch
}

// Forget drops the interest in an order given up on. Nil-safe.
func (w *Watcher) Forget(id string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	delete(w.waiting, id)
	w.mu.Unlock()
}
