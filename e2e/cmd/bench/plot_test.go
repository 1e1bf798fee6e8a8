package main

import (
	"bytes"
	"image/png"
	"path/filepath"
	"testing"
	"time"

	"bookshop/e2e/harness"
	"bookshop/pkg/catalog"
)

// The plot renders the open-loop phases as a PNG with each series' colour
// on it.
func TestRenderPlot(t *testing.T) {
	phases := []*phase{
		{Rate: 500, TerminalP50: 80, TerminalP99: 240, CheckoutP50: 3, CheckoutP99: 20},
		{Rate: 200, TerminalP50: 50, TerminalP99: 120, CheckoutP50: 2, CheckoutP99: 9},
		{Rate: 1000, TerminalP50: 900, TerminalP99: 4000, CheckoutP50: 6, CheckoutP99: 60},
	}
	raw, err := renderPlot(phases, "test")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != plotW || b.Dy() != plotH {
		t.Fatalf("plot is %v, want %dx%d", b, plotW, plotH)
	}
	for _, s := range plotSeries {
		found := 0
		for x := left; x < plotW-right; x++ {
			for y := top; y < plotH-foot; y++ {
				r, g, b, _ := img.At(x, y).RGBA()
				if uint8(r>>8) == s.color.R && uint8(g>>8) == s.color.G && uint8(b>>8) == s.color.B {
					found++
				}
			}
		}
		if found < 100 {
			t.Errorf("series %s: %d pixels of its colour in the plot area, want a line", s.label, found)
		}
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		q    float64
		want float64
	}{{0.5, 50}, {0.99, 99}, {1, 100}, {0.01, 1}} {
		if got := pct(ds, tt.q); got != tt.want {
			t.Errorf("pct(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if got := pct(nil, 0.5); got != 0 {
		t.Errorf("pct of nothing = %v, want 0", got)
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"bench", "-rates", "200, 500,1000", "-c", "0"}, func(string) string { return "" }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.rates) != 3 || cfg.rates[1] != 500 {
		t.Errorf("rates = %v", cfg.rates)
	}
	for _, args := range [][]string{{"-rates", "fast"}, {"-c", "0", "-rates", ""}, {"-rates", "-5"}} {
		if _, err := parseFlags(append([]string{"bench"}, args...), func(string) string { return "" }, &bytes.Buffer{}); err == nil {
			t.Errorf("parseFlags(%v) accepted", args)
		}
	}
}

// -stock rewrites the catalog with more copies of every title in stock,
// leaves the titles out of stock out, and points both readers at it.
func TestRestock(t *testing.T) {
	cat, err := catalog.New([]catalog.Book{
		{ISBN: "9780262033848", Title: "A", Author: "X", PriceCents: 100, Currency: "GBP", Stock: 5},
		{ISBN: "9781449373320", Title: "B", Author: "Y", PriceCents: 200, Currency: "GBP", Stock: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{stock: 1_000_000, env: harness.EnvFlag{"FRONTEND_CATALOG_PATH": "/mine.yaml"}}
	path := filepath.Join(t.TempDir(), "catalog.yaml")
	returned, err := restock(cfg, cat, path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := catalog.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if returned.Books[0].Stock != 1_000_000 {
		t.Errorf("restock returned %+v", returned.Books)
	}
	if got.Books[0].Stock != 1_000_000 || got.Books[1].Stock != 0 || got.Books[0].Title != "A" {
		t.Errorf("restocked catalog %+v", got.Books)
	}
	if cfg.env["FULFILLMENT_CATALOG_PATH"] != path || cfg.env["FRONTEND_CATALOG_PATH"] != "/mine.yaml" {
		t.Errorf("env %v", cfg.env)
	}
}
