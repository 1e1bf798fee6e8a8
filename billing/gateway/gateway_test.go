package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bookshop/billing"
	"bookshop/billing/gateway"

	"github.com/google/go-cmp/cmp"
)

func open(t *testing.T, o gateway.Options) *gateway.Gateway {
	t.Helper()
	n := 0
	o.NewID = func() string { n++; return fmt.Sprint(n) }
	g, err := gateway.Open(context.Background(), filepath.Join(t.TempDir(), "gateway.db"), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func chargeOf(order, token string, amount int64) billing.ChargeRequest {
	return billing.ChargeRequest{IdempotencyKey: billing.ChargeKey(order), OrderID: order, Token: token,
		AmountCents: amount, Currency: "GBP"}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		token      string
		approved   bool
		wantReason string
	}{
		{"tok_visa", true, ""},
		{"tok_mastercard", true, ""},
		{"tok_insufficient_funds", false, "insufficient_funds"},
		{"tok_card_declined", false, "card_declined"},
		{"tok_unknown", false, "invalid_token"},
		{"", false, "invalid_token"},
	}
	g := open(t, gateway.Options{})
	for i, tt := range tests {
		res, err := g.Charge(context.Background(), chargeOf(fmt.Sprint("o", i), tt.token, 100))
		if err != nil {
			t.Fatal(err)
		}
		if res.Approved != tt.approved || res.DeclineReason != tt.wantReason {
			t.Errorf("%q: approved %v reason %q, want %v %q", tt.token, res.Approved, res.DeclineReason, tt.approved, tt.wantReason)
		}
	}
}

// TestIdempotencyKey: a key seen before gets the first answer, whatever the
// call says now, and moves no money again.
func TestIdempotencyKey(t *testing.T) {
	ctx := context.Background()
	g := open(t, gateway.Options{})
	first, err := g.Charge(ctx, chargeOf("o", "tok_visa", 100))
	if err != nil {
		t.Fatal(err)
	}
	again, err := g.Charge(ctx, chargeOf("o", "tok_card_declined", 999))
	if err != nil {
		t.Fatal(err)
	}
	want := billing.GatewayResult{TransactionID: "txn_1", Approved: true, AmountCents: 100, Currency: "GBP"}
	for _, got := range []billing.GatewayResult{first, again} {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
	}
	ops, err := g.Operations(ctx, "o")
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || ops[0].Calls != 2 || ops[0].Token != "tok_visa" {
		t.Errorf("record %+v, want one charge by tok_visa called twice", ops)
	}
}

// TestAnswersAreCommitted: once a call returns, its answer is in the
// gateway's file, for another connection (billing after a crash) to find.
func TestAnswersAreCommitted(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gateway.db")
	g, err := gateway.Open(ctx, path, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	charged, err := g.Charge(ctx, chargeOf("o", "tok_visa", 100))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Charge(ctx, chargeOf("o", "tok_visa", 100)); err != nil {
		t.Fatal(err)
	}
	refunded, err := g.Refund(ctx, billing.RefundRequest{IdempotencyKey: billing.RefundKey("o"), OrderID: "o",
		ChargeRef: charged.TransactionID, AmountCents: 100, Currency: "GBP"})
	if err != nil || !refunded.Approved {
		t.Fatalf("refund: %+v, %v", refunded, err)
	}
	other, err := gateway.Open(ctx, path, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ops, err := other.Operations(ctx, "o")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range ops {
		got = append(got, fmt.Sprintf("%s %s approved=%v calls=%d", o.Key, o.TransactionID, o.Approved, o.Calls))
	}
	want := []string{
		fmt.Sprintf("charge:o %s approved=true calls=2", charged.TransactionID),
		fmt.Sprintf("refund:o %s approved=true calls=1", refunded.TransactionID),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record seen by another connection (-want +got):\n%s", diff)
	}
}

func TestRefunds(t *testing.T) {
	refund := func(order, ref string, amount int64, currency string) billing.RefundRequest {
		return billing.RefundRequest{IdempotencyKey: billing.RefundKey(order), OrderID: order, ChargeRef: ref,
			AmountCents: amount, Currency: currency}
	}
	tests := []struct {
		name       string
		req        billing.RefundRequest
		wantReason string // "" approved
	}{
		{"whole charge", refund("o", "txn_1", 100, "GBP"), ""},
		{"part of it", refund("o", "txn_1", 60, "GBP"), ""},
		{"above the charge", refund("o", "txn_1", 101, "GBP"), gateway.ReasonAboveCharge},
		{"another currency", refund("o", "txn_1", 100, "EUR"), gateway.ReasonWrongCurrency},
		{"unknown charge", refund("o", "txn_9", 100, "GBP"), gateway.ReasonNoSuchCharge},
		{"another order's charge", refund("p", "txn_1", 100, "GBP"), gateway.ReasonNoSuchCharge},
		{"a declined charge", refund("d", "txn_2", 100, "GBP"), gateway.ReasonNoSuchCharge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			g := open(t, gateway.Options{})
			for _, c := range []billing.ChargeRequest{chargeOf("o", "tok_visa", 100), chargeOf("d", "tok_card_declined", 100)} {
				if _, err := g.Charge(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			res, err := g.Refund(ctx, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if res.Approved != (tt.wantReason == "") || res.DeclineReason != tt.wantReason {
				t.Errorf("approved %v reason %q, want reason %q", res.Approved, res.DeclineReason, tt.wantReason)
			}
		})
	}
}

// TestLatencyAndFailures: every call waits gateway.latency; a draw below
// the failure rate fails transiently and records nothing.
func TestLatencyAndFailures(t *testing.T) {
	ctx := context.Background()
	var waits []time.Duration
	draws := []float64{0.2, 0.7}
	g := open(t, gateway.Options{
		Latency: 30 * time.Millisecond, FailureRate: 0.5,
		Rand:  func() float64 { r := draws[0]; draws = draws[1:]; return r },
		Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil },
	})
	_, err := g.Charge(ctx, chargeOf("o", "tok_visa", 100))
	if !errors.Is(err, billing.ErrGatewayUnavailable) {
		t.Fatalf("first call: %v, want ErrGatewayUnavailable", err)
	}
	if ops, _ := g.Operations(ctx, "o"); len(ops) != 0 {
		t.Fatalf("record after a failed call: %+v, want none", ops)
	}
	if res, err := g.Charge(ctx, chargeOf("o", "tok_visa", 100)); err != nil || !res.Approved {
		t.Fatalf("second call: %+v, %v", res, err)
	}
	if diff := cmp.Diff([]time.Duration{30 * time.Millisecond, 30 * time.Millisecond}, waits); diff != "" {
		t.Errorf("latency waits (-want +got):\n%s", diff)
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	for _, o := range []gateway.Options{{FailureRate: 1.5}, {FailureRate: -0.1}, {Latency: -time.Second}} {
		_, err := gateway.Open(context.Background(), filepath.Join(t.TempDir(), "g.db"), o)
		if err == nil || !strings.Contains(err.Error(), "open card gateway") {
			t.Errorf("Open(%+v): %v, want an error", o, err)
		}
	}
}

// The gateway's file keeps a bounded WAL: SQLite's automatic checkpoint
// runs after the charges' commits. (It did not when the charge's upsert was
// read with QueryRow: the WAL grew by ~19 KB a charge, without end.)
func TestWALIsCheckpointed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gateway.db")
	g, err := gateway.Open(ctx, path, gateway.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	const charges = 2000
	for i := range charges {
		if _, err := g.Charge(ctx, chargeOf(fmt.Sprint("o", i), "tok_visa", 100)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// A checkpoint starts at 1,000 pages (4 MB); unchecked, 2,000 charges
	// left ~38 MB.
	if limit := int64(8 << 20); st.Size() > limit {
		t.Errorf("WAL is %d bytes after %d charges, want at most %d: the automatic checkpoint did not run", st.Size(), charges, limit)
	}
}
