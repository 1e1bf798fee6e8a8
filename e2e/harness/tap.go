package harness

import (
	"bytes"
	"context"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit"
)

// Tap receives a decoded copy of every message routed to one queue of the
// shop, taking nothing from the program that consumes it (rabbit.Tap).
type Tap struct {
	tap    *rabbit.Tap
	Events <-chan msg.Envelope
}

// NewTap binds a private queue to routingKey and starts receiving.
func NewTap(ctx context.Context, amqpURL, routingKey string) (*Tap, error) {
	return NewTapOf(ctx, amqpURL, routingKey, nil)
}

// NewTapOf is NewTap that decodes only the bodies keep accepts (all when
// keep is nil): the load commands look at terminal events alone, and
// decoding the other three of every order's four was most of their tap's
// cost.
func NewTapOf(ctx context.Context, amqpURL, routingKey string, keep func(body []byte) bool) (*Tap, error) {
	t, err := rabbit.NewTap(ctx, rabbitConfig(amqpURL, "tap-"+routingKey), routingKey)
	if err != nil {
		return nil, err
	}
	events := make(chan msg.Envelope, 1024)
	go func() {
		defer close(events)
		for body := range t.Bodies {
			if keep != nil && !keep(body) {
				continue
			}
			if env, _, err := msg.Decode(body); err == nil {
				events <- env
			}
		}
	}()
	return &Tap{tap: t, Events: events}, nil
}

// Packs returns how many packs (several messages in one AMQP message) the
// tap has received so far.
func (t *Tap) Packs() int64 { return t.tap.Packs() }

// Close closes the tap's connection; its queue goes with it.
func (t *Tap) Close() error { return t.tap.Close() }

// MayBeTerminal is false for a body that names no terminal state as a JSON
// string, so that it cannot be a terminal OrderStatusChanged; true may still
// be any message.
func MayBeTerminal(body []byte) bool {
	for _, q := range terminalQuoted {
		if bytes.Contains(body, q) {
			return true
		}
	}
	return false
}

var terminalQuoted = func() [][]byte {
	q := make([][]byte, len(Terminal))
	for i, s := range Terminal {
		q[i] = []byte(`"` + s + `"`)
	}
	return q
}()
