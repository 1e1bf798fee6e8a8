package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything one run measured; -json prints it as it is.
type report struct {
	Command string   `json:"command"`
	Started string   `json:"started"`
	Machine machine  `json:"machine"`
	Ceiling ceiling  `json:"broker_ceiling"`
	Phases  []*phase `json:"phases"`
	// With -check: the outcome of the invariants over every order placed.
	Invariants string   `json:"invariants,omitempty"`
	Problems   []string `json:"invariant_problems,omitempty"`
}

// phase is one load: closed loop at a concurrency, or open loop at a rate.
type phase struct {
	Name           string  `json:"name"`
	Concurrency    int     `json:"concurrency,omitempty"`
	Rate           float64 `json:"rate,omitempty"` // offered orders/s
	WindowSeconds  float64 `json:"window_seconds"` // placing orders
	Seconds        float64 `json:"seconds"`        // from the first order to the last one's end
	SaturatedAfter float64 `json:"saturated_after_seconds,omitempty"`
	LoadAvgStart   float64 `json:"load_avg_start"`
	LoadAvgEnd     float64 `json:"load_avg_end"`
	Finished       int     `json:"finished"`
	Unfinished     int     `json:"unfinished"`
	CheckoutErrors int     `json:"checkout_errors"`
	OrdersPerSec   float64 `json:"orders_per_sec"`
	CeilingShare   float64 `json:"share_of_broker_ceiling"`
	MsgsPerOrder   float64 `json:"broker_msgs_per_order"`
	// AMQPMsgsPerOrder counts what the broker handled: a pack once.
	AMQPMsgsPerOrder float64            `json:"amqp_msgs_per_order"`
	CheckoutP50      float64            `json:"checkout_p50_ms"`
	CheckoutP99      float64            `json:"checkout_p99_ms"`
	TerminalP50      float64            `json:"terminal_p50_ms"`
	TerminalP95      float64            `json:"terminal_p95_ms"`
	TerminalP99      float64            `json:"terminal_p99_ms"`
	TerminalMax      float64            `json:"terminal_max_ms"`
	Outcomes         map[string]int     `json:"outcomes"`
	CPUPer1000       map[string]float64 `json:"cpu_seconds_per_1000_orders"`
	PeakRSSMiB       map[string]float64 `json:"peak_rss_mib"`
	Failures         []string           `json:"failures,omitempty"`
}

// summarise fills the phase's latency, rate and outcome figures from rec.
func (p *phase) summarise(rec *record, start time.Time) {
	p.Finished, p.Unfinished, p.CheckoutErrors = len(rec.terminal), rec.unfinished, rec.errors
	p.Outcomes, p.Failures = rec.outcomes, rec.failures
	if !rec.last.IsZero() {
		p.Seconds = rec.last.Sub(start).Seconds()
		p.OrdersPerSec = float64(p.Finished) / p.Seconds
	}
	c, t := sorted(rec.checkout), sorted(rec.terminal)
	p.CheckoutP50, p.CheckoutP99 = pct(c, 0.50), pct(c, 0.99)
	p.TerminalP50, p.TerminalP95, p.TerminalP99 = pct(t, 0.50), pct(t, 0.95), pct(t, 0.99)
	p.TerminalMax = pct(t, 1)
}

func sorted(ds []time.Duration) []time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s
}

// pct is the nearest-rank percentile of sorted durations, in milliseconds.
func pct(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0 // none finished; printed as "-" (JSON has no NaN)
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return float64(sorted[max(i, 0)].Microseconds()) / 1000
}

// print writes the one table: a column per phase, a row per figure.
func (r *report) print(w io.Writer, processes []string) {
	m := r.Machine
	fmt.Fprintf(w, "\nbookshop bench, %s\n", r.Started)
	fmt.Fprintf(w, "machine: %d CPUs (%s), %s RAM, Linux %s, %s, %s\n", m.CPUs, m.CPUModel, m.MemTotal, m.Kernel, m.Go, m.Broker)
	fmt.Fprintf(w, "command: %s\n", r.Command)
	c := r.Ceiling
	fmt.Fprintf(w, "broker ceiling: %.0f msgs/s (persistent, quorum queue, confirms %d in flight, consumed and acked; %d msgs in %.1fs; broker %.0f ms CPU per 1000 msgs)\n\n",
		c.MsgsPerSec, c.InFlight, c.Messages, c.Seconds, c.BrokerCPUMs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label string, cell func(p *phase) string) {
		cells := []string{label}
		for _, p := range r.Phases {
			cells = append(cells, cell(p))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	row("", func(p *phase) string { return p.Name })
	row("load average (start, end)", func(p *phase) string { return fmt.Sprintf("%.1f, %.1f", p.LoadAvgStart, p.LoadAvgEnd) })
	row("orders finished", func(p *phase) string { return fmt.Sprint(p.Finished) })
	row("orders/s sustained", func(p *phase) string { return fmt.Sprintf("%.0f", p.OrdersPerSec) })
	row("share of broker ceiling", func(p *phase) string { return fmt.Sprintf("%.0f%%", 100*p.CeilingShare) })
	row("msgs per order (AMQP msgs)", func(p *phase) string { return fmt.Sprintf("%.1f (%.1f)", p.MsgsPerOrder, p.AMQPMsgsPerOrder) })
	row("checkout p50 / p99 (ms)", func(p *phase) string { return fmt.Sprintf("%s / %s", ms(p.CheckoutP50), ms(p.CheckoutP99)) })
	row("to terminal p50 (ms)", func(p *phase) string { return ms(p.TerminalP50) })
	row("to terminal p95 (ms)", func(p *phase) string { return ms(p.TerminalP95) })
	row("to terminal p99 (ms)", func(p *phase) string { return ms(p.TerminalP99) })
	row("outcomes", func(p *phase) string { return outcomes(p.Outcomes) })
	row("unfinished (lost) / checkout errors", func(p *phase) string { return fmt.Sprintf("%d / %d", p.Unfinished, p.CheckoutErrors) })
	row("saturated after (s)", func(p *phase) string {
		if p.SaturatedAfter == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f", p.SaturatedAfter)
	})
	row("CPU s per 1000 orders:", func(*phase) string { return "" })
	for _, name := range append(slices.Clone(processes), "total") {
		row("  "+name, func(p *phase) string { return fmt.Sprintf("%.2f", p.CPUPer1000[name]) })
	}
	row("peak RSS (MiB):", func(*phase) string { return "" })
	for _, name := range processes {
		if _, ok := r.Phases[0].PeakRSSMiB[name]; ok {
			row("  "+name, func(p *phase) string { return fmt.Sprintf("%.0f", p.PeakRSSMiB[name]) })
		}
	}
	tw.Flush()
	for _, p := range r.Phases {
		for _, f := range p.Failures {
			fmt.Fprintf(w, "%s: %s\n", p.Name, f)
		}
	}
	if r.Invariants != "" {
		fmt.Fprintf(w, "invariants over every order placed (warm-up included): %s\n", r.Invariants)
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
}

func ms(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func outcomes(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
