package fulfillment_test

import (
	"testing"
	"time"

	"bookshop/fulfillment"

	"github.com/google/go-cmp/cmp"
)

func TestAddBusinessDays(t *testing.T) {
	tests := []struct {
		name string
		from string // RFC 3339
		days int
		want string
	}{
		{"friday plus 3 is wednesday", "2025-11-28T10:00:00Z", 3, "2025-12-03"},
		{"friday plus 1 is monday", "2025-11-28T23:59:59Z", 1, "2025-12-01"},
		{"monday plus 3 is thursday", "2025-12-01T00:00:00Z", 3, "2025-12-04"},
		{"wednesday plus 3 is monday", "2025-12-03T12:00:00Z", 3, "2025-12-08"},
		{"saturday plus 1 is monday", "2025-11-29T08:00:00Z", 1, "2025-12-01"},
		{"sunday plus 3 is wednesday", "2025-11-30T08:00:00Z", 3, "2025-12-03"},
		{"friday plus 5 is next friday", "2025-11-28T08:00:00Z", 5, "2025-12-05"},
		{"across a year end", "2025-12-31T08:00:00Z", 3, "2026-01-05"},
		{"zero days is the same date", "2025-11-29T08:00:00Z", 0, "2025-11-29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, err := time.Parse(time.RFC3339, tt.from)
			if err != nil {
				t.Fatal(err)
			}
			got := fulfillment.AddBusinessDays(from, tt.days).Format(fulfillment.DateFormat)
			if got != tt.want {
				t.Errorf("AddBusinessDays(%s %s, %d) = %s, want %s", from.Weekday(), tt.from, tt.days, got, tt.want)
			}
		})
	}
}

func TestMergeLines(t *testing.T) {
	got := fulfillment.MergeLines([]fulfillment.Line{{"B", 1}, {"A", 2}, {"B", 3}, {"C", 1}, {"A", 1}})
	want := []fulfillment.Line{{"B", 4}, {"A", 3}, {"C", 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MergeLines (-want +got):\n%s", diff)
	}
}

func TestCheckStock(t *testing.T) {
	levels := map[string]fulfillment.StockLevel{
		"A": {ISBN: "A", Available: 5, Reserved: 1},
		"Z": {ISBN: "Z", Available: 0, Reserved: 0},
	}
	tests := []struct {
		name  string
		lines []fulfillment.Line
		want  string
	}{
		{"all fits", []fulfillment.Line{{"A", 5}}, ""},
		{"one too many", []fulfillment.Line{{"A", 6}}, fulfillment.ReasonOutOfStock},
		{"none in stock", []fulfillment.Line{{"A", 1}, {"Z", 1}}, fulfillment.ReasonOutOfStock},
		{"unknown isbn", []fulfillment.Line{{"A", 1}, {"X", 1}}, fulfillment.ReasonUnknownISBN},
		{"unknown wins over out of stock", []fulfillment.Line{{"Z", 1}, {"X", 1}}, fulfillment.ReasonUnknownISBN},
		{"overflowed quantity", []fulfillment.Line{{"A", -3}}, fulfillment.ReasonOutOfStock},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fulfillment.CheckStock(levels, tt.lines); got != tt.want {
				t.Errorf("CheckStock(%v) = %q, want %q", tt.lines, got, tt.want)
			}
		})
	}
}
