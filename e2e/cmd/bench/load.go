package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"bookshop/e2e/harness"
	"bookshop/pkg/catalog"
)

// driver places orders through the frontend's customer API and waits for
// each to end, recording what one phase saw.
type driver struct {
	client  *harness.Client
	cat     *catalog.Catalog
	mix     harness.Mix
	watcher *harness.Watcher
	timeout time.Duration
	seed    uint64
	serial  atomic.Uint64 // seeds each order's randomness

	mu  sync.Mutex
	rec *record
}

// record is what one phase saw, order by order.
type record struct {
	checkout   []time.Duration // POST /api/orders round trips that answered 202
	terminal   []time.Duration // from sending the checkout to the terminal event
	outcomes   map[string]int
	errors     int      // checkouts that failed
	unfinished int      // accepted, not terminal within the timeout
	failures   []string // the first few reasons
	orders     []harness.Order
	last       time.Time // when the last order ended
}

// begin starts a new record.
func (d *driver) begin() {
	d.mu.Lock()
	d.rec = &record{outcomes: map[string]int{}}
	d.mu.Unlock()
}

// end returns the record of the phase.
func (d *driver) end() *record {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rec
}

// order places one order and waits for its end.
func (d *driver) order(ctx context.Context) {
	rnd := rand.New(rand.NewPCG(d.seed, d.serial.Add(1)))
	o, err := d.mix.Random(d.cat, rnd)
	if err != nil {
		d.fail(o, false, err.Error())
		return
	}
	t0 := time.Now()
	fo, err := d.client.Checkout(ctx, o)
	took := time.Since(t0)
	if err != nil {
		d.fail(o, false, "checkout: "+err.Error())
		return
	}
	o.OrderID = fo.ID
	done := d.watcher.Expect(fo.ID)
	timer := time.NewTimer(d.timeout)
	defer timer.Stop()
	select {
	case state := <-done:
		now := time.Now()
		d.mu.Lock()
		r := d.rec
		r.checkout = append(r.checkout, took)
		r.terminal = append(r.terminal, now.Sub(t0))
		r.outcomes[state]++
		r.orders = append(r.orders, o)
		r.last = now
		d.mu.Unlock()
	case <-timer.C:
		d.watcher.Forget(fo.ID)
		d.fail(o, true, fmt.Sprintf("not terminal after %v", d.timeout))
	case <-ctx.Done():
		d.watcher.Forget(fo.ID)
	}
}

func (d *driver) fail(o harness.Order, accepted bool, why string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.rec
	if accepted {
		r.unfinished++
		r.orders = append(r.orders, o)
	} else {
		r.errors++
	}
	if len(r.failures) < 5 {
		r.failures = append(r.failures, o.OrderID+": "+why)
	}
}

// closedLoop runs c workers, each placing an order and waiting for its end
// before the next, until window has passed; orders in flight then finish.
func (d *driver) closedLoop(ctx context.Context, c int, window time.Duration) {
	end := time.Now().Add(window)
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for time.Now().Before(end) && ctx.Err() == nil {
				d.order(ctx)
			}
		})
	}
	wg.Wait()
}

// openLoop starts orders at a fixed rate for window, each on its own,
// whatever the earlier ones are doing: the arrival schedule never waits for
// the shop (no coordinated omission). Past maxOutstanding orders in flight
// the shop is not keeping up: arrivals stop, and openLoop reports when.
func (d *driver) openLoop(ctx context.Context, rate float64, window time.Duration, maxOutstanding int) (saturatedAfter time.Duration) {
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	var outstanding atomic.Int64
	var wg sync.WaitGroup
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= window || ctx.Err() != nil {
			break
		}
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		if outstanding.Load() >= int64(maxOutstanding) {
			saturatedAfter = time.Since(start)
			break
		}
		outstanding.Add(1)
		wg.Go(func() {
			defer outstanding.Add(-1)
			d.order(ctx)
		})
	}
	wg.Wait()
	return saturatedAfter
}
