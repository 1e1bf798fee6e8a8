package billing

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// atGateway calls the gateway until it answers, at most Retry.MaxAttempts
// times, recording each failed attempt as a failed payment. Every attempt
// uses the same idempotency key, so an attempt that did reach the gateway
// before failing is not repeated there. When the attempts are used up it
// returns a plain error: the message is redelivered later. The failed rows
// then roll back with the message's transaction; the metric and the log keep
// the failures.
func (s *Service) atGateway(ctx context.Context, led Ledger, op string, base Payment,
	call func(context.Context) (GatewayResult, error)) (GatewayResult, error) {
	for attempt := 1; ; attempt++ {
		start := time.Now()
		res, err := call(ctx)
		s.observe(op, time.Since(start), res, err)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return GatewayResult{}, fmt.Errorf("%s at gateway: %w", op, err)
		}
		failed := base
		failed.Status, failed.Reason = StatusFailed, failureReason(err)
		if _, addErr := s.add(ctx, led, failed); addErr != nil {
			return GatewayResult{}, errors.Join(err, addErr)
		}
		s.d.Log.Warn("card gateway call failed", "order_id", base.OrderID, "operation", op,
			"attempt", attempt, "err", err)
		if s.d.Retry.Exhausted(attempt) {
			return GatewayResult{}, fmt.Errorf("%s at gateway, %d attempts: %w", op, attempt, err)
		}
		if err := s.d.Sleep(ctx, s.d.Retry.Delay(attempt)); err != nil {
			return GatewayResult{}, fmt.Errorf("%s at gateway: wait to retry: %w", op, err)
		}
	}
}

func (s *Service) observe(op string, d time.Duration, res GatewayResult, err error) {
	outcome := "approved"
	switch {
	case err != nil:
		outcome = "error"
	case !res.Approved:
		outcome = "declined"
	}
	s.d.Metrics.gatewaySeconds.WithLabelValues(op, outcome).Observe(d.Seconds())
}

func failureReason(err error) string {
	if errors.Is(err, ErrGatewayUnavailable) {
		return ReasonGatewayUnavailable
	}
	return ReasonGatewayError
}

// addResult records the gateway's answer: what it actually moved, which on
// a replayed idempotency key is what it moved the first time.
func (s *Service) addResult(ctx context.Context, led Ledger, base Payment, res GatewayResult) (Payment, error) {
	p := base
	p.GatewayRef = res.TransactionID
	p.Status, p.Reason = StatusDeclined, res.DeclineReason
	if res.Approved {
		p.Status, p.Reason = StatusSucceeded, ""
		p.AmountCents, p.Currency = res.AmountCents, res.Currency
	}
	return s.add(ctx, led, p)
}

// add gives p an id and a time and records it.
func (s *Service) add(ctx context.Context, led Ledger, p Payment) (Payment, error) {
	p.ID, p.CreatedAt = s.d.NewID(), s.d.Now()
	if err := led.Add(ctx, p); err != nil {
		return Payment{}, fmt.Errorf("record %s %s payment %s: %w", p.Status, p.Kind, p.ID, err)
	}
	return p, nil
}
