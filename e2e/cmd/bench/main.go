// Command bench measures the whole bookshop on this machine in one run and
// prints one table. It builds and starts the five programs on a fresh vhost
// with fresh databases at their durable defaults (synchronous=FULL,
// persistent messages, confirms, acks after commit), then:
//
//  1. measures the broker's own ceiling here: persistent messages published
//     with confirms (256 in flight) to a quorum queue in the bench's vhost
//     and consumed with acks, so that the shop's rate can be read as a
//     share of what the broker alone manages on a machine of unknown load;
//  2. places orders through the frontend's customer API (POST /api/orders)
//     in a closed loop: -c customers, each waiting for its order to end
//     before placing the next, for -duration;
//  3. places orders in an open loop at each of -rates orders/s for
//     -rate-duration each, arrivals on a fixed schedule whatever the shop
//     is doing (past -max-outstanding orders in flight the rate counts as
//     saturated and its arrivals stop).
//
// For each load it reports orders/s sustained, the checkout's HTTP latency
// (p50, p99), the time from checkout to the order's terminal
// OrderStatusChanged (p50, p95, p99), the outcomes, orders not finished,
// CPU seconds per 1,000 orders of each program, the broker and the bench
// itself (from /proc/PID/stat), each program's peak RSS (VmHWM, reset per
// phase), and the messages published per order with the AMQP messages that
// carried them (fewer when packed). The broker is shared with whatever else runs on the machine:
// its CPU is all of its work, not the shop's alone. -json prints the same as
// JSON, and the latency against the open-loop rates is drawn into -plot.
//
//	go run ./e2e/cmd/bench                          # about four minutes
//	go run ./e2e/cmd/bench -duration 20s -rates 200,500 -rate-duration 10s
//
// Run it from inside the repository: it reads configs/catalog.yaml and
// writes the plot under the repository root.
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
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
