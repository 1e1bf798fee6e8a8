package communication

import (
	"context"
	"errors"
	"fmt"
	"net/mail"

	"bookshop/pkg/msg"

	"github.com/jmoiron/sqlx"
)

// SendEmail sends the order's email of m.Template at most once. A repeat,
// even under a new command id, answers EmailSent with the existing email's id
// and sends nothing. A sender failure is returned as a plain error: the
// email row is rolled back with it and the command is redelivered.
func (ml *Mailer) SendEmail(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, m *msg.SendEmail) ([]msg.Outgoing, error) {
	log := ml.log.With("order_id", m.OrderID, "template", m.Template, "message_id", env.ID)
	existing, err := ml.store.EmailFor(ctx, tx, m.OrderID, m.Template)
	switch {
	case err == nil:
		log.Info("email already sent for this order and template: nothing sent", "email_id", existing.ID)
		ml.observe(m.Template, OutcomeDuplicate)
		return ml.reply(env, m, existing.ID)
	case !errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("look up %s email of order %s: %w", m.Template, m.OrderID, err)
	}
	e, err := ml.compose(env, m)
	if err != nil {
		log.Error("email rejected", "err", err)
		ml.observe(m.Template, OutcomeRejected)
		return nil, msg.Permanent(err)
	}
	if err := ml.store.AddEmail(ctx, tx, e); err != nil {
		return nil, fmt.Errorf("store %s email of order %s: %w", m.Template, m.OrderID, err)
	}
	if err := ml.sender.Send(ctx, e); err != nil {
		log.Warn("email not sent; will be retried", "email_id", e.ID, "sender", e.Sender, "err", err)
		ml.observe(m.Template, OutcomeFailed)
		return nil, fmt.Errorf("send %s email %s of order %s via %s: %w", m.Template, e.ID, m.OrderID, e.Sender, err)
	}
	log.Info("email sent", "email_id", e.ID, "sender", e.Sender)
	ml.observe(m.Template, OutcomeSent)
	return ml.reply(env, m, e.ID)
}

// compose renders m into a new Email. Its errors are permanent: the same
// command can never render.
func (ml *Mailer) compose(env msg.Envelope, m *msg.SendEmail) (Email, error) {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return Email{}, fmt.Errorf("%s email of order %s: recipient %q: %w", m.Template, m.OrderID, m.To, err)
	}
	c, err := ml.renderer.Render(m)
	if err != nil {
		return Email{}, err
	}
	return Email{
		ID:        ml.newID(),
		OrderID:   m.OrderID,
		To:        to.Address,
		Template:  m.Template,
		Subject:   c.Subject,
		Text:      c.Text,
		HTML:      c.HTML,
		SentAt:    ml.now().UTC(),
		CommandID: env.ID,
		Sender:    ml.sender.Name(),
	}, nil
}

func (ml *Mailer) reply(env msg.Envelope, m *msg.SendEmail, emailID string) ([]msg.Outgoing, error) {
	sent := &msg.EmailSent{OrderID: m.OrderID, Template: m.Template, EmailID: emailID}
	out, err := msg.New(sent, env.CorrelationID, env.ID, ml.now())
	if err != nil {
		return nil, fmt.Errorf("reply to %s %s of order %s: %w", env.Type, env.ID, m.OrderID, err)
	}
	return []msg.Outgoing{out.To(msg.Orchestrator)}, nil
}
