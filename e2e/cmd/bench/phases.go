package main

import (
	"context"
	"fmt"
	"time"
)

// runAll measures the broker ceiling, then each load in turn, each starting
// on a quiet shop.
func (b *bench) runAll(ctx context.Context, rep *report) error {
	if b.cfg.ceilingDuration > 0 {
		fmt.Fprintf(b.log, "broker ceiling pass, %v\n", b.cfg.ceilingDuration)
		c, err := measureCeiling(ctx, b.shop.AMQPURL, b.cfg.ceilingDuration, b.cfg.ceilingInFlight,
			func() time.Duration { return b.meter.cpu()["rabbitmq"] })
		if err != nil {
			return err
		}
		rep.Ceiling = c
	}
	if b.cfg.warmup > 0 && b.cfg.c > 0 {
		fmt.Fprintf(b.log, "warm-up, closed loop c=%d for %v (not reported)\n", b.cfg.c, b.cfg.warmup)
		b.driver.begin()
		b.driver.closedLoop(ctx, b.cfg.c, b.cfg.warmup)
		b.all = append(b.all, b.driver.end().orders...)
		if err := b.quiet(ctx); err != nil {
			return err
		}
	}
	if b.cfg.c > 0 {
		p := &phase{Name: fmt.Sprintf("closed c=%d", b.cfg.c), Concurrency: b.cfg.c, WindowSeconds: b.cfg.duration.Seconds()}
		err := b.measure(ctx, p, rep, func() { b.driver.closedLoop(ctx, b.cfg.c, b.cfg.duration) })
		if err != nil {
			return err
		}
	}
	for _, rate := range b.cfg.rates {
		p := &phase{Name: fmt.Sprintf("open %g/s", rate), Rate: rate, WindowSeconds: b.cfg.rateDuration.Seconds()}
		err := b.measure(ctx, p, rep, func() {
			sat := b.driver.openLoop(ctx, rate, b.cfg.rateDuration, b.cfg.maxOutstanding)
			p.SaturatedAfter = sat.Seconds()
		})
		if err != nil {
			return err
		}
	}
	if b.cfg.check {
		return b.checkAll(ctx, rep)
	}
	return nil
}

// measure runs one load and fills p with what it cost.
func (b *bench) measure(ctx context.Context, p *phase, rep *report, load func()) error {
	fmt.Fprintf(b.log, "%s for %v\n", p.Name, time.Duration(p.WindowSeconds*float64(time.Second)))
	pub0, err := published(ctx, b.shop)
	if err != nil {
		return err
	}
	p.LoadAvgStart = loadAvg()
	b.meter.resetPeaks()
	cpu0 := b.meter.cpu()
	b.driver.begin()
	start := time.Now()
	load()
	rec := b.driver.end()
	cpu1, peaks := b.meter.cpu(), b.meter.peaks()
	p.LoadAvgEnd = loadAvg()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	p.summarise(rec, start)
	b.all = append(b.all, rec.orders...)
	p.CPUPer1000, p.PeakRSSMiB = map[string]float64{}, map[string]float64{}
	for name, c := range cpu1 {
		if p.Finished > 0 {
			v := (c - cpu0[name]).Seconds() / float64(p.Finished) * 1000
			p.CPUPer1000[name] = v
			p.CPUPer1000["total"] += v
		}
	}
	for name, rss := range peaks {
		p.PeakRSSMiB[name] = float64(rss) / (1 << 20)
	}
	if err := b.quiet(ctx); err != nil {
		return err
	}
	pub1, err := published(ctx, b.shop)
	if err != nil {
		return err
	}
	if n := float64(p.Finished + p.Unfinished); n > 0 {
		p.MsgsPerOrder = (pub1.msgs - pub0.msgs) / n
		p.AMQPMsgsPerOrder = (pub1.amqp - pub0.amqp) / n
	}
	if rep.Ceiling.MsgsPerSec > 0 {
		// Messages, not AMQP messages: a measure of throughput that compares
		// across machines and builds, packed or not.
		p.CeilingShare = p.OrdersPerSec * p.MsgsPerOrder / rep.Ceiling.MsgsPerSec
	}
	rep.Phases = append(rep.Phases, p)
	fmt.Fprintf(b.log, "  %d orders finished in %.1fs: %.0f orders/s, to terminal p50 %s ms p99 %s ms\n",
		p.Finished, p.Seconds, p.OrdersPerSec, ms(p.TerminalP50), ms(p.TerminalP99))
	return nil
}

// quiet waits until every queue and outbox of the shop is empty.
func (b *bench) quiet(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	return b.shop.WaitQuiet(ctx)
}

// checkAll runs the end-to-end invariants over every order placed.
func (b *bench) checkAll(ctx context.Context, rep *report) error {
	fmt.Fprintf(b.log, "checking the invariants of %d orders\n", len(b.all))
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	r, err := b.shop.Check(ctx, b.shop.Catalog, b.all)
	if err != nil {
		return err
	}
	rep.Invariants = r.Summary()
	for i, p := range r.Problems {
		if i == 20 {
			rep.Problems = append(rep.Problems, fmt.Sprintf("... and %d more", len(r.Problems)-20))
			break
		}
		rep.Problems = append(rep.Problems, p)
	}
	return nil
}
