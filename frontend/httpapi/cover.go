package httpapi

import (
	"hash/fnv"
	"strings"

	"bookshop/frontend"
)

// cover is a book cover drawn by CSS from the title and author alone: two
// hues and a pattern picked by a hash of the ISBN, the title set large and
// the author small. Same book, same cover; no image from anywhere.
type cover struct {
	Hue, Hue2 int
	Pattern   int // 0..3, a CSS class
	Title     string
	Subtitle  string
	Author    string
}

func newCover(b frontend.Book) cover {
	h := fnv.New32a()
	h.Write([]byte(b.ISBN + b.Title))
	sum := h.Sum32()
	hue := int(sum % 360)
	title, subtitle, _ := strings.Cut(b.Title, ":")
	return cover{
		Hue:      hue,
		Hue2:     (hue + 30 + int(sum>>9%90)) % 360,
		Pattern:  int(sum >> 20 % 4),
		Title:    strings.TrimSpace(title),
		Subtitle: strings.TrimSpace(subtitle),
		Author:   coverAuthor(b.Author),
	}
}

// coverAuthor keeps the first author of a long list.
func coverAuthor(author string) string {
	names := strings.Split(author, ",")
	if len(names) > 2 {
		return strings.TrimSpace(names[0]) + " et al."
	}
	return author
}
