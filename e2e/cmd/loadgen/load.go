package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"bookshop/e2e/harness"
	"bookshop/pkg/catalog"
	"bookshop/pkg/msg"
)

// result is what the run measured.
type result struct {
	elapsed   time.Duration
	latencies []time.Duration // of the orders that finished
	outcomes  map[string]int
	failed    int
	failures  []string // the first few
	orders    []harness.Order
}

func (r result) print(w io.Writer) {
	done := len(r.latencies)
	fmt.Fprintf(w, "finished %d orders in %v: %.1f orders/s\n", done, r.elapsed.Round(time.Millisecond), float64(done)/r.elapsed.Seconds())
	if done > 0 {
		l := slices.Clone(r.latencies)
		slices.Sort(l)
		fmt.Fprintf(w, "place -> terminal: p50 %v  p95 %v  p99 %v  max %v\n",
			pct(l, 0.50), pct(l, 0.95), pct(l, 0.99), l[len(l)-1].Round(time.Millisecond))
	}
	keys := make([]string, 0, len(r.outcomes))
	for k := range r.outcomes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%d", k, r.outcomes[k])
	}
	fmt.Fprintf(w, "outcomes:%s\n", b.String())
	if r.failed > 0 {
		fmt.Fprintf(w, "not finished: %d\n", r.failed)
		for _, f := range r.failures {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
}

// pct is the nearest-rank percentile of sorted latencies.
func pct(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(i, 0)].Round(time.Millisecond)
}

// loadRun is one run's shared state.
type loadRun struct {
	cfg     config
	client  *harness.Client
	cat     *catalog.Catalog
	mix     harness.Mix
	pub     *batcher
	watcher *harness.Watcher // nil when polling

	next atomic.Int64
	mu   sync.Mutex
	res  result
}

func load(ctx context.Context, cfg config, client *harness.Client, amqpURL string, cat *catalog.Catalog, mix harness.Mix, stdout io.Writer) (result, error) {
	lr := &loadRun{cfg: cfg, client: client, cat: cat, mix: mix, res: result{outcomes: map[string]int{}}}
	if err := client.Publisher.Connect(ctx); err != nil {
		return result{}, err
	}
	if cfg.watch == "events" {
		tap, err := harness.NewTapOf(ctx, amqpURL, msg.Frontend, harness.MayBeTerminal)
		if err != nil {
			return result{}, err
		}
		defer tap.Close()
		lr.watcher = harness.NewWatcher(tap.Events)
	}
	lr.pub = newBatcher(ctx, client)
	start := time.Now()
	stopProgress := progress(ctx, lr, start, stdout)
	var wg sync.WaitGroup
	for i := range cfg.c {
		wg.Go(func() { lr.worker(ctx, rand.New(rand.NewPCG(cfg.seed, uint64(i)))) })
	}
	wg.Wait()
	stopProgress()
	lr.res.elapsed = time.Since(start)
	return lr.res, ctx.Err()
}

// progress prints a line every five seconds until stopped.
func progress(ctx context.Context, lr *loadRun, start time.Time, w io.Writer) func() {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				lr.mu.Lock()
				done := len(lr.res.latencies) + lr.res.failed
				lr.mu.Unlock()
				fmt.Fprintf(w, "  %v: %d of %d finished\n", time.Since(start).Round(time.Second), done, lr.cfg.n)
			}
		}
	}()
	return cancel
}

// worker places orders one after another until there are n.
func (lr *loadRun) worker(ctx context.Context, rnd *rand.Rand) {
	for lr.next.Add(1) <= int64(lr.cfg.n) && ctx.Err() == nil {
		o, err := lr.mix.Random(lr.cat, rnd)
		if err != nil {
			lr.fail(harness.Order{}, err.Error())
			continue
		}
		t0 := time.Now()
		done, err := lr.place(ctx, &o)
		if err != nil {
			lr.fail(o, "place: "+err.Error())
			continue
		}
		state, err := lr.wait(ctx, o.OrderID, done, t0)
		if err != nil {
			lr.fail(o, err.Error())
			continue
		}
		lr.mu.Lock()
		lr.res.latencies = append(lr.res.latencies, time.Since(t0))
		lr.res.outcomes[state]++
		lr.res.orders = append(lr.res.orders, o)
		lr.mu.Unlock()
	}
}

// place places the order, by message or through the frontend (then the
// order takes the frontend's id), and returns where its end will be told.
func (lr *loadRun) place(ctx context.Context, o *harness.Order) (<-chan string, error) {
	if lr.cfg.via == "frontend" {
		fo, err := lr.client.Checkout(ctx, *o)
		if err != nil {
			return nil, err
		}
		o.OrderID = fo.ID
		return lr.watcher.Expect(o.OrderID), nil // nil watcher: nil channel
	}
	done := lr.watcher.Expect(o.OrderID)
	return done, lr.pub.place(ctx, *o)
}

func (lr *loadRun) fail(o harness.Order, why string) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	lr.res.failed++
	if o.OrderID != "" {
		lr.res.orders = append(lr.res.orders, o)
	}
	if len(lr.res.failures) < 10 {
		lr.res.failures = append(lr.res.failures, o.OrderID+": "+why)
	}
}

// wait returns the order's terminal state: from its event when watching,
// else (and as a fallback every second) from the admin API, polled with a
// growing interval.
func (lr *loadRun) wait(ctx context.Context, id string, done <-chan string, t0 time.Time) (string, error) {
	deadline := time.NewTimer(lr.cfg.timeout - time.Since(t0))
	defer deadline.Stop()
	interval := 10 * time.Millisecond
	if done != nil {
		interval = time.Second
		defer lr.watcher.Forget(id)
	}
	last := "not started"
	for {
		select {
		case state := <-done:
			return state, nil
		case <-time.After(interval):
		case <-deadline.C:
			return "", fmt.Errorf("not terminal after %v (last seen: %s)", lr.cfg.timeout, last)
		case <-ctx.Done():
			return "", ctx.Err()
		}
		if s, err := lr.client.Saga(ctx, id); err == nil {
			last = s.State
			if harness.IsTerminal(s.State) {
				return s.State, nil
			}
		}
		if done == nil {
			interval = min(2*interval, 200*time.Millisecond)
		}
	}
}

// batcher publishes the orders of all workers together: whatever is
// waiting goes out as one batch with its confirms in flight at once.
type batcher struct {
	reqs chan placeReq
}

type placeReq struct {
	o    harness.Order
	done chan error
}

func newBatcher(ctx context.Context, client *harness.Client) *batcher {
	b := &batcher{reqs: make(chan placeReq, 1024)}
	go func() {
		for {
			var batch []placeReq
			select {
			case <-ctx.Done():
				return
			case r := <-b.reqs:
				batch = append(batch, r)
			}
			for len(batch) < 256 && len(b.reqs) > 0 {
				batch = append(batch, <-b.reqs)
			}
			orders := make([]harness.Order, len(batch))
			for i, r := range batch {
				orders[i] = r.o
			}
			err := client.Place(ctx, orders...)
			for _, r := range batch {
				r.done <- err
			}
		}
	}()
	return b
}

func (b *batcher) place(ctx context.Context, o harness.Order) error {
	r := placeReq{o: o, done: make(chan error, 1)}
	select {
	case b.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
