package httpapi_test

import (
	"encoding/xml"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (go test -update): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s changed (-golden +now):\n%s", path, diff)
	}
}

func TestSagaDiagram(t *testing.T) {
	f := newFixture(t)
	f.stick("ord-1")
	f.call("POST", "/admin/orders/ord-1/retry", full, `{"reason": "back"}`)

	svg := f.call("GET", "/admin/saga", full, "", "Accept", "image/svg+xml")
	if svg.status != 200 || svg.header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("SVG: %d %v", svg.status, svg.header)
	}
	wellFormed(t, svg.body)
	golden(t, "testdata/saga.svg", svg.body)

	hot := f.get("/admin/saga?format=svg&order=ord-1")
	wellFormed(t, hot.body)
	for _, want := range []string{`class="state visited current" data-state="sending_confirmation"`,
		`class="state waiting visited" data-state="stuck"`, `class="edge hot"`, "the path of order ord-1, now sending_confirmation"} {
		if !strings.Contains(hot.body, want) {
			t.Errorf("highlighted SVG lacks %s", want)
		}
	}
	if strings.Contains(hot.body, `data-state="completed" class`) || strings.Contains(hot.body, `"state terminal visited" data-state="completed"`) {
		t.Errorf("completed highlighted, though ord-1 never got there")
	}
	mermaid := f.get("/admin/saga?order=ord-1")
	if !strings.Contains(mermaid.body, "class charging_payment,scheduling_delivery,sending_confirmation,stuck visited") {
		t.Errorf("highlighted Mermaid:\n%s", mermaid.body)
	}
	asJSON := f.get("/admin/saga?format=json")
	if !strings.Contains(asJSON.body, `"initial": "charging_payment"`) || !strings.Contains(asJSON.body, `"event": "operator_cancel"`) {
		t.Errorf("machine as JSON:\n%.500s", asJSON.body)
	}
	if r := f.get("/admin/saga?order=nope"); r.status != 404 {
		t.Errorf("unknown order: %d", r.status)
	}
}

func wellFormed(t *testing.T, doc string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("SVG is not well-formed XML: %v", err)
			}
			return
		}
	}
}
