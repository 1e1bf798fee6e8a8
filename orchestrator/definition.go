package orchestrator

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/looplab/fsm"
)

// Definition is a saga as data: the table in saga.go.
type Definition struct {
	Initial     string
	Terminal    []string
	Stuck       string
	Steps       []Step
	Transitions []Transition
	Refusals    []Refusal
}

// Wildcards a Transition may name instead of a state, so that a row that
// holds in many states is written once.
const (
	EveryStep  = "*step"       // From: each step
	Unfinished = "*unfinished" // From: each step, and Stuck
	Same       = "*same"       // To: the state the row leaves (the step goes on)
)

// Refusal explains why Event is refused in State (or when stuck at it)
// where the table has no row for it.
type Refusal struct {
	State, Event, Why string
}

// Row is one transition of a compiled machine. A row out of Stuck holds for
// a saga remembering step At, or for any ("").
type Row struct {
	From  string `json:"from"`
	At    string `json:"at,omitempty"`
	Event string `json:"event"`
	To    string `json:"to"`
}

type rowKey struct{ from, at, event string }

// Machine is a checked Definition, ready to run.
type Machine struct {
	def   Definition
	steps map[string]Step
	rows  []Row
	to    map[rowKey]string
	fsms  map[string]fsm.Events // by the step a stuck saga remembers; "" for every other saga
	// pools keep built state machines per key of fsms: looplab/fsm builds
	// its maps of the whole table in NewFSM, which was a third of deciding
	// one event (BenchmarkFire); a pooled one is only set to the saga's state.
	pools map[string]*sync.Pool
}

