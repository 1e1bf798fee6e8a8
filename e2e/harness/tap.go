package harness

import (
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
	t, err := rabbit.NewTap(ctx, rabbitConfig(amqpURL, "tap-"+routingKey), routingKey)
	if err != nil {
		return nil, err
	}
	events := make(chan msg.Envelope, 1024)
	go func() {
		defer close(events)
		for body := range t.Bodies {
			if env, _, err := msg.Decode(body); err == nil {
				events <- env
			}
		}
	}()
	return &Tap{tap: t, Events: events}, nil
}

// Close closes the tap's connection; its queue goes with it.
func (t *Tap) Close() error { return t.tap.Close() }
