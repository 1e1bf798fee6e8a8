// Package rabbit is bookshop's RabbitMQ transport: the one place that speaks
// AMQP. It declares the shared topology, publishes with confirms and consumes
// with manual acks tied to the connection that delivered each message, and it
// reconnects forever with its own supervisor (never amqp091's Config.Recovery,
// whose re-numbered delivery tags let a stale ack remove another message).
package rabbit

import (
	"context"
	"errors"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

const (
	// Exchange is the direct, durable exchange every message is published to;
	// the routing key is the destination queue's name.
	Exchange = "bookshop"
	// DeadLetterExchange is the direct, durable exchange dead letters go to;
	// the routing key is the original queue's name.
	DeadLetterExchange = "bookshop.dlx"
)

// Queues every program declares on every (re)connect, so that a message to a
// service that never started is still routed and kept.
var Queues = []string{"orchestrator", "billing", "fulfillment", "communication", "frontend"}

// DeadLetterQueue names the queue that keeps the dead letters of queue.
func DeadLetterQueue(queue string) string { return queue + ".dead-letter" }

// Header names set on a dead-lettered copy of a message.
const (
	HeaderDeathReason    = "x-death-reason"
	HeaderOriginalQueue  = "x-original-queue"
	HeaderDeadLetteredAt = "x-dead-lettered-at"
)

// ErrUnroutable is wrapped by Publish when the broker returned a message
// because no queue is bound for its routing key.
var ErrUnroutable = errors.New("rabbit: message unroutable")

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("rabbit: publisher closed")

// Config is what a Consumer or Publisher needs to reach the broker. The zero
// value of every field but URL has a usable default.
type Config struct {
	URL            string // amqp://guest:guest@127.0.0.1:5672/vhost
	ConnectionName string // client-provided name, shown by rabbitmqctl list_connections
	Prefetch       int    // basic.qos per consumer; default 64
	BatchSize      int    // most deliveries handed to the handler at once (a pack is not split: up to Pack-1 more); default 1
	// BatchWait is how long a batch that is not yet full waits for more
	// deliveries after its first one; default 0: take what has arrived.
	BatchWait time.Duration
	// Pack is how many messages for one queue a Publish may send as one AMQP
	// message (PackType); 0 or 1: each alone. Consumers always unpack.
	Pack          int
	DeliveryLimit int           // x-delivery-limit of every quorum queue; default 20; never change it on a live broker (406)
	RequeueDelay  time.Duration // wait before nack-requeue after a transient handler error; default 1s

	// Backoff between connection attempts, with jitter; defaults 100ms and 5s.
	ReconnectInitial, ReconnectMax time.Duration
}

func (c Config) withDefaults() Config {
	if c.Prefetch <= 0 {
		c.Prefetch = 64
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 1
	}
	if c.DeliveryLimit <= 0 {
		c.DeliveryLimit = 20
	}
	if c.RequeueDelay <= 0 {
		c.RequeueDelay = time.Second
	}
	if c.ReconnectInitial <= 0 {
		c.ReconnectInitial = 100 * time.Millisecond
	}
	if c.ReconnectMax <= 0 {
		c.ReconnectMax = 5 * time.Second
	}
	if c.ReconnectMax < c.ReconnectInitial {
		c.ReconnectMax = c.ReconnectInitial
	}
	return c
}

// Publishing is one message to send.
type Publishing struct {
	RoutingKey    string // destination queue
	MessageID     string
	Type          string
	CorrelationID string
	Body          []byte // JSON, content type application/json
	Headers       map[string]any
}

// Delivery is one received message.
type Delivery struct {
	Queue         string
	MessageID     string
	Type          string
	CorrelationID string
	Body          []byte
	Headers       map[string]any
	Redelivered   bool
	DeliveryCount int // x-delivery-count header of quorum queues (0 on first delivery)

	gen uint64         // connection generation that delivered it
	ch  *amqp.Channel  // channel that delivered it; its tags mean nothing elsewhere
	raw *amqp.Delivery // the AMQP delivery: its tag settles it; its properties go onto a dead letter

	packed    int   // how many messages the pack it came in held; 0: it came alone
	unpackErr error // why the pack it is could not be read; the handler never sees it
}

// BatchHandler handles deliveries and returns exactly one error per delivery,
// in the same order: nil acks it, an error marked msg.Permanent dead-letters
// it, any other error requeues it after Config.RequeueDelay. It must commit
// its effects before returning: acks are sent only after it returns.
type BatchHandler func(ctx context.Context, ds []Delivery) []error

func newDelivery(queue string, gen uint64, ch *amqp.Channel, d *amqp.Delivery) Delivery {
	return Delivery{
		Queue:         queue,
		MessageID:     d.MessageId,
		Type:          d.Type,
		CorrelationID: d.CorrelationId,
		Body:          d.Body,
		Headers:       d.Headers,
		Redelivered:   d.Redelivered,
		DeliveryCount: deliveryCount(d.Headers),
		gen:           gen,
		ch:            ch,
		raw:           d,
	}
}

// deliveryCount reads x-delivery-count, whose integer width the broker picks.
func deliveryCount(h amqp.Table) int {
	switch v := h["x-delivery-count"].(type) {
	case int64:
		return int(v)
	case int32:
		return int(v)
	case int16:
		return int(v)
	case int8:
		return int(v)
	case int:
		return v
	case uint32:
		return int(v)
	case uint16:
		return int(v)
	case byte:
		return int(v)
	}
	return 0
}
