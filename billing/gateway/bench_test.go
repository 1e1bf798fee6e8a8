package gateway_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"bookshop/billing/gateway"
	"bookshop/pkg/bench"
)

// BenchmarkCharge is one charge of a new order at the simulated gateway,
// at billing's default synchronous=NORMAL: one commit to its own file each.
func BenchmarkCharge(b *testing.B) {
	ctx := context.Background()
	g, err := gateway.Open(ctx, filepath.Join(b.TempDir(), "gateway.db"), gateway.Options{Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	n, cpu := 0, time.Duration(0)
	b.ReportAllocs()
	for b.Loop() {
		req := chargeOf(fmt.Sprintf("order-%d", n), "tok_visa", 1250)
		c0 := bench.CPUTime()
		if _, err := g.Charge(ctx, req); err != nil {
			b.Fatal(err)
		}
		cpu += bench.CPUTime() - c0
		n++
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/op")
}
