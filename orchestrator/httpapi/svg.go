package httpapi

import (
	"bytes"
	"fmt"
	"html"
	"slices"
	"strings"

	"bookshop/orchestrator"
)

// path is one order's way through the saga, read from its history.
type path struct {
	id, current string
	states      map[string]bool
	edges       map[[3]string]bool // from, event, to
	visits      []string           // states in the order first reached
}

func pathOf(s *orchestrator.Saga, h []orchestrator.HistoryEntry) *path {
	p := &path{id: s.ID, current: s.State, states: map[string]bool{}, edges: map[[3]string]bool{}}
	visit := func(state string) {
		if state != "" && !p.states[state] {
			p.states[state] = true
			p.visits = append(p.visits, state)
		}
	}
	for _, e := range h {
		visit(e.From)
		visit(e.To)
		if e.From != "" && e.To != "" {
			p.edges[[3]string{e.From, e.Event, e.To}] = true
		}
	}
	visit(s.State)
	return p
}

const svgStyle = `.box{fill:#fff;stroke:#374151;stroke-width:1.5}
.waiting .box{fill:#fef3c7;stroke:#92400e}
.terminal .box{fill:#f3f4f6}
.visited .box{fill:#fde68a;stroke:#92400e;stroke-width:2.5}
.current .box{stroke-width:5}
.name{font-size:14px;font-weight:600;fill:#111827}
.loops{font-size:11px;fill:#6d28d9}
.loops.hot{fill:#92400e;font-weight:700}
.edge{fill:none;stroke:#4b5563;stroke-width:1.4}
.edge.op{stroke:#7c3aed;stroke-dasharray:6 4}
.edge.hot{stroke:#b45309;stroke-width:3.5;stroke-dasharray:none}
.label{font-size:11px;fill:#1f2937}
.label.op{fill:#6d28d9}
.label.hot{fill:#92400e;font-weight:700}
.label-bg{fill:#fff;fill-opacity:.85}
.legend{font-size:12px;fill:#374151}`

// drawSVG draws the machine; p, if not nil, is highlighted.
func drawSVG(m *orchestrator.Machine, p *path) []byte {
	d := layout(m)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-labelledby="saga-title saga-desc" font-family="system-ui, sans-serif">`+"\n",
		d.width, d.height+30, d.width, d.height+30)
	desc := fmt.Sprintf("%d states and %d transitions, drawn from the table the engine runs. Solid arrows are replies and timeouts, dashed arrows operators' actions; the lines under a state's name list the rows that keep it in its step (↻), take a stuck saga back to its step (↩), or reach it from any unfinished state (←).",
		len(d.nodes), len(m.Edges()))
	if p != nil {
		desc += fmt.Sprintf(" Highlighted: the path of order %s, now %s.", p.id, p.current)
	}
	fmt.Fprintf(&b, "<title id=\"saga-title\">The purchase saga</title>\n<desc id=\"saga-desc\">%s</desc>\n", esc(desc))
	fmt.Fprintf(&b, "<style>%s</style>\n<defs>\n", svgStyle)
	for _, mk := range [][2]string{{"arrow", "#4b5563"}, {"arrow-op", "#7c3aed"}, {"arrow-hot", "#b45309"}} {
		fmt.Fprintf(&b, `<marker id="%s" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="%s"/></marker>`+"\n", mk[0], mk[1])
	}
	b.WriteString("</defs>\n")
	d.drawStart(&b, m, p)
	for _, a := range d.arrows {
		d.drawArrow(&b, a, p)
	}
	for _, s := range m.States() {
		d.drawState(&b, m, s, p)
	}
	for _, a := range d.arrows {
		d.drawLabel(&b, a, p)
	}
	d.drawLegend(&b, p)
	b.WriteString("</svg>\n")
	return b.Bytes()
}

func (d drawing) drawStart(b *bytes.Buffer, m *orchestrator.Machine, p *path) {
	n := d.nodes[m.Initial()]
	class := "edge"
	marker := "arrow"
	if p != nil {
		class, marker = "edge hot", "arrow-hot"
	}
	top := n.y - n.h/2
	fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="7" fill="#111827"/>`+"\n", n.x, top-34)
	fmt.Fprintf(b, `<path class="%s" d="M%.1f,%.1fL%.1f,%.1f" marker-end="url(#%s)"/>`+"\n", class, n.x, top-27, n.x, top-1, marker)
}

