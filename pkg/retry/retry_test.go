package retry_test

import (
	"testing"
	"time"

	"bookshop/pkg/retry"
)

func TestDelay(t *testing.T) {
	p := retry.Policy{Initial: time.Second, Coefficient: 2, Max: 10 * time.Second, MaxAttempts: 5}
	tests := []struct {
		attempt int
		want    time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second}, {5, 10 * time.Second}, {500, 10 * time.Second}}
	for _, tt := range tests {
		if got := p.Delay(tt.attempt); got != tt.want {
			t.Errorf("Delay(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
	if got := p.Jittered(2, 0); got != time.Second {
		t.Errorf("Jittered(2, 0) = %v, want 1s", got)
	}
	if got := p.Jittered(2, 0.999999); got < 2999*time.Millisecond || got > 3*time.Second {
		t.Errorf("Jittered(2, ~1) = %v, want ~3s", got)
	}
	if p.Exhausted(4) || !p.Exhausted(5) {
		t.Error("Exhausted wrong around MaxAttempts=5")
	}
}
