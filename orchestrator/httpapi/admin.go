// Package httpapi is the orchestrator's admin side: the REST API that finds
// orders, tells one order's story, repairs it (retry, cancel, resolve),
// works the dead-letter queues and draws the saga; and the operator console
// at /admin/, a page that does all of that through the API.
package httpapi

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bookshop/orchestrator"
	"bookshop/orchestrator/sqlite"

	"github.com/jmoiron/sqlx"
)

// Admin serves /admin/.
type Admin struct {
	Reader        sqlite.Reader
	Machine       *orchestrator.Machine
	Token         string // full access: read and act
	ReadOnlyToken string // optional: read only (support staff)
	Now           func() time.Time

	// The actions run through Orchestrator in transactions on DB, and wake
	// the outbox relay with Notify; without them they answer 503.
	Orchestrator *orchestrator.Orchestrator
	DB           *sqlx.DB
	Notify       func()
	// DeadLetters reaches the services' dead-letter queues; nil answers 503.
	DeadLetters DeadLetters
	Log         *slog.Logger
	// Observe, if set, counts each action by its name and outcome.
	Observe func(action, outcome string)

	requests sqlite.Requests
}

// Routes lists the whole admin surface.
func (a *Admin) Routes(mux *http.ServeMux) {
	mux.Handle("GET /admin/orders", a.read(a.listOrders))
	mux.Handle("GET /admin/orders/{id}", a.read(a.getOrder))
	mux.Handle("POST /admin/orders/{id}/retry", a.write(a.action("retry", orchestrator.EvRetry)))
	mux.Handle("POST /admin/orders/{id}/cancel", a.write(a.action("cancel", orchestrator.EvOperatorCancel)))
	mux.Handle("POST /admin/orders/{id}/resolve", a.write(a.action("resolve", orchestrator.EvResolve)))
	mux.Handle("POST /admin/orders/retry", a.write(a.bulkRetry))
	mux.Handle("GET /admin/stats", a.read(a.stats))
	mux.Handle("GET /admin/dead-letters", a.read(a.listDeadLetters))
	mux.Handle("POST /admin/dead-letters/{id}/replay", a.write(a.replayDeadLetter))
	mux.Handle("DELETE /admin/dead-letters/{id}", a.write(a.deleteDeadLetter))
	mux.Handle("GET /admin/saga", a.read(a.saga))
	mux.Handle("GET /admin/me", a.read(a.me))
	// The console page needs no token: it asks for one and sends it on
	// each API call.
	mux.HandleFunc("GET /admin", redirectToConsole)
	mux.HandleFunc("GET /admin/{$}", consolePage)
	mux.Handle("GET /admin/console/", consoleAssets())
}

// actions maps each action's name in the API to its saga event.
var actions = []struct{ name, event string }{
	{"retry", orchestrator.EvRetry},
	{"cancel", orchestrator.EvOperatorCancel},
	{"resolve", orchestrator.EvResolve},
}

type role int

const (
	anonymous role = iota
	readOnly
	admin
)

// roleOf reads the bearer token. Both tokens are always compared, in
// constant time, so the time taken says nothing about either.
func (a *Admin) roleOf(r *http.Request) role {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || got == "" {
		return anonymous
	}
	full := subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) == 1 && a.Token != ""
	ro := subtle.ConstantTimeCompare([]byte(got), []byte(a.ReadOnlyToken)) == 1 && a.ReadOnlyToken != ""
	switch {
	case full:
		return admin
	case ro:
		return readOnly
	}
	return anonymous
}

// read lets either token through.
func (a *Admin) read(next http.HandlerFunc) http.Handler {
	return a.require(readOnly, next)
}

// write lets only the full token through: 403 for the read-only one.
func (a *Admin) write(next http.HandlerFunc) http.Handler {
	return a.require(admin, next)
}

func (a *Admin) require(least role, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch got := a.roleOf(r); {
		case got == anonymous:
			w.Header().Set("WWW-Authenticate", `Bearer realm="bookshop-admin"`)
			problem(w, http.StatusUnauthorized, "Unauthorized", "a valid admin bearer token is required", nil)
		case got < least:
			problem(w, http.StatusForbidden, "Forbidden", "the read-only token may look but not act; use the admin token", nil)
		default:
			next(w, r)
		}
	})
}

// me tells the console what its token may do.
func (a *Admin) me(w http.ResponseWriter, r *http.Request) {
	role, canAct := "read-only", false
	if a.roleOf(r) == admin {
		role, canAct = "admin", true
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"role": role, "can_act": canAct, "operator": who(r)})
}

// who names the operator for the timeline: the token's identity, with the
// person's name from the X-Operator header when given.
func who(r *http.Request) string {
	name := r.Header.Get("X-Operator")
	if u, err := url.PathUnescape(name); err == nil && utf8.ValidString(u) {
		name = u // a browser can send only Latin-1 in a header: the console percent-encodes
	}
	name = strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return -1
		}
		return c
	}, name)
	name = strings.TrimSpace(name)
	if rs := []rune(name); len(rs) > 80 {
		name = string(rs[:80])
	}
	if name == "" {
		return "admin"
	}
	return name + " (admin)"
}

func (a *Admin) now() time.Time {
	if a.Now == nil {
		return time.Now()
	}
	return a.Now()
}

func (a *Admin) log() *slog.Logger {
	if a.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Log
}
