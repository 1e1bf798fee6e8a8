package catalog_test

import (
	"testing"

	"bookshop/pkg/catalog"
)

// The shipped catalog must load: real ISBNs, at least 12 books, one sold out.
func TestShippedCatalog(t *testing.T) {
	c, err := catalog.Load("../../configs/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Books) < 12 {
		t.Errorf("catalog has %d books, want at least 12", len(c.Books))
	}
	soldOut := 0
	for _, b := range c.Books {
		if b.Stock == 0 {
			soldOut++
		}
	}
	if soldOut != 1 {
		t.Errorf("%d books with stock 0, want exactly 1", soldOut)
	}
	if _, ok := c.Book("9780262033848"); !ok {
		t.Error("the contract's example ISBN 9780262033848 is missing")
	}
}

func TestValidISBN13(t *testing.T) {
	for isbn, want := range map[string]bool{
		"9780262033848": true, "9780262033847": false, "978026203384": false, "97802620338x8": false,
	} {
		if got := catalog.ValidISBN13(isbn); got != want {
			t.Errorf("ValidISBN13(%s) = %v, want %v", isbn, got, want)
		}
	}
}

func TestNewRejects(t *testing.T) {
	good := catalog.Book{ISBN: "9780262033848", Title: "T", Author: "A", PriceCents: 1, Currency: "EUR"}
	dup := []catalog.Book{good, good}
	if _, err := catalog.New(dup); err == nil {
		t.Error("duplicate ISBN accepted")
	}
	bad := good
	bad.PriceCents = 0
	if _, err := catalog.New([]catalog.Book{bad}); err == nil {
		t.Error("zero price accepted")
	}
}
