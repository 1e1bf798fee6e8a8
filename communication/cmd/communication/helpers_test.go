package main

import (
	"context"
	"testing"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit"
	"bookshop/pkg/service/servicetest"
)

// deadLetters consumes communication's dead-letter queue of the vhost, as
// raw deliveries: the test reads their death headers.
func deadLetters(t *testing.T, url string) <-chan rabbit.Delivery {
	t.Helper()
	ch := make(chan rabbit.Delivery, 16)
	queue := rabbit.DeadLetterQueue(msg.Communication)
	c := rabbit.NewConsumer(rabbit.Config{URL: url, ConnectionName: "test-" + queue}, queue,
		func(_ context.Context, ds []rabbit.Delivery) []error {
			for _, d := range ds {
				ch <- d
			}
			return make([]error, len(ds))
		}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return ch
}

// publish sends m about orderID to communication's queue as the command with
// message id id (a repeated id is the same command again).
func publish(t *testing.T, url, id string, m msg.Message, orderID string) {
	t.Helper()
	env, err := msg.NewWithID(id, m, orderID, "cause-"+id, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	servicetest.Publish(t, url, msg.Communication, env)
}

// nextEmailSent waits for the next reply, with a deadline, and requires it
// to be EmailSent.
func nextEmailSent(t *testing.T, ch <-chan msg.Envelope) (msg.Envelope, msg.EmailSent) {
	t.Helper()
	env := servicetest.Next(t, ch, 15*time.Second)
	return env, servicetest.Payload[msg.EmailSent](t, env)
}
