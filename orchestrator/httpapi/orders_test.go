package httpapi_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
)

type page struct {
	Orders []struct {
		ID         string     `json:"id"`
		State      string     `json:"state"`
		Step       string     `json:"step"`
		StuckSince *time.Time `json:"stuck_since"`
	} `json:"orders"`
	Next string `json:"next"`
}

func (f *fixture) ids(query string) []string {
	f.t.Helper()
	p := decode[page](f.t, f.get("/admin/orders?"+query))
	ids := []string{}
	for _, o := range p.Orders {
		ids = append(ids, o.ID)
	}
	return ids
}

func TestListFilters(t *testing.T) {
	f := newFixture(t)
	f.stick("old-stuck")                // stuck at sending_confirmation
	f.start("declined", "tok_declined") // charging_payment
	f.toConfirmation("confirming")      // sending_confirmation
	f.start("overdue", "tok_visa")      // charging_payment, overdue below
	f.advance(11 * time.Second)         // past overdue's deadline, and confirming's
	f.start("fresh", "tok_visa")        // charging_payment, not overdue
	f.handle("declined", &msg.PaymentDeclined{OrderID: "declined", Reason: "card_declined"})
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"old-stuck", "declined", "confirming", "overdue", "fresh"}},
		{"state=charging_payment", []string{"overdue", "fresh"}},
		{"state=stuck", []string{"old-stuck"}},
		{"stuck=true", []string{"old-stuck", "confirming", "overdue"}},
		{"stuck=false", []string{"old-stuck", "declined", "confirming", "overdue", "fresh"}},
		{"step=sending_confirmation", []string{"old-stuck", "confirming"}},
		{"step=sending_confirmation&state=stuck", []string{"old-stuck"}},
		{"older_than=5s", []string{"old-stuck", "declined", "confirming", "overdue"}},
		{"older_than=1h", []string{}},
		{"stuck=true&older_than=2m", []string{"old-stuck"}},
		{"state=sending_decline_notice", []string{"declined"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, f.ids(tt.query)); diff != "" {
			t.Errorf("GET /admin/orders?%s (-want +got):\n%s", tt.query, diff)
		}
	}
	if got := f.ids("older_than=2d"); len(got) != 0 {
		t.Errorf("older_than=2d listed %v", got)
	}
}

// Paging goes by creation time and id, which never change: every order is
// listed once, in order, while orders change state and new ones arrive.
func TestListPagesWhileOrdersChange(t *testing.T) {
	f := newFixture(t)
	var want []string
	for i := range 7 {
		id := fmt.Sprintf("ord-%d", i)
		f.start(id, "tok_visa")
		want = append(want, id)
	}
	var seen []string
	after := ""
	for n := 0; ; n++ {
		p := decode[page](t, f.get("/admin/orders?limit=2&after="+url.QueryEscape(after)))
		for _, o := range p.Orders {
			seen = append(seen, o.ID)
		}
		// Between pages: orders listed and not yet listed move on, are
		// resolved by an operator, and a new order arrives.
		f.handle(want[6-n], &msg.PaymentCharged{OrderID: want[6-n], PaymentID: "p", AmountCents: 9500, Currency: "EUR"})
		f.call("POST", "/admin/orders/"+want[n]+"/resolve", full, `{"reason": "test"}`)
		id := fmt.Sprintf("new-%d", n)
		f.start(id, "tok_visa")
		want = append(want, id)
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	if !slices.Equal(seen, want[:len(seen)]) || len(seen) < 8 {
		t.Errorf("paged through %v\nwant each of %v once, in order", seen, want)
	}
}

func TestStatsCountStuck(t *testing.T) {
	f := newFixture(t)
	type stats struct {
		States map[string]int `json:"states"`
		Total  int            `json:"total"`
		Stuck  int            `json:"stuck"`
		Over   int            `json:"overdue"`
		Since  *time.Time     `json:"oldest_stuck_since"`
		Age    float64        `json:"oldest_stuck_age_seconds"`
	}
	if s := decode[stats](t, f.get("/admin/stats")); s.Total != 0 || s.Stuck != 0 || s.Since != nil || s.Age != 0 {
		t.Errorf("empty shop: %+v", s)
	}
	f.stick("a")
	stuckAt := f.saga("a").StuckSince
	f.start("b", "tok_visa")
	f.advance(20 * time.Second)
	s := decode[stats](t, f.get("/admin/stats"))
	if s.Total != 2 || s.States["stuck"] != 1 || s.States["charging_payment"] != 1 || s.Stuck != 2 || s.Over != 1 {
		t.Errorf("stats %+v, want 2 orders, 1 stuck and 1 overdue", s)
	}
	if s.Since == nil || !s.Since.Equal(*stuckAt) || s.Age != f.clock().Sub(*stuckAt).Seconds() {
		t.Errorf("oldest stuck since %v age %v, want %v", s.Since, s.Age, stuckAt)
	}
}
