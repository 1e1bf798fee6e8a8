package httpapi_test

import (
	"strings"
	"testing"
)

// The console page and its files need no token (the page asks for one);
// they carry a strict content security policy.
func TestConsoleIsServed(t *testing.T) {
	f := newFixture(t)
	tests := []struct{ path, contentType, contains string }{
		{"/admin/", "text/html; charset=utf-8", `<script src="/admin/console/console.js" defer>`},
		{"/admin/console/console.js", "text/javascript; charset=utf-8", `sessionStorage`},
		{"/admin/console/console.css", "text/css; charset=utf-8", `:focus-visible`},
	}
	for _, tt := range tests {
		r := f.call("GET", tt.path, "", "")
		if r.status != 200 || r.header.Get("Content-Type") != tt.contentType || !strings.Contains(r.body, tt.contains) {
			t.Errorf("GET %s = %d %s, want 200 %s containing %q", tt.path, r.status, r.header.Get("Content-Type"), tt.contentType, tt.contains)
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: CSP %q", tt.path, csp)
		}
	}
	if r := f.call("GET", "/admin", "", ""); r.status != 200 || !strings.Contains(r.body, "operator console") {
		t.Errorf("GET /admin does not lead to the console: %d", r.status)
	}
	if r := f.call("GET", "/admin/console/nope.js", "", ""); r.status != 404 {
		t.Errorf("GET a missing asset: %d", r.status)
	}
	if r := f.call("GET", "/admin/nope", "", ""); r.status != 404 {
		t.Errorf("GET /admin/nope: %d, want 404 (not the page)", r.status)
	}
}
