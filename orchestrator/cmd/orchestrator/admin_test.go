package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit/rabbittest"
	"bookshop/pkg/service/servicetest"
)

// The admin side wired in the real program: a poison message on its queue
// is listed under dead letters through the broker and counted in the
// metrics, the read-only token may look but not delete, and the full one
// deletes it; the console page is served.
func TestRunServesTheAdminSide(t *testing.T) {
	url := rabbittest.VHost(t)
	addr := servicetest.FreeAddr(t)
	servicetest.Start(t, "orchestrator", run, map[string]string{
		"ORCHESTRATOR_AMQP_URL":             url,
		"ORCHESTRATOR_HTTP_ADDR":            addr,
		"ORCHESTRATOR_DATABASE_PATH":        filepath.Join(t.TempDir(), "o.db"),
		"ORCHESTRATOR_ADMIN_TOKEN":          "test-admin-token-0123456789",
		"ORCHESTRATOR_ADMIN_READONLY_TOKEN": "test-support-token-0123456789",
		"ORCHESTRATOR_AMQP_REQUEUE_DELAY":   "10ms",
		"ORCHESTRATOR_SAGA_SCAN_INTERVAL":   "50ms",
	})
	servicetest.WaitReady(t, addr)
	base := "http://" + addr
	poison := servicetest.Envelope(t, &msg.PaymentCharged{OrderID: "nobody", PaymentID: "p", AmountCents: 1, Currency: "EUR"}, "nobody")
	servicetest.Publish(t, url, msg.Orchestrator, poison)

	call := func(method, path, token string) (int, string) {
		req, _ := http.NewRequest(method, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	servicetest.WaitFor(t, 15*time.Second, "the poison message listed", func() bool {
		status, body := call("GET", "/admin/dead-letters", "test-support-token-0123456789")
		return status == 200 && strings.Contains(body, poison.ID) && strings.Contains(body, "saga not found")
	})
	_, _, metrics := servicetest.Get(t, base+"/metrics")
	for _, want := range []string{`bookshop_dead_letters{queue="orchestrator.dead-letter"} 1`, "bookshop_saga_stuck_orders 0",
		"bookshop_saga_oldest_stuck_age_seconds 0"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if status, _ := call("DELETE", "/admin/dead-letters/"+poison.ID, "test-support-token-0123456789"); status != 403 {
		t.Errorf("read-only delete: %d, want 403", status)
	}
	if status, body := call("DELETE", "/admin/dead-letters/"+poison.ID, "test-admin-token-0123456789"); status != 200 {
		t.Errorf("delete: %d %s", status, body)
	}
	if status, body := call("GET", "/admin/dead-letters", "test-admin-token-0123456789"); status != 200 || strings.Contains(body, poison.ID) {
		t.Errorf("after delete: %d %s", status, body)
	}
	if status, _, page := servicetest.Get(t, base+"/admin/"); status != 200 || !strings.Contains(string(page), "operator console") {
		t.Errorf("console page: %d", status)
	}
}
