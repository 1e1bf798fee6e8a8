package billing

import (
	"context"
	"fmt"

	"bookshop/pkg/msg"
)

// charge charges the order once. An order already charged is answered with
// its charge; an order refunded first is answered order_cancelled without
// asking the gateway.
func (s *Service) charge(ctx context.Context, led Ledger, env msg.Envelope, c *msg.ChargePayment) ([]msg.Outgoing, error) {
	log := s.d.Log.With("order_id", c.OrderID, "command_id", env.ID)
	ps, err := led.OrderPayments(ctx, c.OrderID)
	if err != nil {
		return nil, fmt.Errorf("charge order %s: %w", c.OrderID, err)
	}
	switch d := decideCharge(ps); d.action {
	case chargeExisting:
		s.d.Metrics.charges.WithLabelValues("existing").Inc()
		log.Info("order already charged: answering with its charge", "payment_id", d.existing.ID)
		return s.reply(env, c.OrderID, chargedMsg(d.existing))
	case chargeBlocked:
		s.d.Metrics.charges.WithLabelValues("blocked").Inc()
		log.Info("charge after the order's refund: not charging")
		return s.reply(env, c.OrderID, &msg.PaymentDeclined{OrderID: c.OrderID, Reason: ReasonOrderCancelled})
	}
	return s.chargeAtGateway(ctx, led, env, c)
}

// chargeAtGateway asks the gateway and records its answer.
func (s *Service) chargeAtGateway(ctx context.Context, led Ledger, env msg.Envelope, c *msg.ChargePayment) ([]msg.Outgoing, error) {
	log := s.d.Log.With("order_id", c.OrderID, "command_id", env.ID)
	base := Payment{OrderID: c.OrderID, Kind: KindCharge, AmountCents: c.AmountCents,
		Currency: c.Currency, Token: c.PaymentToken, CommandID: env.ID}
	req := ChargeRequest{IdempotencyKey: ChargeKey(c.OrderID), OrderID: c.OrderID,
		Token: c.PaymentToken, AmountCents: c.AmountCents, Currency: c.Currency}
	res, err := s.atGateway(ctx, led, "charge", base, func(ctx context.Context) (GatewayResult, error) {
		return s.d.Gateway.Charge(ctx, req)
	})
	if err != nil {
		s.d.Metrics.charges.WithLabelValues("failed").Inc()
		return nil, fmt.Errorf("charge order %s: %w", c.OrderID, err)
	}
	p, err := s.addResult(ctx, led, base, res)
	if err != nil {
		return nil, fmt.Errorf("charge order %s: %w", c.OrderID, err)
	}
	if !res.Approved {
		s.d.Metrics.charges.WithLabelValues("declined").Inc()
		log.Info("charge declined", "payment_id", p.ID, "reason", p.Reason)
		return s.reply(env, c.OrderID, &msg.PaymentDeclined{OrderID: c.OrderID, Reason: p.Reason})
	}
	s.d.Metrics.charges.WithLabelValues("succeeded").Inc()
	log.Info("order charged", "payment_id", p.ID, "amount_cents", p.AmountCents, "currency", p.Currency)
	return s.reply(env, c.OrderID, chargedMsg(p))
}

// refund gives back min(requested, charged − refunded) once per order. A
// refund that finds nothing to give back succeeds as a no-op and, being
// recorded, blocks a later charge; a second refund is answered with the first.
func (s *Service) refund(ctx context.Context, led Ledger, env msg.Envelope, r *msg.RefundPayment) ([]msg.Outgoing, error) {
	log := s.d.Log.With("order_id", r.OrderID, "command_id", env.ID)
	ps, err := led.OrderPayments(ctx, r.OrderID)
	if err != nil {
		return nil, fmt.Errorf("refund order %s: %w", r.OrderID, err)
	}
	d, err := decideRefund(ps, r.AmountCents, r.Currency)
	if err != nil {
		return nil, msg.Permanent(fmt.Errorf("refund order %s: %w", r.OrderID, err))
	}
	switch d.action {
	case refundExisting:
		s.d.Metrics.refunds.WithLabelValues("existing").Inc()
		log.Info("order already refunded: answering with its refund", "payment_id", d.existing.ID)
		return s.reply(env, r.OrderID, refundedMsg(d.existing))
	case refundNothing:
		return s.refundNothing(ctx, led, env, r, d.reason)
	}
	return s.refundAtGateway(ctx, led, env, r, d)
}

