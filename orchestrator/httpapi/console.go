package httpapi

import (
	"embed"
	"io/fs"
	"net/http"
)

// The operator console: one static page, its script and its style,
// embedded. The page needs no token; its script asks for one once per tab
// (sessionStorage) and sends it on every API call, so the console can do
// exactly what the API lets that token do.

//go:embed console
var console embed.FS

// consoleCSP allows the page its own script, style, API calls and the
// diagram it draws into a blob: URL, and nothing else.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func secureHeaders(h http.Header) {
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

func consolePage(w http.ResponseWriter, _ *http.Request) {
	page, err := console.ReadFile("console/index.html")
	if err != nil {
		http.Error(w, "console missing from this build", http.StatusInternalServerError)
		return
	}
	secureHeaders(w.Header())
	w.Header().Set("Cache-Control", "no-store")
	writeRaw(w, http.StatusOK, "text/html; charset=utf-8", page)
}

func consoleAssets() http.Handler {
	sub, _ := fs.Sub(console, "console") // the directory is embedded above
	files := http.StripPrefix("/admin/console/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secureHeaders(w.Header())
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

func redirectToConsole(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/admin/", http.StatusMovedPermanently)
}
