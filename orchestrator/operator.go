package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"bookshop/pkg/msg"

	"github.com/jmoiron/sqlx"
)

// Action is an operator's request through the admin API: one of the
// operator events of the table, recorded in the saga's history with who
// and why.
type Action struct {
	Event  string // EvRetry, EvOperatorCancel or EvResolve
	By     string // who: the token's identity, with the person's name if given
	Reason string // why, in the operator's words
	ID     string // the action's id: its history entry's message id, the causation of what it sends
}

// RefusedError is an action the saga's state has no row for.
type RefusedError struct {
	OrderID, State, Step, Event string
	Why                         string // for the operator
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s order %s in %s: %s", e.Event, e.OrderID, e.State, e.Why)
}

// Unwrap makes a refusal an ErrOutOfOrder.
func (e *RefusedError) Unwrap() error { return ErrOutOfOrder }

// Act applies an operator's action to s. A row back to the step s is at
// (or, stuck, remembers) goes on with that step: its command is sent again
// now under its own id, and its attempts start over. Any other row enters
// its state as a reply would. An action the state has no row for returns a
// *RefusedError and leaves s unchanged.
func (e *Engine) Act(ctx context.Context, s *Saga, a Action, now time.Time) (Effects, error) {
	if err := known(s); err != nil {
		return Effects{}, &RefusedError{OrderID: s.ID, State: s.State, Step: s.Step, Event: a.Event,
			Why: fmt.Sprintf("the order's saga started under definition version %d and this orchestrator runs %d: "+
				"act on it from an orchestrator that runs its version", s.DefinitionVersion, DefinitionVersion)}
	}
	to, err := e.Machine.next(ctx, s.State, s.Step, a.Event)
	if errors.Is(err, ErrOutOfOrder) {
		return Effects{}, &RefusedError{OrderID: s.ID, State: s.State, Step: s.Step, Event: a.Event,
			Why: e.Machine.Refusal(s.State, s.Step, a.Event)}
	}
	if err != nil {
		return Effects{}, err
	}
	var eff Effects
	if to == s.Step && e.Machine.IsStep(to) {
		eff, err = e.goOn(s, a, now)
	} else {
		if a.Event == EvOperatorCancel {
			s.Data.CancelledBy = a.By
			if s.Data.FailureReason == "" {
				s.Data.FailureReason = "cancelled_by_operator"
			}
		}
		eff, err = e.enter(s, s.State, to, a.Event, a.ID, now)
	}
	if err != nil {
		return Effects{}, err
	}
	if s.State != e.Machine.def.Stuck {
		s.StuckSince = nil
	}
	eff.History[0].By, eff.History[0].Reason = a.By, a.Reason
	return eff, nil
}

// goOn puts s back in the step it is at or remembers and sends the step's
// command again, attempts starting over.
func (e *Engine) goOn(s *Saga, a Action, now time.Time) (Effects, error) {
	from := s.State
	s.State, s.LastError, s.Attempts = s.Step, "", 0
	s.Version, s.UpdatedAt = s.Version+1, now
	if s.CommandID == "" {
		s.CommandID = e.NewID()
	}
	eff := Effects{History: []HistoryEntry{{At: now, Event: a.Event, From: from, To: s.State, MessageID: a.ID}}}
	cmd, err := e.send(s, a.ID, now)
	if err != nil {
		return Effects{}, err
	}
	eff.add(cmd)
	if from != s.State {
		status, err := e.statusChanged(s, from, a.Event, now)
		if err != nil {
			return Effects{}, err
		}
		eff.Outgoing = append(eff.Outgoing, status)
	}
	return eff, nil
}

// Act applies an operator's action to order id inside tx, the same way a
// reply is handled, and returns the saga as it is after it and the
// messages to add to the outbox in the same transaction. Errors:
// ErrNotFound, *RefusedError.
func (o *Orchestrator) Act(ctx context.Context, tx *sqlx.Tx, id string, a Action) (*Saga, []msg.Outgoing, error) {
	s, err := o.Store.Get(ctx, tx, id)
	if err != nil {
		return nil, nil, err
	}
	from, step, prev := s.State, s.Step, s.Version
	eff, err := o.Engine.Act(ctx, s, a, o.Now())
	if err != nil {
		return nil, nil, fmt.Errorf("operator action on order %s: %w", id, err)
	}
	if err := o.Store.Save(ctx, tx, s, prev, eff.History); err != nil {
		return nil, nil, err
	}
	if from != s.State {
		o.observe(from, s.State, a.Event)
	}
	o.Log.Info("operator action", "order_id", id, "action", a.Event, "by", a.By, "reason", a.Reason,
		"from", from, "step", step, "to", s.State, "action_id", a.ID)
	return s, eff.Outgoing, nil
}
