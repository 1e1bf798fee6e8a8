package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit"
	"bookshop/pkg/rabbit/rabbittest"

	"github.com/chromedp/chromedp"
)

// TestBrowserBuysBooks is acceptance 4: headless Chromium buys a book
// through the storefront and watches the order page reach "completed", then
// buys with tok_insufficient_funds and reads the decline explained. The
// frontend runs for real (run, RabbitMQ on a fresh vhost); the test plays
// the orchestrator: it takes StartPurchase off the orchestrator queue and
// answers with the saga's OrderStatusChanged events.
func TestBrowserBuysBooks(t *testing.T) {
	t.Parallel()
	chromium := findChromium(t)
	amqpURL := rabbittest.VHost(t)
	addr := freeAddr(t)
	base := "http://" + addr
	start(t, map[string]string{
		"FRONTEND_AMQP_URL":           amqpURL,
		"FRONTEND_HTTP_ADDR":          addr,
		"FRONTEND_DATABASE_PATH":      filepath.Join(t.TempDir(), "frontend.db"),
		"FRONTEND_CATALOG_PATH":       catalogPath,
		"FRONTEND_LIVE_POLL_INTERVAL": "100ms",
	})
	playOrchestrator(t, amqpURL)
	waitFor(t, 15*time.Second, "/readyz 200", func() (bool, string) {
		code, body, err := get(base + "/readyz")
		return err == nil && code == 200, fmt.Sprint(code, body, err)
	})

	ctx := browser(t, chromium)
	dir := artifactDir(t)
	checkFormErrors(t, ctx, base)
	screenshot(t, ctx, filepath.Join(dir, "checkout-errors.png"))
	buy(t, ctx, base, "9781449373320", "tok_visa")
	waitPage(t, ctx, "completed", "Order complete", "Your books arrive by Monday 30 November 2026")
	screenshot(t, ctx, filepath.Join(dir, "order-completed.png"))

	buy(t, ctx, base, "9780134190440", "tok_insufficient_funds")
	waitPage(t, ctx, "payment_declined", "Payment declined", "insufficient funds", "Nothing was charged")
	screenshot(t, ctx, filepath.Join(dir, "order-declined.png"))
}

// findChromium fails the test, never skips it, when there is no browser:
// acceptance 4 must not pass by not running.
func findChromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("BOOKSHOP_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("no Chromium at %s (%v): install Debian's package with `apt-get install -y chromium`, "+
			"or set BOOKSHOP_CHROMIUM to the browser's path", path, err)
	}
	return path
}

