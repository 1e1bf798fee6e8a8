// Command communication is the bookshop's email service: it consumes
// SendEmail from the communication queue, sends one email per order and
// template, and answers EmailSent to the orchestrator.
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
		fmt.Fprintln(os.Stderr, "communication:", err)
		os.Exit(1)
	}
}
