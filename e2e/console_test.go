package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bookshop/e2e/harness"

	"github.com/chromedp/chromedp"
)

// Issue 4, acceptance 5: the operator console in headless Chromium. An
// order is stuck at the email step (communication was down, its emails
// lost); the operator signs in with the token, finds the order in the
// stuck list, opens it, retries it with a reason, and watches it complete.
func TestConsoleRetriesAStuckOrder(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	chromium := consoleChromium(t)
	shop := harness.Start(t, harness.Options{Env: fastRetries("3")})
	shop.Stop(t, "communication")
	o := shop.MustOrder(t, "tok_visa", harness.Line{ISBN: "9780134190440", Quantity: 1})
	shop.MustPlace(t, o)
	awaitStuck(t, shop, o.OrderID, "sending_confirmation")
	if err := harness.PurgeQueue(shop.AMQPURL, "communication"); err != nil {
		t.Fatal(err)
	}
	shop.Start(t, "communication")

	ctx := consoleBrowser(t, chromium)
	row := chromedp.CSS(`#stuck-table button[data-order="` + o.OrderID + `"]`)
	steps := []struct {
		what string
		do   chromedp.Action[chromedp.Void]
	}{
		{"open the console", chromedp.Navigate(shop.URL("orchestrator") + "/admin/")},
		{"see the sign-in form", chromedp.WaitVisible(chromedp.CSS(`#token`))},
		{"give the token", chromedp.SendKeys(chromedp.CSS(`#token`), shop.AdminToken)},
		{"give a name", chromedp.SendKeys(chromedp.CSS(`#operator`), "Grace Hopper")},
		{"sign in", chromedp.Click(chromedp.CSS(`#signin-go`))},
		{"find the order in the stuck list", chromedp.WaitVisible(row)},
		{"open it", chromedp.Click(row)},
		{"see it stuck", chromedp.WaitVisible(chromedp.CSS(`#order-facts[data-state="stuck"]`))},
		{"press Retry", chromedp.Click(chromedp.CSS(`#order-view button[data-action="retry"]`))},
		{"be asked why", chromedp.WaitVisible(chromedp.CSS(`#confirm #reason`))},
		{"say why", chromedp.SendKeys(chromedp.CSS(`#reason`), "communication is back")},
		{"confirm", chromedp.Click(chromedp.CSS(`#confirm-ok`))},
	}
	for _, s := range steps {
		if err := consoleDo(ctx, 15*time.Second, s.do); err != nil {
			t.Fatalf("%s: %v%s", s.what, err, consoleState(t, ctx))
		}
	}
	if err := consoleDo(ctx, 30*time.Second, chromedp.WaitVisible(chromedp.CSS(`#order-facts[data-state="completed"]`))); err != nil {
		t.Fatalf("the order page never showed the order completed: %v%s", err, consoleState(t, ctx))
	}
	timeline, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#timeline`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"retry", "Grace Hopper (admin)", "communication is back", "confirmation_sent", "timeout"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("the timeline on the page does not show %q:\n%s", want, timeline)
		}
	}
	// The diagram has the order's path highlighted once it is loaded.
	if err := consoleDo(ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`#saga-img[src^="blob:"]`))); err != nil {
		t.Errorf("no saga diagram on the page: %v", err)
	}
	consoleScreenshot(t, ctx, "console-retried.png")
	if s := mustSaga(t, shop, o.OrderID); s.State != "completed" {
		t.Errorf("the saga is %s, want completed", s.State)
	}
	shop.CheckInvariants(t, []harness.Order{o})
}

// consoleChromium fails the test, never skips it, when there is no browser.
func consoleChromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("BOOKSHOP_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("no Chromium at %s (%v): install it with `apt-get install -y chromium`, or set BOOKSHOP_CHROMIUM", path, err)
	}
	return path
}

func consoleBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1400, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, which lives as long as ctx
		t.Fatalf("start %s: %v", chromium, err)
	}
	return ctx
}

func consoleDo(ctx context.Context, d time.Duration, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// consoleArtifacts is where screenshots go: $BOOKSHOP_ARTIFACTS if set,
// else the test's artifact directory (kept with go test -artifacts).
func consoleArtifacts(t *testing.T) string {
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

func consoleScreenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return ""
	}
	path := filepath.Join(consoleArtifacts(t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// consoleState describes the page after a failed step, with a screenshot.
func consoleState(t *testing.T, ctx context.Context) string {
	t.Helper()
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](
		`["#status", "#signin-error", "#stuck", "#order", "#confirm-error"].map(s => document.querySelector(s)).filter(e => e).map(e => e.innerText).join("\n---\n")`))
	path := consoleScreenshot(t, ctx, "console-failure.png")
	return fmt.Sprintf("\nthe page (screenshot %s) says:\n%s", path, text)
}
