package fulfillment_test

import (
	"context"
	"encoding/json"
	"testing"

	"bookshop/fulfillment"
	fsqlite "bookshop/fulfillment/sqlite"
	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
)

// step is one command and the reply it must get.
type step struct {
	cmd  msg.Message
	want msg.Message
}

func scheduled(order, shipment, tracking string) *msg.DeliveryScheduled {
	return &msg.DeliveryScheduled{OrderID: order, ShipmentID: shipment, TrackingID: tracking, ExpectedDate: fridayPlus3}
}

func failed(order, reason string) *msg.DeliveryFailed {
	return &msg.DeliveryFailed{OrderID: order, Reason: reason}
}

func cancelled(order, shipment string) *msg.DeliveryCancelled {
	return &msg.DeliveryCancelled{OrderID: order, ShipmentID: shipment}
}

// The test catalog holds A: 5, B: 1, Z: 0; stock is {available, reserved}.
func TestHandlers(t *testing.T) {
	const o1, o2 = "order-1", "order-2"
	untouched := map[string][2]int{isbnA: {5, 0}, isbnB: {1, 0}, isbnZ: {0, 0}}
	tests := []struct {
		name       string
		steps      []step
		wantStock  map[string][2]int
		wantStatus map[string]string // shipment status by order
	}{
		{"schedule reserves every line",
			[]step{{schedule(o1, isbnA, 2, isbnB, 1), scheduled(o1, "shp-1", "BK0000000001")}},
			map[string][2]int{isbnA: {3, 2}, isbnB: {0, 1}, isbnZ: {0, 0}},
			map[string]string{o1: "scheduled"}},
		{"lines of one title add up",
			[]step{{schedule(o1, isbnA, 2, isbnA, 3), scheduled(o1, "shp-1", "BK0000000001")}},
			map[string][2]int{isbnA: {0, 5}, isbnB: {1, 0}, isbnZ: {0, 0}},
			map[string]string{o1: "scheduled"}},
		{"one line short reserves nothing",
			[]step{{schedule(o1, isbnA, 2, isbnB, 2), failed(o1, "out_of_stock")}},
			untouched, map[string]string{}},
		{"title with no stock",
			[]step{{schedule(o1, isbnZ, 1), failed(o1, "out_of_stock")}},
			untouched, map[string]string{}},
		{"lines of one title add up past the stock",
			[]step{{schedule(o1, isbnA, 3, isbnA, 3), failed(o1, "out_of_stock")}},
			untouched, map[string]string{}},
		{"unknown isbn reserves nothing",
			[]step{{schedule(o1, isbnA, 1, isbnUnknown, 1), failed(o1, "unknown_isbn")}},
			untouched, map[string]string{}},
		{"unknown isbn wins over out of stock",
			[]step{{schedule(o1, isbnZ, 1, isbnUnknown, 1), failed(o1, "unknown_isbn")}},
			untouched, map[string]string{}},
		{"schedule again answers with the same shipment and reserves nothing more",
			[]step{
				{schedule(o1, isbnA, 2), scheduled(o1, "shp-1", "BK0000000001")},
				{schedule(o1, isbnA, 2), scheduled(o1, "shp-1", "BK0000000001")},
			},
			map[string][2]int{isbnA: {3, 2}, isbnB: {1, 0}, isbnZ: {0, 0}},
			map[string]string{o1: "scheduled"}},
		{"cancel releases the stock",
			[]step{
				{schedule(o1, isbnA, 2, isbnB, 1), scheduled(o1, "shp-1", "BK0000000001")},
				{cancel(o1), cancelled(o1, "shp-1")},
			},
			untouched, map[string]string{o1: "cancelled"}},
		{"second cancel is a no-op with the same answer",
			[]step{
				{schedule(o1, isbnA, 2), scheduled(o1, "shp-1", "BK0000000001")},
				{cancel(o1), cancelled(o1, "shp-1")},
				{cancel(o1), cancelled(o1, "shp-1")},
			},
			untouched, map[string]string{o1: "cancelled"}},
		{"schedule after cancel is not acted on",
			[]step{
				{schedule(o1, isbnA, 2), scheduled(o1, "shp-1", "BK0000000001")},
				{cancel(o1), cancelled(o1, "shp-1")},
				{schedule(o1, isbnA, 2), failed(o1, "order_cancelled")},
			},
			untouched, map[string]string{o1: "cancelled"}},
		{"cancel of an order never scheduled blocks its schedule",
			[]step{
				{cancel(o1), cancelled(o1, "")},
				{schedule(o1, isbnA, 2), failed(o1, "order_cancelled")},
				{cancel(o1), cancelled(o1, "")},
			},
			untouched, map[string]string{}},
		{"cancel after a failed schedule",
			[]step{
				{schedule(o1, isbnB, 2), failed(o1, "out_of_stock")},
				{cancel(o1), cancelled(o1, "")},
			},
			untouched, map[string]string{}},
		{"released stock serves the next order",
			[]step{
				{schedule(o1, isbnB, 1), scheduled(o1, "shp-1", "BK0000000001")},
				{schedule(o2, isbnB, 1), failed(o2, "out_of_stock")},
				{cancel(o1), cancelled(o1, "shp-1")},
				{schedule(o2, isbnB, 1), scheduled(o2, "shp-2", "BK0000000002")},
			},
			map[string][2]int{isbnA: {5, 0}, isbnB: {0, 1}, isbnZ: {0, 0}},
			map[string]string{o1: "cancelled", o2: "scheduled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testBooks)
			for i, s := range tt.steps {
				if diff := cmp.Diff(s.want, h.do(t, s.cmd)); diff != "" {
					t.Errorf("step %d %s: reply (-want +got):\n%s", i+1, s.cmd.MessageType(), diff)
				}
			}
			if diff := cmp.Diff(tt.wantStock, h.stock(t)); diff != "" {
				t.Errorf("stock {available, reserved} (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStatus, h.statuses(t)); diff != "" {
				t.Errorf("shipment status by order (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScheduleStoresTheShipment(t *testing.T) {
	h := newHarness(t, testBooks)
	h.do(t, schedule("order-1", isbnB, 1, isbnA, 2))
	got, err := fsqlite.New(h.db).ShipmentByOrder(context.Background(), "order-1")
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := json.Marshal(address)
	want := fulfillment.Shipment{ID: "shp-1", OrderID: "order-1", Status: "scheduled", ExpectedDate: fridayPlus3,
		TrackingID: "BK0000000001", Address: string(addr), CreatedAt: friday,
		Lines: []fulfillment.Line{{ISBN: isbnB, Quantity: 1}, {ISBN: isbnA, Quantity: 2}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored shipment (-want +got):\n%s", diff)
	}
}

func TestTrackingIDsAreUnique(t *testing.T) {
	h := newHarness(t, testBooks)
	draws := []uint64{10_000_000_007, 7, 7, 7, 42} // the first is 7 modulo 10^10
	h.f.Random = func() uint64 { v := draws[0]; draws = draws[1:]; return v }
	want := []string{"BK0000000007", "BK0000000042"}
	for i, order := range []string{"order-1", "order-2"} {
		reply, ok := h.do(t, schedule(order, isbnA, 1)).(*msg.DeliveryScheduled)
		if !ok || reply.TrackingID != want[i] {
			t.Errorf("%s: reply %+v, want tracking id %s", order, reply, want[i])
		}
	}
}

func TestUnhandledMessageIsPermanent(t *testing.T) {
	h := newHarness(t, testBooks)
	m := &msg.ChargePayment{OrderID: "order-1", AmountCents: 100, Currency: "EUR", PaymentToken: "tok_visa"}
	env, err := msg.New(m, "order-1", "", friday)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.handle(t, env, m); !msg.IsPermanent(err) {
		t.Errorf("Handle(ChargePayment) = %v, want a permanent error", err)
	}
}
