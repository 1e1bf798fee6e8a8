package rabbit

import (
	"context"
	"fmt"
	"sync/atomic"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Tap receives a copy of every message routed to one queue: a private queue
// (server-named, exclusive, deleted with the connection) bound to Exchange
// with the same routing key, so the direct exchange delivers each message to
// both and the tap takes nothing from the queue's real consumer; a pack comes
// out as the bodies of its messages. It is for observing (tests, the load
// generator); it does not reconnect, and Bodies closes when its connection
// does.
type Tap struct {
	conn   *amqp.Connection
	Bodies <-chan []byte
	packs  atomic.Int64
}

// Packs returns how many packs the tap has received so far.
func (t *Tap) Packs() int64 { return t.packs.Load() }

// NewTap declares the topology, binds a private queue to routingKey and
// starts receiving.
func NewTap(ctx context.Context, cfg Config, routingKey string) (*Tap, error) {
	cfg = cfg.withDefaults()
	if err := Declare(ctx, cfg); err != nil {
		return nil, err
	}
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(cfg.ConnectionName)
	conn, err := amqp.DialConfig(cfg.URL, amqp.Config{Properties: props})
	if err != nil {
		return nil, fmt.Errorf("tap %s: connect to %s: %w", routingKey, redact(cfg.URL), err)
	}
	deliveries, err := tapQueue(conn, routingKey)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("tap %s: %w", routingKey, err)
	}
	bodies := make(chan []byte, 1024)
	t := &Tap{conn: conn, Bodies: bodies}
	go func() {
		defer close(bodies)
		for d := range deliveries {
			if d.Type != PackType {
				bodies <- d.Body
				continue
			}
			t.packs.Add(1)
			ms, err := unpack(d.Body)
			if err != nil {
				bodies <- d.Body // the observer sees what it cannot read
				continue
			}
			for _, m := range ms {
				bodies <- m.Body
			}
		}
	}()
	return t, nil
}

func tapQueue(conn *amqp.Connection, routingKey string) (<-chan amqp.Delivery, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	q, err := ch.QueueDeclare("",
		false, // durable
		true,  // autoDelete
		true,  // exclusive
		false, // noWait
		amqp.Table{amqp.QueueTypeArg: amqp.QueueTypeClassic})
	if err != nil {
		return nil, fmt.Errorf("declare private queue: %w", err)
	}
	if err := ch.QueueBind(q.Name, routingKey, Exchange, false /* noWait */, nil); err != nil {
		return nil, fmt.Errorf("bind %s to %s: %w", q.Name, Exchange, err)
	}
	if err := ch.Qos(1024, 0, false /* global */); err != nil {
		return nil, fmt.Errorf("set prefetch: %w", err)
	}
	return ch.Consume(q.Name, "",
		true,  // autoAck: a copy for observing only
		true,  // exclusive
		false, // noLocal
		false, // noWait
		nil)
}

// Close closes the tap's connection; its queue goes with it.
func (t *Tap) Close() error { return t.conn.Close() }
