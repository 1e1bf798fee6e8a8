package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit"
	"bookshop/pkg/rabbit/rabbittest"
	"bookshop/pkg/service/servicetest"

	"github.com/google/go-cmp/cmp"
)

type emailJSON struct {
	ID       string `json:"id"`
	OrderID  string `json:"order_id"`
	To       string `json:"to"`
	Template string `json:"template"`
	Subject  string `json:"subject"`
	SentAt   string `json:"sent_at"`
	Text     string `json:"text"`
	HTML     string `json:"html"`
}

func TestRun(t *testing.T) {
	url := rabbittest.VHost(t)
	addr := servicetest.FreeAddr(t)
	servicetest.Start(t, "communication", run, map[string]string{
		"COMMUNICATION_AMQP_URL":      url,
		"COMMUNICATION_HTTP_ADDR":     addr,
		"COMMUNICATION_DATABASE_PATH": filepath.Join(t.TempDir(), "communication.db"),
		"COMMUNICATION_LOG_LEVEL":     "debug",
	})
	got := servicetest.Consume(t, url, msg.Orchestrator)
	dead := deadLetters(t, url)

	cmd := &msg.SendEmail{OrderID: "ord-1", Template: msg.TemplateOrderConfirmed, To: "ada@example.com",
		CustomerName: "Ada Lovelace", TotalCents: 9500, Currency: "EUR", ExpectedDate: "2026-11-30", TrackingID: "BK1",
		Items: []msg.Item{{ISBN: "9780262033848", Title: "Introduction to Algorithms", Author: "Thomas H. Cormen",
			Quantity: 1, PriceCents: 9500}}}
	publish(t, url, "cmd-1", cmd, "ord-1")
	first, sent := nextEmailSent(t, got)
	if sent.OrderID != "ord-1" || sent.Template != msg.TemplateOrderConfirmed || sent.EmailID == "" ||
		first.CausationID != "cmd-1" || first.CorrelationID != "ord-1" {
		t.Fatalf("reply %+v %+v", first, sent)
	}

	// The same email under a new command id, then the first command again.
	publish(t, url, "cmd-2", cmd, "ord-1")
	second, again := nextEmailSent(t, got)
	publish(t, url, "cmd-1", cmd, "ord-1")
	third, resent := nextEmailSent(t, got)
	if again.EmailID != sent.EmailID || resent.EmailID != sent.EmailID {
		t.Errorf("email ids %s, %s, %s: want one email", sent.EmailID, again.EmailID, resent.EmailID)
	}
	if second.CausationID != "cmd-2" || third.ID != first.ID {
		t.Errorf("repeat replies: %+v and %+v; want a reply to cmd-2 and the stored reply to cmd-1", second, third)
	}

	checkAPI(t, "http://"+addr, sent.EmailID)

	// A message communication does not handle ends in its dead-letter queue.
	publish(t, url, "cmd-3", &msg.CancelDelivery{OrderID: "ord-1"}, "ord-1")
	select {
	case d := <-dead:
		if d.MessageID != "cmd-3" || !strings.Contains(fmt.Sprint(d.Headers[rabbit.HeaderDeathReason]), "does not handle CancelDelivery") {
			t.Errorf("dead letter %s, reason %v", d.MessageID, d.Headers[rabbit.HeaderDeathReason])
		}
	case <-time.After(15 * time.Second):
		t.Fatal("CancelDelivery not dead-lettered within 15s")
	}
}

// checkAPI checks the inspection API and the metrics after one email was
// sent and asked for once more.
func checkAPI(t *testing.T, base, emailID string) {
	t.Helper()
	var list []emailJSON
	servicetest.GetJSON(t, base+"/emails?order_id=ord-1&to=ada@example.com", &list)
	want := []emailJSON{{ID: emailID, OrderID: "ord-1", To: "ada@example.com", Template: msg.TemplateOrderConfirmed,
		Subject: "Your bookshop order ord-1 is confirmed"}}
	if len(list) == 1 {
		want[0].SentAt = list[0].SentAt
	}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("GET /emails (-want +got):\n%s", diff)
	}
	var one emailJSON
	servicetest.GetJSON(t, base+"/emails/"+emailID, &one)
	if !strings.Contains(one.Text, "Tracking number: BK1") || !strings.Contains(one.HTML, "<strong>BK1</strong>") {
		t.Errorf("GET /emails/%s bodies:\n%s\n%s", emailID, one.Text, one.HTML)
	}
	if status, _, body := servicetest.Get(t, base+"/emails/eml-unknown"); status != http.StatusNotFound {
		t.Fatalf("GET /emails/eml-unknown: %d, want 404: %s", status, body)
	}
	servicetest.GetJSON(t, base+"/emails?to=nobody@example.com", &list)
	if len(list) != 0 {
		t.Errorf("GET /emails?to=nobody: %d emails, want 0", len(list))
	}
	_, _, metrics := servicetest.Get(t, base+"/metrics")
	for _, line := range []string{
		`bookshop_emails_total{outcome="sent",template="order_confirmed"} 1`,
		`bookshop_emails_total{outcome="duplicate",template="order_confirmed"} 1`,
	} {
		if !strings.Contains(string(metrics), line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}
