package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"bookshop/frontend"
	"bookshop/frontend/httpapi"
	fsqlite "bookshop/frontend/sqlite"
	"bookshop/pkg/bench"
	"bookshop/pkg/catalog"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"

	"github.com/prometheus/client_golang/prometheus"
)

// newBenchMux is the frontend's HTTP API on a real SQLite file at
// synchronous=NORMAL (a commit costs CPU, not a wait for the disk), with
// metrics, and the log formatted as in production but thrown away.
func newBenchMux(b *testing.B) http.Handler {
	b.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "frontend.db"), sqlite.Options{Synchronous: "NORMAL"},
		outbox.Migrations, fsqlite.Migrations)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	cat, err := catalog.New(testBooks())
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	metrics, err := frontend.NewMetrics(reg)
	if err != nil {
		b.Fatal(err)
	}
	shop := frontend.NewShop(frontend.Deps{Catalog: cat, DB: db, Orders: fsqlite.Orders{}, Log: log, Metrics: metrics})
	mux := http.NewServeMux()
	live, stop := context.WithCancel(context.Background())
	b.Cleanup(stop)
	if err := httpapi.Register(mux, shop, httpapi.Options{Log: log, Registry: reg, ShopMetrics: metrics, Live: live}); err != nil {
		b.Fatal(err)
	}
	return mux
}

// BenchmarkCheckout is POST /api/orders in the handler, as the bench's
// customers send it (no Idempotency-Key) and as the storefront does (with
// one): read, decode, validate, hash, store and commit, answer. 64
// requests run at once, so they share commits as under load; the HTTP
// connection itself is left out (httptest.ResponseRecorder).
func BenchmarkCheckout(b *testing.B) {
	for _, keyed := range []bool{false, true} {
		b.Run(fmt.Sprintf("key=%v", keyed), func(b *testing.B) {
			mux := newBenchMux(b)
			var n atomic.Int64
			b.SetParallelism(32)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := bench.CPUTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest(http.MethodPost, "/api/orders", strings.NewReader(validBody))
					req.Header.Set("Content-Type", "application/json")
					if keyed {
						req.Header.Set("Idempotency-Key", fmt.Sprintf("key-%d", n.Add(1)))
					}
					w := httptest.NewRecorder()
					mux.ServeHTTP(w, req)
					if w.Code != http.StatusAccepted {
						b.Errorf("status %d: %s", w.Code, w.Body)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(bench.CPUTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