// hot reports whether the order took one of the arrow's events.
func (a arrow) hot(p *path) bool {
	return p != nil && slices.ContainsFunc(a.events, func(ev string) bool { return p.edges[[3]string{a.from, ev, a.to}] })
}

func (a arrow) classes(p *path) (string, string) {
	switch {
	case a.hot(p):
		return " hot", "arrow-hot"
	case a.operator:
		return " op", "arrow-op"
	}
	return "", "arrow"
}

func (d drawing) drawArrow(b *bytes.Buffer, a arrow, p *path) {
	sx, sy, cx, cy, ex, ey := d.curve(a)
	class, marker := a.classes(p)
	fmt.Fprintf(b, `<path class="edge%s" d="M%.1f,%.1fQ%.1f,%.1f %.1f,%.1f" marker-end="url(#%s)"><title>%s → %s: %s</title></path>`+"\n",
		class, sx, sy, cx, cy, ex, ey, marker, a.from, a.to, esc(strings.Join(a.events, ", ")))
}

// drawLabel writes an arrow's events one per line on a white ground.
func (d drawing) drawLabel(b *bytes.Buffer, a arrow, p *path) {
	w := 8.0
	for _, ev := range a.events {
		w = max(w, float64(len(ev))*6.1+8)
	}
	h := float64(len(a.events))*13 + 3
	x, y := d.labelAt(a, w, h)
	class, _ := a.classes(p)
	fmt.Fprintf(b, `<rect class="label-bg" x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="3"/>`+"\n", x-w/2, y-h/2, w, h)
	fmt.Fprintf(b, `<text class="label%s" text-anchor="middle">`, class)
	for i, ev := range a.events {
		fmt.Fprintf(b, `<tspan x="%.1f" y="%.1f">%s</tspan>`, x, y-h/2+12+float64(i)*13, esc(ev))
	}
	b.WriteString("</text>\n")
}

func (d drawing) drawState(b *bytes.Buffer, m *orchestrator.Machine, s string, p *path) {
	n := d.nodes[s]
	class := "state"
	switch {
	case m.IsTerminal(s):
		class += " terminal"
	case !m.IsStep(s):
		class += " waiting"
	}
	if p != nil && p.states[s] {
		class += " visited"
	}
	if p != nil && p.current == s {
		class += " current"
	}
	top := n.y - n.h/2
	fmt.Fprintf(b, `<g class="%s" data-state="%s"><rect class="box" x="%.1f" y="%.1f" width="%.0f" height="%.0f" rx="8"/>`,
		class, esc(s), n.x-boxW/2, top, boxW, n.h)
	fmt.Fprintf(b, `<text class="name" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, n.x, top+20, esc(s))
	for i, nt := range n.notes {
		notes := "loops"
		if p != nil && slices.ContainsFunc(nt.rows, func(r [3]string) bool { return p.edges[r] }) {
			notes += " hot"
		}
		fmt.Fprintf(b, `<text class="%s" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, notes, n.x, top+36+float64(i)*lineH, esc(nt.text))
	}
	b.WriteString("</g>\n")
}

func (d drawing) drawLegend(b *bytes.Buffer, p *path) {
	y := d.height
	fmt.Fprintf(b, `<path class="edge" d="M%.0f,%.0fh36" marker-end="url(#arrow)"/><text class="legend" x="%.0f" y="%.0f">reply or timeout</text>`+"\n", margin, y, margin+44, y+4)
	fmt.Fprintf(b, `<path class="edge op" d="M%.0f,%.0fh36" marker-end="url(#arrow-op)"/><text class="legend" x="%.0f" y="%.0f">operator's action (admin API)</text>`+"\n", margin+180, y, margin+224, y+4)
	fmt.Fprintf(b, `<text class="legend" x="%.0f" y="%.0f">↻ stays in its step, sending its command again</text>`+"\n", margin+440, y+4)
	if p != nil {
		fmt.Fprintf(b, `<path class="edge hot" d="M%.0f,%.0fh36" marker-end="url(#arrow-hot)"/><text class="legend" x="%.0f" y="%.0f">order %s</text>`+"\n", margin, y+24, margin+44, y+28, esc(p.id))
	}
}

func esc(s string) string { return html.EscapeString(s) }
