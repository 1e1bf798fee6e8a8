package httpapi

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"bookshop/frontend"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFS embed.FS

// pages are the storefront's server-rendered pages.
type pages struct {
	tmpl      *template.Template
	countries []frontend.Country
}

func newPages() (*pages, error) {
	t, err := template.New("").Funcs(template.FuncMap{
		"money": money, "cover": newCover, "dict": dict, "words": words,
	}).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse page templates: %w", err)
	}
	return &pages{tmpl: t, countries: frontend.Countries()}, nil
}

// staticFiles serves the stylesheet and scripts embedded in the binary:
// the page needs nothing from the internet.
func staticFiles() http.HandlerFunc {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}
}

// TestCard is a payment token of billing's simulated gateway, offered on
// the checkout form as a card.
type TestCard struct {
	Token, Brand, Number, Outcome string
	Declines                      bool
}

// testCards are the contract's test tokens.
var testCards = []TestCard{
	{"tok_visa", "Visa", "•••• 4242", "Approved", false},
	{"tok_mastercard", "Mastercard", "•••• 5454", "Approved", false},
	{"tok_insufficient_funds", "Visa", "•••• 9995", "Declined: insufficient funds", true},
	{"tok_card_declined", "Mastercard", "•••• 0002", "Declined by the bank", true},
}

func (a *api) storefront(w http.ResponseWriter, _ *http.Request) {
	a.render(w, http.StatusOK, "storefront.html", map[string]any{
		"Books": a.shop.Books(), "Countries": a.pages.countries, "Cards": testCards,
		"MaxQuantity": frontend.MaxQuantity,
	})
}

func (a *api) orderPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	o, err := a.shop.Order(r.Context(), id)
	switch {
	case errors.Is(err, frontend.ErrOrderNotFound):
		a.render(w, http.StatusNotFound, "notfound.html", map[string]any{"ID": id})
	case err != nil:
		a.log.Error("load order page", "order_id", id, "err", err)
		http.Error(w, "The order could not be loaded; try again.", http.StatusInternalServerError)
	default:
		a.render(w, http.StatusOK, "order.html", map[string]any{
			"Order": o, "Live": newLiveView(o), "Card": cardOf(o.PaymentToken),
			"Country": a.countryName(o.ShippingAddress.Country),
		})
	}
}

func (a *api) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := a.pages.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		a.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w) // the client went away; nothing to do
}

func (a *api) countryName(code string) string {
	for _, c := range a.pages.countries {
		if c.Code == code {
			return c.Name
		}
	}
	return code
}

func cardOf(token string) TestCard {
	for _, c := range testCards {
		if c.Token == token {
			return c
		}
	}
	return TestCard{Token: token, Brand: "Card"}
}

// money formats integer minor units without floats; every catalog
// currency has two minor digits.
func money(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	amount := fmt.Sprintf("%d.%02d", cents/100, cents%100)
	if symbol, ok := map[string]string{"EUR": "€", "GBP": "£", "USD": "$"}[strings.ToUpper(currency)]; ok {
		return sign + symbol + amount
	}
	return strings.TrimSpace(sign + amount + " " + currency)
}

// dict builds a map from pairs, to pass several values to a template.
func dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		k, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", pairs[i])
		}
		m[k] = pairs[i+1]
	}
	return m, nil
}
