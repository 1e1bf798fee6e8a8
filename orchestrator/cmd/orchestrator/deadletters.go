package main

import (
	"context"
	"sync"
	"time"

	"bookshop/pkg/config"
	"bookshop/pkg/rabbit"
)

// deadLetterTimeout bounds one dead-letter operation.
const deadLetterTimeout = 30 * time.Second

// deadLetters gives the admin API every service's dead-letter queue
// through pkg/rabbit. Listing, replaying and deleting hold a whole queue
// for a moment, so they run one at a time.
type deadLetters struct {
	cfg    rabbit.Config
	queues []string
	mu     sync.Mutex
}

func newDeadLetters(c config.Common) *deadLetters {
	queues := make([]string, len(rabbit.Queues))
	for i, q := range rabbit.Queues {
		queues[i] = rabbit.DeadLetterQueue(q)
	}
	return &deadLetters{cfg: rabbit.Config{URL: c.AMQP.URL, ConnectionName: "orchestrator-dead-letters"}, queues: queues}
}

func (d *deadLetters) List(ctx context.Context, limit int) ([]rabbit.DeadLetter, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, deadLetterTimeout)
	defer cancel()
	return rabbit.ListDeadLetters(ctx, d.cfg, d.queues, limit)
}

// Counts only asks the broker; it holds nothing.
func (d *deadLetters) Counts(ctx context.Context) (map[string]int, error) {
	ctx, cancel := context.WithTimeout(ctx, deadLetterTimeout)
	defer cancel()
	return rabbit.CountDeadLetters(ctx, d.cfg, d.queues)
}

func (d *deadLetters) Replay(ctx context.Context, id string, body []byte) (rabbit.DeadLetter, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, deadLetterTimeout)
	defer cancel()
	return rabbit.ReplayDeadLetter(ctx, d.cfg, d.queues, id, body)
}

func (d *deadLetters) Delete(ctx context.Context, id string) (rabbit.DeadLetter, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, deadLetterTimeout)
	defer cancel()
	return rabbit.DeleteDeadLetter(ctx, d.cfg, d.queues, id)
}
