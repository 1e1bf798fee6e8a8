package sqlite_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"bookshop/pkg/sqlite"
)

// Time and ParseTime are written by hand; they must give what time.Format
// and time.Parse give.
func TestTimeAsTimeFormat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{{}, time.Unix(0, 0), time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 1, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Now(), time.Now().In(time.FixedZone("x", -7*3600))}
	for range 2000 {
		times = append(times, time.Unix(r.Int64N(300e9)-50e9, r.Int64N(1e9)))
	}
	for _, tm := range times {
		want := tm.UTC().Format(sqlite.TimeFormat)
		if got := sqlite.Time(tm); got != want {
			t.Fatalf("Time(%v) = %q, want %q", tm, got, want)
		}
		wantT, wantErr := time.Parse(sqlite.TimeFormat, want)
		gotT, gotErr := sqlite.ParseTime(want)
		if gotT != wantT || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("ParseTime(%q) = %v, %v; want %v, %v", want, gotT, gotErr, wantT, wantErr)
		}
	}
	for _, s := range []string{"", "2026-02-30T00:00:00.000000000Z", "2026-13-01T00:00:00.000000000Z",
		"2026-01-01T24:00:00.000000000Z", "2026-01-01T00:60:00.000000000Z", "2026-01-01T00:00:60.000000000Z",
		"2026-01-01T00:00:00.00000000xZ", "2026-01-01 00:00:00.000000000Z", "2026-01-01T00:00:00Z",
		"+026-01-01T00:00:00.000000000Z", "2026-00-01T00:00:00.000000000Z", "2026-01-00T00:00:00.000000000Z"} {
		wantT, wantErr := time.Parse(sqlite.TimeFormat, s)
		gotT, gotErr := sqlite.ParseTime(s)
		if gotT != wantT || (gotErr == nil) != (wantErr == nil) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v, %v", s, gotT, gotErr, wantT, wantErr)
		}
	}
}
