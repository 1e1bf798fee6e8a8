// Command fulfillment is the bookshop's stock and delivery scheduling
// service: it consumes ScheduleDelivery and CancelDelivery from its queue and
// serves GET /shipments and GET /stock.
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
		fmt.Fprintln(os.Stderr, "fulfillment:", err)
		os.Exit(1)
	}
}
