package orchestrator

import (
	"context"
	"fmt"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/retry"
)

// Engine makes the saga's decisions. It does no IO: given a saga, an event
// and the time, it changes the saga in memory and returns the timeline
// entries and messages to commit with it.
type Engine struct {
	Machine     *Machine
	StepTimeout time.Duration // wait for a reply before sending the command again
	Backoff     retry.Policy  // added to StepTimeout per resend; MaxAttempts sends in all
	NewID       func() string
	Rand        func() float64 // in [0,1), for jitter
}

// Start creates the saga for a new order in the initial state and sends its
// first command.
func (e *Engine) Start(d Data, causationID string, now time.Time) (*Saga, Effects, error) {
	s := &Saga{ID: d.OrderID, DefinitionVersion: DefinitionVersion, Data: d, CreatedAt: now}
	eff := Effects{History: []HistoryEntry{{At: now, Event: "started", To: e.Machine.def.Initial, MessageID: causationID}}}
	enter, err := e.enter(s, "", e.Machine.def.Initial, "started", causationID, now)
	if err != nil {
		return nil, Effects{}, err
	}
	eff.add(enter)
	return s, eff, nil
}

// Fire applies event to s. apply, if not nil, records the event's data once
// the transition is known to be allowed. An event the state has no row for
// returns ErrOutOfOrder and leaves s unchanged.
func (e *Engine) Fire(ctx context.Context, s *Saga, event, causationID string, apply func(*Data), now time.Time) (Effects, error) {
	if err := known(s); err != nil {
		return Effects{}, err
	}
	// A stuck saga has only the rows of the step it remembers (s.Step).
	to, err := e.Machine.next(ctx, s.State, s.Step, event)
	if err != nil {
		return Effects{}, err
	}
	if apply != nil {
		apply(&s.Data)
	}
	return e.enter(s, s.State, to, event, causationID, now)
}

// enter moves s into state to and sends that state's command, if any.
func (e *Engine) enter(s *Saga, from, to, event, causationID string, now time.Time) (Effects, error) {
	var eff Effects
	if from != "" {
		eff.History = append(eff.History, HistoryEntry{At: now, Event: event, From: from, To: to, MessageID: causationID})
	}
	s.State, s.Version, s.UpdatedAt = to, s.Version+1, now
	s.Attempts, s.Deadline = 0, nil
	switch {
	case to == e.Machine.def.Stuck:
		s.Step, s.StuckSince = from, &now
		s.LastError = fmt.Sprintf("%s: no reply after %d attempts", from, e.Backoff.MaxAttempts)
	case e.Machine.IsTerminal(to):
		s.Step, s.CommandID = "", ""
	default:
		s.Step, s.StuckSince, s.CommandID = to, nil, e.NewID()
		cmd, err := e.send(s, causationID, now)
		if err != nil {
			return Effects{}, err
		}
		eff.add(cmd)
	}
	status, err := e.statusChanged(s, from, event, now)
	if err != nil {
		return Effects{}, err
	}
	eff.Outgoing = append(eff.Outgoing, status)
	return eff, nil
}

// send (re)sends the current step's command under its stable id and sets
// the deadline for its reply.
func (e *Engine) send(s *Saga, causationID string, now time.Time) (Effects, error) {
	step, ok := e.Machine.steps[s.Step]
	if !ok {
		return Effects{}, fmt.Errorf("saga %s: %s is not a step", s.ID, s.Step)
	}
	queue, m := step.Send(&s.Data)
	env, err := msg.NewWithID(s.CommandID, m, s.ID, causationID, now)
	if err != nil {
		return Effects{}, err
	}
	s.Attempts++
	wait := e.StepTimeout
	if s.Attempts > 1 {
		wait += e.Backoff.Jittered(s.Attempts-1, e.Rand())
	}
	deadline := now.Add(wait)
	s.Deadline = &deadline
	detail := fmt.Sprintf("%s to %s, attempt %d", env.Type, queue, s.Attempts)
	return Effects{
		History:  []HistoryEntry{{At: now, Event: "command", MessageID: env.ID, Detail: detail}},
		Outgoing: []msg.Outgoing{env.To(queue)},
	}, nil
}

// Timeout handles a step whose reply is overdue: send the command again, or
// after the last attempt give up (compensate, or stuck).
func (e *Engine) Timeout(ctx context.Context, s *Saga, now time.Time) (Effects, error) {
	if err := known(s); err != nil {
		return Effects{}, err
	}
	if s.Deadline == nil || now.Before(*s.Deadline) {
		return Effects{}, nil // answered or rescheduled meanwhile
	}
	if e.Backoff.Exhausted(s.Attempts) {
		step := s.Step
		return e.Fire(ctx, s, EvGaveUp, "", func(d *Data) {
			if d.FailureReason == "" {
				d.FailureReason = step + "_timed_out"
			}
		}, now)
	}
	eff := Effects{History: []HistoryEntry{{At: now, Event: "timeout", From: s.State, To: s.State,
		Detail: fmt.Sprintf("no reply to %s after attempt %d of %d", s.CommandID, s.Attempts, e.Backoff.MaxAttempts)}}}
	cmd, err := e.send(s, "", now)
	if err != nil {
		return Effects{}, err
	}
	s.Version, s.UpdatedAt = s.Version+1, now
	eff.add(cmd)
	return eff, nil
}

func (e *Engine) statusChanged(s *Saga, from, event string, now time.Time) (msg.Outgoing, error) {
	d := s.Data
	env, err := msg.NewWithID(e.NewID(), &msg.OrderStatusChanged{
		OrderID: s.ID, State: s.State, PreviousState: from, Event: event, Version: s.Version,
		Step: s.Step, FailureReason: d.FailureReason, ExpectedDate: d.ExpectedDate,
		TrackingID: d.TrackingID, TotalCents: d.TotalCents, Currency: d.Currency, OccurredAt: now,
	}, s.ID, s.CommandID, now)
	if err != nil {
		return msg.Outgoing{}, err
	}
	return env.To(msg.Frontend), nil
}

// known refuses a saga started under another version of the table than the
// one this orchestrator runs: only the orchestrator that knows its table
// may move it (README, Rolling upgrades). With one version in existence,
// that is any other; a release that keeps an old table beside the new one
// would pick the table by version here.
func known(s *Saga) error {
	if s.DefinitionVersion != DefinitionVersion {
		return fmt.Errorf("order %s: definition version %d, this orchestrator runs %d: %w",
			s.ID, s.DefinitionVersion, DefinitionVersion, ErrUnknownDefinition)
	}
	return nil
}
