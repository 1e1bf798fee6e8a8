// Command loadgen runs N purchases at concurrency C against a bookshop and
// prints orders/s and the p50/p95/p99 time from placing an order (publishing
// its StartPurchase, or with -via frontend posting the checkout) to its saga
// reaching a terminal state, and how many orders ended in each state.
//
// It is a closed loop: C workers each place an order and wait for it to
// finish before placing the next. With -start it builds and starts the
// whole shop itself (fresh vhost, temporary databases, GOMAXPROCS=1 per
// program as under make run unless -env says otherwise), so one command
// measures everything:
//
//	go run ./e2e/cmd/loadgen -start -n 2000 -c 64
//
// An order's end is seen by default from its OrderStatusChanged events,
// copied to a private queue bound to the frontend's routing key (nothing is
// taken from the frontend), with the admin API polled as a fallback; with
// -watch poll only the admin API is polled. Run it from inside the
// repository: it reads configs/catalog.yaml for prices.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}
