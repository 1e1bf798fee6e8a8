package communication_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"bookshop/communication"
	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

var items = []msg.Item{
	{ISBN: "9780262033848", Title: "Introduction to Algorithms", Author: "Thomas H. Cormen", Quantity: 1, PriceCents: 9500},
	{ISBN: "9781449373320", Title: "Designing Data-Intensive Applications", Author: "Martin Kleppmann", Quantity: 2, PriceCents: 4299},
}

// examples holds one SendEmail of each template, as the orchestrator sends it.
var examples = map[string]*msg.SendEmail{
	msg.TemplateOrderConfirmed: {OrderID: "ord-1", Template: msg.TemplateOrderConfirmed, To: "ada@example.com",
		CustomerName: "Ada Lovelace", Items: items, TotalCents: 18098, Currency: "EUR",
		ExpectedDate: "2026-11-30", TrackingID: "BK123456789"},
	msg.TemplatePaymentDeclined: {OrderID: "ord-2", Template: msg.TemplatePaymentDeclined, To: "ada@example.com",
		CustomerName: "Ada Lovelace", Items: items, TotalCents: 18098, Currency: "EUR", Reason: "insufficient_funds"},
	msg.TemplateOrderCancelled: {OrderID: "ord-3", Template: msg.TemplateOrderCancelled, To: "ada@example.com",
		CustomerName: "Ada Lovelace", Items: items, TotalCents: 18098, Currency: "EUR", Reason: "out_of_stock",
		RefundedCents: 18098},
}

func TestRenderGolden(t *testing.T) {
	r, err := communication.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range communication.Templates {
		t.Run(name, func(t *testing.T) {
			c, err := r.Render(examples[name])
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt", "Subject: "+c.Subject+"\n\n"+c.Text)
			golden(t, name+".html", c.HTML)
		})
	}
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from its golden file (-want +got); go test -update rewrites it:\n%s", name, diff)
	}
}

func TestRenderContent(t *testing.T) {
	r, err := communication.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		edit     func(m *msg.SendEmail)
		template string
		text     []string // must appear in the text body
		html     []string // must appear in the HTML body
		notHTML  []string // must not appear in the HTML body
	}{
		{name: "confirmed", template: msg.TemplateOrderConfirmed,
			text: []string{"Hello Ada Lovelace,", "1 × Introduction to Algorithms by Thomas H. Cormen  €95.00",
				"2 × Designing Data-Intensive Applications by Martin Kleppmann  €85.98", "Total: €180.98",
				"Expected delivery: Monday, 30 November 2026", "Tracking number: BK123456789"},
			html: []string{"<strong>BK123456789</strong>", "€180.98"}},
		{name: "insufficient funds", template: msg.TemplatePaymentDeclined,
			text: []string{"because your card has insufficient funds.", "Nothing has been charged"}},
		{name: "card declined", template: msg.TemplatePaymentDeclined,
			edit: func(m *msg.SendEmail) { m.Reason = "card_declined" },
			text: []string{"because your card was declined by your bank."}},
		{name: "invalid token", template: msg.TemplatePaymentDeclined,
			edit: func(m *msg.SendEmail) { m.Reason = "invalid_token" },
			text: []string{"because the card details could not be used."}},
		{name: "cancelled with refund", template: msg.TemplateOrderCancelled,
			text: []string{"cancelled: some of the books are out of stock. Nothing will be shipped.",
				"We have refunded €180.98 to your card"}},
		{name: "cancelled, nothing charged", template: msg.TemplateOrderCancelled,
			edit: func(m *msg.SendEmail) { m.RefundedCents = 0; m.Reason = "changed my mind" },
			text: []string{"cancelled: changed my mind.", "Nothing was charged to your card, so there is nothing to refund."}},
		{name: "other currency, no title", template: msg.TemplateOrderConfirmed,
			edit: func(m *msg.SendEmail) {
				m.Currency = "CHF"
				m.TotalCents = 123456789
				m.Items = []msg.Item{{ISBN: "9780321200686", Quantity: 3, PriceCents: 5499}}
			},
			text: []string{"3 × ISBN 9780321200686  164.97 CHF", "Total: 1,234,567.89 CHF"}},
		{name: "html escapes", template: msg.TemplateOrderConfirmed,
			edit: func(m *msg.SendEmail) {
				m.CustomerName = `<script>alert("x")</script>`
				m.Items[0].Title = "Tom & Jerry <b>"
			},
			text:    []string{`Hello <script>alert("x")</script>,`},
			html:    []string{"Hello &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;,", "Tom &amp; Jerry &lt;b&gt;"},
			notHTML: []string{"<script>", "<b>"}},
		{name: "no name", template: msg.TemplatePaymentDeclined,
			edit: func(m *msg.SendEmail) { m.CustomerName = " " },
			text: []string{"Hello,\n"}, html: []string{"<p>Hello,</p>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := *examples[tt.template]
			m.Items = append([]msg.Item(nil), m.Items...)
			if tt.edit != nil {
				tt.edit(&m)
			}
			c, err := r.Render(&m)
			if err != nil {
				t.Fatal(err)
			}
			contains(t, "text", c.Text, tt.text, true)
			contains(t, "html", c.HTML, tt.html, true)
			contains(t, "html", c.HTML, tt.notHTML, false)
		})
	}
}

func contains(t *testing.T, part, body string, subs []string, want bool) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(body, s) != want {
			t.Errorf("%s body contains %q = %v, want %v; body:\n%s", part, s, !want, want, body)
		}
	}
}

func TestSubjectIsOneLine(t *testing.T) {
	r, err := communication.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	m := *examples[msg.TemplateOrderConfirmed]
	m.OrderID = "ord-1\r\nBcc: victim@example.com"
	c, err := r.Render(&m)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Your bookshop order ord-1 Bcc: victim@example.com is confirmed"; c.Subject != want {
		t.Errorf("subject = %q, want %q", c.Subject, want)
	}
}
