package billing

import "fmt"

// The decisions below are pure: given what the ledger holds for an order,
// they say what a command must do. The handlers surround them with IO.

type chargeAction int

const (
	// chargeAtGateway: nothing decided yet for the order; ask the gateway.
	chargeAtGateway chargeAction = iota
	// chargeExisting: the order is already charged; answer with that charge.
	chargeExisting
	// chargeBlocked: the order was refunded (compensated) first; the charge
	// must never happen.
	chargeBlocked
)

type chargeDecision struct {
	action   chargeAction
	existing Payment // the succeeded charge, for chargeExisting
}

func decideCharge(ps []Payment) chargeDecision {
	if c, ok := firstSucceeded(ps, KindCharge); ok {
		return chargeDecision{action: chargeExisting, existing: c}
	}
	if _, ok := firstSucceeded(ps, KindRefund); ok {
		return chargeDecision{action: chargeBlocked}
	}
	return chargeDecision{action: chargeAtGateway}
}

type refundAction int

const (
	// refundAtGateway: give amount of charge back through the gateway.
	refundAtGateway refundAction = iota
	// refundExisting: the order was refunded already; answer with that refund.
	refundExisting
	// refundNothing: nothing to give back; record a no-op refund (which
	// blocks a later charge) with reason.
	refundNothing
)

type refundDecision struct {
	action   refundAction
	existing Payment // the first succeeded refund, for refundExisting
	charge   Payment // the succeeded charge, for refundAtGateway
	amount   int64   // what goes back, for refundAtGateway
	reason   string  // why nothing goes back, for refundNothing
}

// decideRefund gives back min(requested, charged − refunded). A refund in
// another currency than the charge contradicts the ledger: an error wrapping
// ErrInvariant.
func decideRefund(ps []Payment, requested int64, currency string) (refundDecision, error) {
	if r, ok := firstSucceeded(ps, KindRefund); ok {
		return refundDecision{action: refundExisting, existing: r}, nil
	}
	charge, ok := firstSucceeded(ps, KindCharge)
	if !ok {
		return refundDecision{action: refundNothing, reason: ReasonNothingCharged}, nil
	}
	if charge.Currency != currency {
		return refundDecision{}, fmt.Errorf("refund in %s of a charge in %s: %w", currency, charge.Currency, ErrInvariant)
	}
	amount := min(requested, charge.AmountCents-succeededTotal(ps, KindRefund))
	if amount <= 0 {
		return refundDecision{action: refundNothing, reason: ReasonNothingRequested}, nil
	}
	return refundDecision{action: refundAtGateway, charge: charge, amount: amount}, nil
}

func firstSucceeded(ps []Payment, k Kind) (Payment, bool) {
	for _, p := range ps {
		if p.Kind == k && p.Status == StatusSucceeded {
			return p, true
		}
	}
	return Payment{}, false
}

func succeededTotal(ps []Payment, k Kind) int64 {
	var sum int64
	for _, p := range ps {
		if p.Kind == k && p.Status == StatusSucceeded {
			sum += p.AmountCents
		}
	}
	return sum
}
