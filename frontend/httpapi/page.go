package httpapi

import (
	"bytes"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"

	"bookshop/frontend"
)

// pageHTML is a placeholder until the storefront (catalog, checkout form,
// live order page) arrives in the next issue.
const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bookshop</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ddd; }
td.price { text-align: right; white-space: nowrap; }
</style>
</head>
<body>
<h1>Bookshop</h1>
<p>The storefront, with checkout and a live order page, arrives in the next issue.
Until then, the books on sale are below, and <code>/api/books</code> and
<code>/api/orders/{id}</code> answer in JSON.</p>
<table>
<thead><tr><th>Title</th><th>Author</th><th>ISBN</th><th>Price</th><th></th></tr></thead>
<tbody>
{{range .}}<tr><td>{{.Title}}</td><td>{{.Author}}</td><td>{{.ISBN}}</td><td class="price">{{price .PriceCents .Currency}}</td><td>{{if not .Available}}out of stock{{end}}</td></tr>
{{end}}</tbody>
</table>
</body>
</html>
`

func newPage() (*template.Template, error) {
	t, err := template.New("storefront").Funcs(template.FuncMap{"price": price}).Parse(pageHTML)
	if err != nil {
		return nil, fmt.Errorf("parse storefront page: %w", err)
	}
	return t, nil
}

// price formats integer cents without floats; every catalog currency has
// two minor digits.
func price(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, cents/100, cents%100, currency)
}

func storefront(shop *frontend.Shop, page *template.Template, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		var buf bytes.Buffer
		if err := page.Execute(&buf, shop.Books()); err != nil {
			log.Error("render storefront page", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = buf.WriteTo(w) // the client went away; nothing to do
	}
}
