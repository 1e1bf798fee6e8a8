package main

import (
	"context"
	"fmt"
	"io"

	"bookshop/communication"
	"bookshop/communication/httpapi"
	commsqlite "bookshop/communication/sqlite"
	"bookshop/pkg/config"
	"bookshop/pkg/inbox"
	"bookshop/pkg/service"
)

// run loads the configuration, wires the service and serves until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg := defaults()
	if err := config.Load(name, args, getenv, &cfg); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	sender, err := newSender(cfg.Email)
	if err != nil {
		return fmt.Errorf("email sender: %w", err)
	}
	svc, err := service.New(ctx, name, cfg.Common, stdout, commsqlite.Migrations)
	if err != nil {
		return err
	}
	observe, err := newEmailMetrics(svc.Metrics)
	if err != nil {
		svc.DB.Close()
		return fmt.Errorf("register email metrics: %w", err)
	}
	store := &commsqlite.Emails{DB: svc.DB}
	mailer, err := communication.NewMailer(communication.Deps{
		Store: store, Sender: sender, Log: svc.Log, Observe: observe,
	})
	if err != nil {
		svc.DB.Close()
		return err
	}
	// An email sent over SMTP cannot be unsent: a failed message must not
	// make the others of its batch run (and send) again.
	iso := inbox.Optimistic
	if sender.Name() != "mailbox" {
		iso = inbox.PerMessage
	}
	svc.Consume(mailer.Handle, inbox.Resend, iso)
	httpapi.Routes(svc.Mux, store, svc.Log)
	svc.Log.Info("email sender", "sender", sender.Name())
	return svc.Run(ctx)
}
