package harness

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"bookshop/pkg/catalog"
	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
)

func testOrder(token string, isbns ...string) Order {
	o := Order{StartPurchase: msg.StartPurchase{OrderID: "o1", PaymentToken: token, TotalCents: 1000}}
	for _, isbn := range isbns {
		o.Items = append(o.Items, msg.Item{ISBN: isbn, Quantity: 1, PriceCents: 1000})
	}
	return o
}

var (
	charge     = Payment{Kind: "charge", Status: "succeeded", AmountCents: 1000}
	refund     = Payment{Kind: "refund", Status: "succeeded", AmountCents: 1000}
	declined   = Payment{Kind: "charge", Status: "declined", AmountCents: 1000}
	scheduled  = Shipment{Status: "scheduled"}
	cancelledS = Shipment{Status: "cancelled"}
)

func emails(templates ...string) []Email {
	var es []Email
	for _, t := range templates {
		es = append(es, Email{Template: t})
	}
	return es
}

func TestCheckOrder(t *testing.T) {
	visa := testOrder("tok_visa", "9780262033848")
	tests := []struct {
		name  string
		o     Order
		e     Evidence
		wants []string // substrings of the problems, in order; none means clean
	}{
		{"completed", visa, Evidence{Saga{State: "completed"}, []Payment{charge}, []Shipment{scheduled}, emails("order_confirmed")}, nil},
		{"declined", testOrder("tok_insufficient_funds", "9780262033848"),
			Evidence{Saga{State: "declined"}, []Payment{declined}, nil, emails("payment_declined")}, nil},
		{"cancelled and refunded", testOrder("tok_visa", OutOfStock),
			Evidence{Saga{State: "cancelled"}, []Payment{charge, refund}, []Shipment{cancelledS}, emails("order_cancelled")}, nil},
		{"cancelled before the charge", visa, Evidence{Saga{State: "cancelled"}, nil, nil, emails("order_cancelled")}, nil},
		{"not terminal", visa, Evidence{Saga{State: "scheduling_delivery"}, []Payment{charge}, nil, nil}, []string{"not finished"}},
		{"stuck", visa, Evidence{Saga{State: "stuck"}, []Payment{charge}, nil, nil}, []string{"not finished"}},
		{"charged twice", visa, Evidence{Saga{State: "completed"}, []Payment{charge, charge}, []Shipment{scheduled}, emails("order_confirmed")},
			[]string{"charged 2 times", "completed with 2 charges"}},
		{"wrong amount", visa, Evidence{Saga{State: "completed"}, []Payment{{Kind: "charge", Status: "succeeded", AmountCents: 999}}, []Shipment{scheduled}, emails("order_confirmed")},
			[]string{"charged 999 cents"}},
		{"completed without shipment", visa, Evidence{Saga{State: "completed"}, []Payment{charge}, nil, emails("order_confirmed")},
			[]string{"0 scheduled shipments"}},
		{"cancelled but not refunded", visa, Evidence{Saga{State: "cancelled"}, []Payment{charge}, nil, emails("order_cancelled")},
			[]string{"1000 cents charged, 0 refunded"}},
		{"cancelled but still shipping", visa, Evidence{Saga{State: "cancelled"}, []Payment{charge, refund}, []Shipment{scheduled}, emails("order_cancelled")},
			[]string{"1 shipments still scheduled"}},
		{"refunded more than charged", visa, Evidence{Saga{State: "cancelled"}, []Payment{refund}, nil, emails("order_cancelled")},
			[]string{"refunded 1000 cents of 0", "0 cents charged, 1000 refunded"}},
		{"declined but charged", testOrder("tok_card_declined", "9780262033848"), Evidence{Saga{State: "declined"}, []Payment{charge}, nil, emails("payment_declined")},
			[]string{"declined with 1 charges"}},
		{"two emails", visa, Evidence{Saga{State: "completed"}, []Payment{charge}, []Shipment{scheduled}, emails("order_confirmed", "order_confirmed")},
			[]string{"emails [order_confirmed order_confirmed]"}},
		{"wrong email", visa, Evidence{Saga{State: "completed"}, []Payment{charge}, []Shipment{scheduled}, emails("order_cancelled")},
			[]string{"emails [order_cancelled]"}},
		{"no email", visa, Evidence{Saga{State: "declined"}, nil, nil, nil},
			[]string{"emails [], want exactly [payment_declined]", "ended declined"}},
		{"out of stock completed", testOrder("tok_visa", OutOfStock), Evidence{Saga{State: "completed"}, []Payment{charge}, []Shipment{scheduled}, emails("order_confirmed")},
			[]string{"ended completed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := checkOrder(tc.o, tc.e)
			if len(got) != len(tc.wants) {
				t.Fatalf("problems %q, want %d matching %q", got, len(tc.wants), tc.wants)
			}
			for i, w := range tc.wants {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to mention %q", i, got[i], w)
				}
			}
		})
	}
}

func TestCheckStock(t *testing.T) {
	cat, err := catalog.New([]catalog.Book{
		{ISBN: "9780262033848", Title: "A", Author: "A", PriceCents: 1, Currency: "EUR", Stock: 10},
		{ISBN: OutOfStock, Title: "B", Author: "B", PriceCents: 1, Currency: "EUR", Stock: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := testOrder("tok_visa", "9780262033848")
	ev := map[string]Evidence{"o1": {Saga: Saga{State: "completed"}}}
	tests := []struct {
		name  string
		stock []Stock
		want  []string
	}{
		{"right", []Stock{{"9780262033848", 9, 1}, {OutOfStock, 0, 0}}, nil},
		{"lost", []Stock{{"9780262033848", 8, 1}, {OutOfStock, 0, 0}},
			[]string{"stock of 9780262033848: available 8 + reserved 1 != 10 in the catalog"}},
		{"reserved twice", []Stock{{"9780262033848", 8, 2}, {OutOfStock, 0, 0}},
			[]string{"stock of 9780262033848: reserved 2, completed orders hold 1"}},
		{"missing", []Stock{{"9780262033848", 9, 1}},
			[]string{"stock of 9780451524935: not listed by GET /stock"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, checkStock(cat, []Order{done}, ev, tc.stock)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSagaPath(t *testing.T) {
	raw := `{"state":"completed","history":[
		{"seq":1,"event":"started","to":"charging_payment","message_id":"m1"},
		{"seq":2,"event":"command","message_id":"c1","detail":"ChargePayment to billing, attempt 1"},
		{"seq":3,"event":"timeout","from":"charging_payment","to":"charging_payment","detail":{"attempt":2}},
		{"seq":4,"event":"charged","from":"charging_payment","to":"scheduling_delivery","message_id":7}]}`
	var s Saga
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"charging_payment", "scheduling_delivery"}, s.Path()); diff != "" {
		t.Errorf("path (-want +got):\n%s", diff)
	}
	if s.Count("timeout") != 1 || s.History[2].Detail != `{"attempt":2}` || s.History[3].MessageID != "7" {
		t.Errorf("history read as %+v", s.History)
	}
}

func TestParseMix(t *testing.T) {
	m, err := ParseMix("tok_visa=90, out_of_stock=10,tok_card_declined")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range m {
		got = append(got, k.Kind+":"+fmt.Sprint(k.Weight))
	}
	if diff := cmp.Diff([]string{"tok_visa:90", "out_of_stock:10", "tok_card_declined:1"}, got); diff != "" {
		t.Errorf("mix (-want +got):\n%s", diff)
	}
	if _, err := ParseMix("tok_visa=lots"); err == nil {
		t.Error("a weight that is not a number was accepted")
	}
}
