package msg

func (StartPurchase) MessageType() string      { return "StartPurchase" }
func (CancelPurchase) MessageType() string     { return "CancelPurchase" }
func (ChargePayment) MessageType() string      { return "ChargePayment" }
func (PaymentCharged) MessageType() string     { return "PaymentCharged" }
func (PaymentDeclined) MessageType() string    { return "PaymentDeclined" }
func (RefundPayment) MessageType() string      { return "RefundPayment" }
func (PaymentRefunded) MessageType() string    { return "PaymentRefunded" }
func (ScheduleDelivery) MessageType() string   { return "ScheduleDelivery" }
func (DeliveryScheduled) MessageType() string  { return "DeliveryScheduled" }
func (DeliveryFailed) MessageType() string     { return "DeliveryFailed" }
func (CancelDelivery) MessageType() string     { return "CancelDelivery" }
func (DeliveryCancelled) MessageType() string  { return "DeliveryCancelled" }
func (SendEmail) MessageType() string          { return "SendEmail" }
func (EmailSent) MessageType() string          { return "EmailSent" }
func (OrderStatusChanged) MessageType() string { return "OrderStatusChanged" }

func (m StartPurchase) Validate() error {
	return need(
		f("order_id", m.OrderID != ""),
		f("customer.name", m.Customer.Name != ""),
		f("customer.email", m.Customer.Email != ""),
		f("items", itemsOK(m.Items)),
		f("total_cents", m.TotalCents > 0),
		f("currency", currencyOK(m.Currency)),
		f("payment_token", m.PaymentToken != ""),
		f("shipping_address", m.ShippingAddress.Line1 != "" && m.ShippingAddress.Country != ""),
	)
}

func (m CancelPurchase) Validate() error { return need(f("order_id", m.OrderID != "")) }

func (m ChargePayment) Validate() error {
	return need(
		f("order_id", m.OrderID != ""),
		f("amount_cents", m.AmountCents > 0),
		f("currency", currencyOK(m.Currency)),
		f("payment_token", m.PaymentToken != ""),
	)
}

func (m PaymentCharged) Validate() error {
	return need(f("order_id", m.OrderID != ""), f("payment_id", m.PaymentID != ""),
		f("amount_cents", m.AmountCents > 0), f("currency", currencyOK(m.Currency)))
}

func (m PaymentDeclined) Validate() error {
	return need(f("order_id", m.OrderID != ""), f("reason", m.Reason != ""))
}

// A refund names the amount to return: a missing amount would decode as 0
// and be recorded as a no-op that blocks the real refund.
func (m RefundPayment) Validate() error {
	return need(f("order_id", m.OrderID != ""), f("amount_cents", m.AmountCents > 0),
		f("currency", currencyOK(m.Currency)))
}

func (m PaymentRefunded) Validate() error {
	return need(f("order_id", m.OrderID != ""), f("amount_cents", m.AmountCents >= 0))
}

func (m ScheduleDelivery) Validate() error {
	return need(f("order_id", m.OrderID != ""), f("items", deliveryItemsOK(m.Items)),
		f("shipping_address", m.ShippingAddress.Line1 != "" && m.ShippingAddress.Country != ""))
}

func (m DeliveryScheduled) Validate() error {
	return need(f("order_id", m.OrderID != ""), f("shipment_id", m.ShipmentID != ""),
		f("tracking_id", m.TrackingID != ""), f("expected_date", len(m.ExpectedDate) == 10))
}

func (m DeliveryFailed) Validate() error {
	return need(f("order_id", m.OrderID != ""), f("reason", m.Reason != ""))
}

func (m CancelDelivery) Validate() error { return need(f("order_id", m.OrderID != "")) }

func (m DeliveryCancelled) Validate() error { return need(f("order_id", m.OrderID != "")) }

func (m SendEmail) Validate() error {
	known := m.Template == TemplateOrderConfirmed || m.Template == TemplatePaymentDeclined ||
		m.Template == TemplateOrderCancelled
	return need(f("order_id", m.OrderID != ""), f("template", known), f("to", m.To != ""),
		f("currency", currencyOK(m.Currency)))
}

func (m EmailSent) Validate() error {
	return need(f("order_id", m.OrderID != ""), f("template", m.Template != ""),
		f("email_id", m.EmailID != ""))
}

func (m OrderStatusChanged) Validate() error {
	return need(f("order_id", m.OrderID != ""), f("state", m.State != ""),
		f("version", m.Version > 0))
}
