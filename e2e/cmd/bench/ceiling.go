package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// ceilingQueue is the quorum queue of the raw broker pass, in the bench's
// own vhost (deleted with it).
const ceilingQueue = "bench.ceiling"

// ceiling is what the broker alone managed on this machine.
type ceiling struct {
	Messages    int     `json:"messages"`
	Seconds     float64 `json:"seconds"`
	MsgsPerSec  float64 `json:"msgs_per_sec"`
	InFlight    int     `json:"in_flight"`
	BodyBytes   int     `json:"body_bytes"`
	BrokerCPUMs float64 `json:"broker_cpu_ms_per_1000_msgs"`
}

// measureCeiling publishes persistent messages with confirms, inFlight
// unconfirmed at a time, to a quorum queue for d, while a second connection
// consumes them with acks (prefetch inFlight, acking what has arrived in one
// multiple ack, as the shop's consumers settle a batch). It returns the
// rate at which messages went all the way through: published, confirmed,
// delivered and acked.
func measureCeiling(ctx context.Context, url string, d time.Duration, inFlight int, brokerCPU func() time.Duration) (ceiling, error) {
	pubConn, err := amqp.Dial(url)
	if err != nil {
		return ceiling{}, fmt.Errorf("ceiling: connect: %w", err)
	}
	defer pubConn.Close()
	conConn, err := amqp.Dial(url)
	if err != nil {
		return ceiling{}, fmt.Errorf("ceiling: connect: %w", err)
	}
	defer conConn.Close()
	pub, err := pubConn.Channel()
	if err != nil {
		return ceiling{}, err
	}
	if _, err := pub.QueueDeclare(ceilingQueue, true, false, false, false,
		amqp.Table{amqp.QueueTypeArg: amqp.QueueTypeQuorum}); err != nil {
		return ceiling{}, fmt.Errorf("ceiling: declare %s: %w", ceilingQueue, err)
	}
	if err := pub.Confirm(false); err != nil {
		return ceiling{}, err
	}
	var consumed atomic.Int64
	conDone := make(chan error, 1)
	go func() { conDone <- consumeAll(ctx, conConn, inFlight, &consumed) }()

	body := bytes.Repeat([]byte("x"), 600) // about an envelope's size
	cpu0, start := brokerCPU(), time.Now()
	sent, err := publishFor(ctx, pub, body, d, inFlight)
	if err != nil {
		return ceiling{}, err
	}
	for consumed.Load() < int64(sent) { // the consumer catches up
		select {
		case err := <-conDone:
			return ceiling{}, fmt.Errorf("ceiling: consumer stopped at %d of %d: %v", consumed.Load(), sent, err)
		case <-ctx.Done():
			return ceiling{}, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	elapsed := time.Since(start)
	cpu := brokerCPU() - cpu0
	return ceiling{
		Messages: sent, Seconds: elapsed.Seconds(), MsgsPerSec: float64(sent) / elapsed.Seconds(),
		InFlight: inFlight, BodyBytes: len(body),
		BrokerCPUMs: float64(cpu.Milliseconds()) / float64(sent) * 1000,
	}, nil
}

// publishFor publishes for d with a sliding window of inFlight unconfirmed
// messages and returns how many the broker confirmed.
func publishFor(ctx context.Context, ch *amqp.Channel, body []byte, d time.Duration, inFlight int) (int, error) {
	var window []*amqp.DeferredConfirmation
	wait := func(dc *amqp.DeferredConfirmation) error {
		ok, err := dc.WaitContext(ctx)
		if err == nil && !ok {
			err = errors.New("broker nacked")
		}
		return err
	}
	end, sent := time.Now().Add(d), 0
	for time.Now().Before(end) {
		if len(window) == inFlight {
			if err := wait(window[0]); err != nil {
				return 0, fmt.Errorf("ceiling: confirm: %w", err)
			}
			window = window[1:]
		}
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", ceilingQueue, false, false, amqp.Publishing{
			ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: body,
		})
		if err != nil {
			return 0, fmt.Errorf("ceiling: publish: %w", err)
		}
		window = append(window, dc)
		sent++
	}
	for _, dc := range window {
		if err := wait(dc); err != nil {
			return 0, fmt.Errorf("ceiling: confirm: %w", err)
		}
	}
	return sent, nil
}

// consumeAll consumes until the connection closes, acking whatever has
// arrived with one multiple ack.
func consumeAll(ctx context.Context, conn *amqp.Connection, prefetch int, n *atomic.Int64) error {
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	if err := ch.Qos(prefetch, 0, false); err != nil {
		return err
	}
	raw, err := ch.Consume(ceilingQueue, "", false, false, false, false, nil)
	if err != nil {
		return err
	}
	buf := make(chan amqp.Delivery, prefetch)
	go func() {
		defer close(buf)
		for d := range raw {
			buf <- d
		}
	}()
	for d := range buf {
		last := d
		for more := true; more; {
			select {
			case d, ok := <-buf:
				if !ok {
					more = false
					break
				}
				last = d
				n.Add(1)
			default:
				more = false
			}
		}
		n.Add(1)
		if err := last.Ack(true); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return errors.New("deliveries closed")
}
