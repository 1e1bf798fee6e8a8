package orchestrator

import (
	"context"
	"fmt"
	"slices"

	"github.com/looplab/fsm"
)

// Definition is a saga as data: the table in saga.go.
type Definition struct {
	Initial     string
	Terminal    []string
	Stuck       string
	Steps       []Step
	Transitions []Transition
}

// Machine is a checked Definition, ready to run.
type Machine struct {
	def    Definition
	events fsm.Events
	steps  map[string]Step
	rows   map[[2]string]string // (from, event) → to, including the derived stuck rows
}

// Compile checks the definition and derives the rows that resume a stuck
// saga: for every step that can end in Stuck, each of its reply events leads
// from Stuck where it would have led from the step.
func (d Definition) Compile() (*Machine, error) {
	m := &Machine{def: d, steps: map[string]Step{}, rows: map[[2]string]string{}}
	for _, s := range d.Steps {
		m.steps[s.State] = s
	}
	for _, t := range d.Transitions {
		if err := m.addRow(t); err != nil {
			return nil, err
		}
	}
	for _, t := range d.Transitions {
		if m.rows[[2]string{t.From, EvGaveUp}] == d.Stuck && t.Event != EvGaveUp && t.Event != EvCancel {
			if err := m.addRow(Transition{d.Stuck, t.Event, t.To}); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range d.Steps {
		if _, ok := m.rows[[2]string{s.State, EvGaveUp}]; !ok {
			return nil, fmt.Errorf("saga definition: step %s has no %s row: it would retry forever", s.State, EvGaveUp)
		}
	}
	return m, nil
}

func (m *Machine) addRow(t Transition) error {
	for _, s := range []string{t.From, t.To} {
		if !m.known(s) {
			return fmt.Errorf("saga definition: row %s --%s--> %s names unknown state %s", t.From, t.Event, t.To, s)
		}
	}
	key := [2]string{t.From, t.Event}
	if to, dup := m.rows[key]; dup {
		return fmt.Errorf("saga definition: %s --%s--> leads to both %s and %s", t.From, t.Event, to, t.To)
	}
	m.rows[key] = t.To
	m.events = append(m.events, fsm.EventDesc{Name: t.Event, Src: []string{t.From}, Dst: t.To})
	return nil
}

func (m *Machine) known(state string) bool {
	_, step := m.steps[state]
	return step || m.IsTerminal(state) || state == m.def.Stuck
}

// IsTerminal reports whether state ends the saga.
func (m *Machine) IsTerminal(state string) bool { return slices.Contains(m.def.Terminal, state) }

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

// next runs event through looplab/fsm from state and returns the new state,
// or ErrOutOfOrder.
func (m *Machine) next(ctx context.Context, state, event string) (string, error) {
	f := fsm.NewFSM(state, m.events, nil)
	if !f.Can(event) {
		return "", fmt.Errorf("%s in %s: %w", event, state, ErrOutOfOrder)
	}
	if err := f.Event(ctx, event); err != nil {
		return "", fmt.Errorf("%s in %s: %w", event, state, err)
	}
	return f.Current(), nil
}

// Mermaid draws the machine as a Mermaid state diagram (deterministic).
func (m *Machine) Mermaid() (string, error) {
	f := fsm.NewFSM(m.def.Initial, m.events, nil)
	return fsm.VisualizeForMermaidWithGraphType(f, fsm.StateDiagram)
}
