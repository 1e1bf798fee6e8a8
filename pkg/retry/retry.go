// Package retry holds the retry policy: a value with a pure Delay, so that
// timeouts and backoff are testable without sleeping.
package retry

import (
	"math"
	"time"
)

// Policy is exponential backoff: Initial, then multiplied by Coefficient per
// attempt, capped at Max. MaxAttempts bounds the attempts (0: unbounded); the
// caller compensates or dead-letters after the last one.
type Policy struct {
	Initial     time.Duration
	Coefficient float64
	Max         time.Duration
	MaxAttempts int
}

// Delay is the wait after attempt number attempt (1 for the first retry).
func (p Policy) Delay(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	c := p.Coefficient
	if c < 1 {
		c = 2
	}
	d := float64(p.Initial) * math.Pow(c, float64(attempt-1))
	if p.Max > 0 && (d > float64(p.Max) || math.IsInf(d, 1) || math.IsNaN(d)) {
		return p.Max
	}
	return time.Duration(d)
}

// Jittered is Delay scaled by a factor between 0.5 and 1.5 chosen by r in
// [0,1) ("equal jitter"), so that many sagas timed out together do not retry
// in lockstep. The caller supplies r so that tests can fix it.
func (p Policy) Jittered(attempt int, r float64) time.Duration {
	d := p.Delay(attempt)
	return time.Duration(float64(d) * (0.5 + r))
}

// Exhausted reports whether attempt has used up the policy.
func (p Policy) Exhausted(attempt int) bool {
	return p.MaxAttempts > 0 && attempt >= p.MaxAttempts
}
