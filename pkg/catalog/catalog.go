// Package catalog reads the shop's book list (configs/catalog.yaml), shared
// by the frontend (prices) and fulfillment (initial stock).
package catalog

import (
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// Book is one title the shop sells.
type Book struct {
	ISBN       string `yaml:"isbn" json:"isbn"`
	Title      string `yaml:"title" json:"title"`
	Author     string `yaml:"author" json:"author"`
	PriceCents int64  `yaml:"price_cents" json:"price_cents"`
	Currency   string `yaml:"currency" json:"currency"`
	Stock      int    `yaml:"stock" json:"stock"`
}

// Catalog is the list of books, in file order, with a lookup by ISBN.
type Catalog struct {
	Books  []Book
	byISBN map[string]int
}

// Load reads and checks the catalog at path.
func Load(path string) (*Catalog, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	var file struct {
		Books []Book `yaml:"books"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("parse catalog %s: %w", path, err)
	}
	return New(file.Books)
}

// New checks books and indexes them.
func New(books []Book) (*Catalog, error) {
	if len(books) == 0 {
		return nil, fmt.Errorf("catalog has no books")
	}
	c := &Catalog{Books: books, byISBN: make(map[string]int, len(books))}
	for i, b := range books {
		switch {
		case !ValidISBN13(b.ISBN):
			return nil, fmt.Errorf("catalog book %d: isbn %q is not a valid ISBN-13", i+1, b.ISBN)
		case b.Title == "" || b.Author == "":
			return nil, fmt.Errorf("catalog book %s: title and author are required", b.ISBN)
		case b.PriceCents <= 0:
			return nil, fmt.Errorf("catalog book %s: price_cents must be positive", b.ISBN)
		case len(b.Currency) != 3:
			return nil, fmt.Errorf("catalog book %s: currency must be an ISO 4217 code", b.ISBN)
		case b.Stock < 0:
			return nil, fmt.Errorf("catalog book %s: stock must not be negative", b.ISBN)
		}
		if _, dup := c.byISBN[b.ISBN]; dup {
			return nil, fmt.Errorf("catalog book %s: listed twice", b.ISBN)
		}
		c.byISBN[b.ISBN] = i
	}
	return c, nil
}

// Book returns the book with that ISBN.
func (c *Catalog) Book(isbn string) (Book, bool) {
	i, ok := c.byISBN[isbn]
	if !ok {
		return Book{}, false
	}
	return c.Books[i], true
}

// ValidISBN13 checks length, digits and the check digit.
func ValidISBN13(s string) bool {
	if len(s) != 13 {
		return false
	}
	sum := 0
	for i, r := range s {
		if r < '0' || r > '9' {
			return false
		}
		d := int(r - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return sum%10 == 0
}
