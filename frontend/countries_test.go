package frontend

import (
	"slices"
	"testing"
)

func TestCountryCodes(t *testing.T) {
	if len(countryCodes) != 249 || !slices.IsSorted(countryCodes) {
		t.Fatalf("countryCodes: %d codes, sorted %v; want the 249 ISO 3166-1 codes, sorted",
			len(countryCodes), slices.IsSorted(countryCodes))
	}
	for _, c := range Countries() {
		if c.Name == "" || c.Name == c.Code {
			t.Errorf("country %s has no English name (%q)", c.Code, c.Name)
		}
	}
	for code, want := range map[string]bool{"GB": true, "FR": true, "UK": false, "EU": false, "ZZ": false, "gb": false, "": false} {
		if got := IsCountryCode(code); got != want {
			t.Errorf("IsCountryCode(%q) = %v, want %v", code, got, want)
		}
	}
}