// refundAtGateway gives d.amount of the charge back through the gateway and
// records it.
func (s *Service) refundAtGateway(ctx context.Context, led Ledger, env msg.Envelope, r *msg.RefundPayment, d refundDecision) ([]msg.Outgoing, error) {
	base := Payment{OrderID: r.OrderID, Kind: KindRefund, AmountCents: d.amount,
		Currency: d.charge.Currency, CommandID: env.ID}
	req := RefundRequest{IdempotencyKey: RefundKey(r.OrderID), OrderID: r.OrderID,
		ChargeRef: d.charge.GatewayRef, AmountCents: d.amount, Currency: d.charge.Currency}
	res, err := s.atGateway(ctx, led, "refund", base, func(ctx context.Context) (GatewayResult, error) {
		return s.d.Gateway.Refund(ctx, req)
	})
	if err != nil {
		s.d.Metrics.refunds.WithLabelValues("failed").Inc()
		return nil, fmt.Errorf("refund order %s: %w", r.OrderID, err)
	}
	if !res.Approved {
		// Billing asks only for what the gateway charged: a decline means
		// the two records disagree, which an operator must look at.
		s.d.Metrics.refunds.WithLabelValues("failed").Inc()
		s.d.Log.Error("gateway declined a refund billing owes: dead-lettering the command",
			"order_id", r.OrderID, "command_id", env.ID, "charge_ref", d.charge.GatewayRef, "reason", res.DeclineReason)
		return nil, msg.Permanent(fmt.Errorf("refund order %s: gateway declined refund of charge %s: %s: %w",
			r.OrderID, d.charge.GatewayRef, res.DeclineReason, ErrInvariant))
	}
	p, err := s.addResult(ctx, led, base, res)
	if err != nil {
		return nil, fmt.Errorf("refund order %s: %w", r.OrderID, err)
	}
	s.d.Metrics.refunds.WithLabelValues("succeeded").Inc()
	s.d.Log.Info("order refunded", "order_id", r.OrderID, "command_id", env.ID,
		"payment_id", p.ID, "amount_cents", p.AmountCents, "currency", p.Currency)
	return s.reply(env, r.OrderID, refundedMsg(p))
}

func (s *Service) refundNothing(ctx context.Context, led Ledger, env msg.Envelope, r *msg.RefundPayment, reason string) ([]msg.Outgoing, error) {
	p := Payment{OrderID: r.OrderID, Kind: KindRefund, Currency: r.Currency,
		Status: StatusSucceeded, Reason: reason, CommandID: env.ID}
	p, err := s.add(ctx, led, p)
	if err != nil {
		return nil, fmt.Errorf("refund order %s: %w", r.OrderID, err)
	}
	s.d.Metrics.refunds.WithLabelValues("noop").Inc()
	s.d.Log.Info("nothing to refund: no-op refund recorded, a later charge is blocked",
		"order_id", r.OrderID, "command_id", env.ID, "payment_id", p.ID, "reason", reason)
	return s.reply(env, r.OrderID, refundedMsg(p))
}

// reply addresses m to the orchestrator, caused by env.
func (s *Service) reply(env msg.Envelope, orderID string, m msg.Message) ([]msg.Outgoing, error) {
	corr := env.CorrelationID
	if corr == "" {
		corr = orderID
	}
	out, err := msg.NewWithID(s.d.NewID(), m, corr, env.ID, s.d.Now())
	if err != nil {
		return nil, msg.Permanent(fmt.Errorf("reply to %s %s: %w", env.Type, env.ID, err))
	}
	return []msg.Outgoing{out.To(msg.Orchestrator)}, nil
}

func chargedMsg(p Payment) *msg.PaymentCharged {
	return &msg.PaymentCharged{OrderID: p.OrderID, PaymentID: p.ID, AmountCents: p.AmountCents, Currency: p.Currency}
}

func refundedMsg(p Payment) *msg.PaymentRefunded {
	return &msg.PaymentRefunded{OrderID: p.OrderID, PaymentID: p.ID, AmountCents: p.AmountCents, Currency: p.Currency}
}