// Compile expands the table's wildcards, checks it, and derives the rows
// of a stuck saga: each row of the step it remembers (but gave_up and the
// customer's cancel) holds in Stuck for a saga remembering that step, so a
// late reply resumes it and an operator's retry or cancel goes on from it.
func (d Definition) Compile() (*Machine, error) {
	m := &Machine{def: d, steps: map[string]Step{}, to: map[rowKey]string{}}
	for _, s := range d.Steps {
		m.steps[s.State] = s
	}
	for _, t := range d.Transitions {
		for _, from := range m.expand(t.From) {
			to := t.To
			if to == Same {
				to = from
			}
			if err := m.add(Row{From: from, Event: t.Event, To: to}); err != nil {
				return nil, err
			}
		}
	}
	if err := m.deriveStuck(); err != nil {
		return nil, err
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	m.buildFSMs()
	return m, nil
}

func (m *Machine) expand(from string) []string {
	var steps []string
	for _, s := range m.def.Steps {
		steps = append(steps, s.State)
	}
	switch from {
	case EveryStep:
		return steps
	case Unfinished:
		return append(steps, m.def.Stuck)
	}
	return []string{from}
}

func (m *Machine) deriveStuck() error {
	for _, s := range m.def.Steps {
		if m.to[rowKey{s.State, "", EvGaveUp}] != m.def.Stuck {
			continue
		}
		for _, r := range slices.Clone(m.rows) {
			_, forAny := m.to[rowKey{m.def.Stuck, "", r.Event}]
			if r.From != s.State || r.Event == EvGaveUp || r.Event == EvCancel || forAny {
				continue
			}
			if err := m.add(Row{From: m.def.Stuck, At: s.State, Event: r.Event, To: r.To}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Machine) add(r Row) error {
	for _, s := range []string{r.From, r.To} {
		if !m.known(s) {
			return fmt.Errorf("saga definition: row %s --%s--> %s names unknown state %s", r.From, r.Event, r.To, s)
		}
	}
	key := rowKey{r.From, r.At, r.Event}
	if to, dup := m.to[key]; dup {
		return fmt.Errorf("saga definition: %s --%s--> leads to both %s and %s", r.From, r.Event, to, r.To)
	}
	m.to[key] = r.To
	m.rows = append(m.rows, r)
	return nil
}

func (m *Machine) check() error {
	for _, s := range m.def.Steps {
		if _, ok := m.to[rowKey{s.State, "", EvGaveUp}]; !ok {
			return fmt.Errorf("saga definition: step %s has no %s row: it would retry forever", s.State, EvGaveUp)
		}
	}
	for _, r := range m.def.Refusals {
		if !m.known(r.State) || !slices.Contains(m.Events(), r.Event) {
			return fmt.Errorf("saga definition: refusal of %s in %s names an unknown state or event", r.Event, r.State)
		}
	}
	return nil
}

// buildFSMs gives looplab/fsm the rows that hold for each kind of saga: a
// stuck saga sees only the rows for the step it remembers.
func (m *Machine) buildFSMs() {
	m.fsms = map[string]fsm.Events{}
	for _, at := range append([]string{""}, m.stuckSteps()...) {
		var evs fsm.Events
		for _, r := range m.rows {
			if r.From != m.def.Stuck || r.At == "" || r.At == at {
				evs = append(evs, fsm.EventDesc{Name: r.Event, Src: []string{r.From}, Dst: r.To})
			}
		}
		m.fsms[at] = evs
	}
	m.pools = map[string]*sync.Pool{}
	for at, evs := range m.fsms {
		m.pools[at] = &sync.Pool{New: func() any { return fsm.NewFSM(m.def.Initial, evs, nil) }}
	}
}

func (m *Machine) stuckSteps() []string {
	var out []string
	for _, r := range m.rows {
		if r.At != "" && !slices.Contains(out, r.At) {
			out = append(out, r.At)
		}
	}
	return out
}

func (m *Machine) known(state string) bool {
	_, step := m.steps[state]
	return step || m.IsTerminal(state) || state == m.def.Stuck
}

// IsTerminal reports whether state ends the saga.
func (m *Machine) IsTerminal(state string) bool { return slices.Contains(m.def.Terminal, state) }

// IsStep reports whether state is a step (sends a command).
func (m *Machine) IsStep(state string) bool { _, ok := m.steps[state]; return ok }

// Initial is the state a saga starts in.
func (m *Machine) Initial() string { return m.def.Initial }

// States lists every state: steps in table order, then stuck and terminals.
func (m *Machine) States() []string {
	var out []string
	for _, s := range m.def.Steps {
		out = append(out, s.State)
	}
	out = append(out, m.def.Stuck)
	return append(out, m.def.Terminal...)
}

// Events lists every event name once, in table order.
func (m *Machine) Events() []string {
	var out []string
	for _, t := range m.def.Transitions {
		if !slices.Contains(out, t.Event) {
			out = append(out, t.Event)
		}
	}
	return out
}

// Rows lists every row, the table's expanded and the derived ones.
func (m *Machine) Rows() []Row { return slices.Clone(m.rows) }

// Edges lists each distinct arrow of the diagram (rows out of Stuck merged
// whatever step they are for), sorted by from, event and to.
func (m *Machine) Edges() []Row {
	var out []Row
	for _, r := range m.rows {
		e := Row{From: r.From, Event: r.Event, To: r.To}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.Event, b.Event), cmp.Compare(a.To, b.To))
	})
	return out
}

// Allows reports whether event has a row in state (at step, when stuck).
func (m *Machine) Allows(state, step, event string) bool {
	_, err := m.next(context.Background(), state, step, event)
	return err == nil
}

// Refusal explains why event is not allowed in state (at step, when stuck).
func (m *Machine) Refusal(state, step, event string) string {
	if m.IsTerminal(state) {
		return fmt.Sprintf("the order has ended as %s; nothing changes it any more", state)
	}
	for _, r := range m.def.Refusals {
		if r.Event == event && (r.State == state || (state == m.def.Stuck && r.State == step)) {
			return r.Why
		}
	}
	if state == m.def.Stuck {
		state += " at " + step
	}
	return fmt.Sprintf("the saga has no %s row for %s", event, state)
}

// next runs event through looplab/fsm from state (remembering step, when
// stuck) and returns the new state, or ErrOutOfOrder. A row that stays in
// its state is a transition too, not looplab's NoTransitionError.
func (m *Machine) next(ctx context.Context, state, step, event string) (string, error) {
	key := ""
	if state == m.def.Stuck {
		if _, ok := m.fsms[step]; ok {
			key = step
		}
	}
	pool := m.pools[key]
	f := pool.Get().(*fsm.FSM)
	f.SetState(state)
	if !f.Can(event) {
		pool.Put(f)
		return "", fmt.Errorf("%s in %s: %w", event, state, ErrOutOfOrder)
	}
	err := f.Event(ctx, event)
	var same fsm.NoTransitionError
	if errors.As(err, &same) && same.Err == nil {
		pool.Put(f)
		return state, nil
	}
	if err != nil {
		// Not put back: a machine that failed mid-event is not reused.
		return "", fmt.Errorf("%s in %s: %w", event, state, err)
	}
	to := f.Current()
	pool.Put(f)
	return to, nil
}

// Mermaid draws the machine as a Mermaid state diagram (deterministic).
// highlight, if not empty, marks the states an order went through.
func (m *Machine) Mermaid(highlight ...string) (string, error) {
	var b strings.Builder
	b.WriteString("stateDiagram-v2\n")
	fmt.Fprintf(&b, "    [*] --> %s\n", m.def.Initial)
	for _, e := range m.Edges() {
		fmt.Fprintf(&b, "    %s --> %s: %s\n", e.From, e.To, e.Event)
	}
	if len(highlight) > 0 {
		b.WriteString("    classDef visited fill:#fde68a,stroke:#92400e,stroke-width:2px\n")
		fmt.Fprintf(&b, "    class %s visited\n", strings.Join(highlight, ","))
	}
	return b.String(), nil
}