// artifactDir is where screenshots go: $BOOKSHOP_ARTIFACTS if set, else the
// test's artifact directory (kept with go test -artifacts -outputdir DIR).
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BOOKSHOP_ARTIFACTS")
	if dir == "" {
		return t.ArtifactDir()
	}
	dir = filepath.Join(dir, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func browser(t *testing.T, chromium string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first call starts the browser, which lives as long as ctx: no
	// timeout on it; each step below gets its own.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	return ctx
}

// do runs steps, bounded by d.
func do(ctx context.Context, d time.Duration, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// buy puts one book in the cart, fills the form with the example details,
// picks the card and places the order, like a customer with a keyboard.
func buy(t *testing.T, ctx context.Context, base, isbn, token string) {
	t.Helper()
	add := chromedp.CSS(`button[data-add="` + isbn + `"]`)
	steps := []struct {
		what string
		do   chromedp.Action[chromedp.Void]
	}{
		{"open the storefront", chromedp.Navigate(base + "/")},
		{"add the book to the cart", chromedp.Click(add)},
		{"see the checkout form", chromedp.WaitVisible(chromedp.CSS(`#checkout`))},
		{"fill in the example details", chromedp.Click(chromedp.CSS(`#example`))},
		{"choose the card", chromedp.Click(chromedp.CSS(`input[name="payment.token"][value="` + token + `"]`))},
		{"place the order", chromedp.Click(chromedp.CSS(`#place`))},
		{"reach the order page", chromedp.WaitVisible(chromedp.CSS(`#live-root .live`))},
	}
	for _, s := range steps {
		if err := do(ctx, 10*time.Second, s.do); err != nil {
			t.Fatalf("buy %s with %s: %s: %v%s", isbn, token, s.what, err, pageState(t, ctx))
		}
	}
}

// checkFormErrors places an order with an empty form: the page must name
// the missing fields, next to each and in a summary that takes the focus.
func checkFormErrors(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	add := chromedp.CSS(`button[data-add="9780134190440"]`)
	err := do(ctx, 10*time.Second, chromedp.Navigate(base+"/"), chromedp.Click(add),
		chromedp.Click(chromedp.CSS(`#place`)), chromedp.WaitVisible(chromedp.CSS(`#form-errors`)),
		chromedp.WaitVisible(chromedp.CSS(`#name-error`)))
	if err != nil {
		t.Fatalf("place an order with an empty form: %v%s", err, pageState(t, ctx))
	}
	summary, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#form-errors`)))
	if err != nil {
		t.Fatal(err)
	}
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Full name is required", "Email is required", "Country is required"} {
		if !strings.Contains(summary, w) {
			t.Errorf("error summary does not say %q:\n%s", w, summary)
		}
	}
	if focused != "form-errors" {
		t.Errorf("focus is on #%s after a refused order, want the error summary", focused)
	}
}

// waitPage waits for the order page to show status and checks its words.
func waitPage(t *testing.T, ctx context.Context, status string, words ...string) {
	t.Helper()
	if err := do(ctx, 15*time.Second, chromedp.WaitVisible(chromedp.CSS(`#live-root .live[data-status="`+status+`"]`))); err != nil {
		t.Fatalf("wait for the order page to show %s: %v", status, err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#live-root`)))
	if err != nil {
		t.Fatal(err)
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range words {
		if !strings.Contains(text, w) {
			t.Errorf("order page %s, status %s, does not say %q; it says:\n%s", url, status, w, text)
		}
	}
}

// pageState describes the page after a failed step, with a screenshot.
func pageState(t *testing.T, ctx context.Context) string {
	t.Helper()
	url, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[".live", "#form-errors", "#place-status", "#cart"].map(s => document.querySelector(s)).filter(e => e).map(e => e.innerText).join("\n---\n")`))
	path := filepath.Join(artifactDir(t), "failure.png")
	screenshot(t, ctx, path)
	return fmt.Sprintf("\npage %s (screenshot %s) says:\n%s", url, path, text)
}

func screenshot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// playOrchestrator consumes StartPurchase from the orchestrator queue and
// publishes the saga's status events for it to the frontend queue, one at
// a time, as the real saga would: completed for a good card, declined with
// the gateway's reason for tok_insufficient_funds.
func playOrchestrator(t *testing.T, amqpURL string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testOutput(), nil))
	pub := rabbit.NewPublisher(rabbit.Config{URL: amqpURL, ConnectionName: "fake-orchestrator"}, log)
	ctx, cancel := context.WithCancel(context.Background())
	var sagas sync.WaitGroup
	cons := rabbit.NewConsumer(rabbit.Config{URL: amqpURL, ConnectionName: "fake-orchestrator"}, msg.Orchestrator,
		func(_ context.Context, ds []rabbit.Delivery) []error {
			for _, d := range ds {
				_, m, err := msg.Decode(d.Body)
				if sp, ok := m.(*msg.StartPurchase); ok && err == nil {
					sagas.Go(func() { saga(ctx, t, pub, sp) })
				} else {
					t.Errorf("orchestrator queue got %s %s (%v), want only StartPurchase", d.Type, d.MessageID, err)
				}
			}
			return make([]error, len(ds))
		}, log)
	sagas.Go(func() { _ = cons.Run(ctx) })
	t.Cleanup(func() { cancel(); sagas.Wait(); pub.Close() })
}

func saga(ctx context.Context, t *testing.T, pub *rabbit.Publisher, sp *msg.StartPurchase) {
	at := time.Now().UTC()
	ev := func(v int64, state, prev, event string) msg.OrderStatusChanged {
		return msg.OrderStatusChanged{OrderID: sp.OrderID, State: state, PreviousState: prev, Event: event,
			Version: v, TotalCents: sp.TotalCents, Currency: sp.Currency, OccurredAt: at.Add(time.Duration(v) * time.Second)}
	}
	events := []msg.OrderStatusChanged{ev(1, "charging_payment", "", "started")}
	if sp.PaymentToken == "tok_insufficient_funds" {
		declined := ev(2, "sending_decline_notice", "charging_payment", "payment_declined")
		done := ev(3, "declined", "sending_decline_notice", "decline_notice_sent")
		declined.FailureReason, done.FailureReason = "insufficient_funds", "insufficient_funds"
		events = append(events, declined, done)
	} else {
		scheduled := ev(3, "sending_confirmation", "scheduling_delivery", "scheduled")
		scheduled.ExpectedDate, scheduled.TrackingID = "2026-11-30", "BK123456789"
		completed := ev(4, "completed", "sending_confirmation", "confirmation_sent")
		completed.ExpectedDate, completed.TrackingID = "2026-11-30", "BK123456789"
		events = append(events, ev(2, "scheduling_delivery", "charging_payment", "charged"), scheduled, completed)
	}
	for i := range events {
		select {
		case <-ctx.Done():
			return
		case <-time.After(300 * time.Millisecond): // let the page show each step
		}
		env, err := msg.New(&events[i], sp.OrderID, "", time.Now())
		if err != nil {
			t.Errorf("event %s of %s: %v", events[i].State, sp.OrderID, err)
			return
		}
		body, _ := env.Marshal()
		err = pub.Publish(ctx, []rabbit.Publishing{{RoutingKey: msg.Frontend, MessageID: env.ID,
			Type: env.Type, CorrelationID: sp.OrderID, Body: body}})
		if err != nil && ctx.Err() == nil {
			t.Errorf("publish %s of %s: %v", events[i].State, sp.OrderID, err)
		}
	}
}
