package httpapi

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strings"

	"bookshop/orchestrator"
)

// The saga drawn as SVG, by hand from the machine the engine runs: states
// in layers by their distance from the initial state along the replies and
// timeouts (an operator's action may reach anything, so it does not count),
// each layer ordered under the states that lead into it. Three kinds of
// rows are written inside a box rather than drawn, to keep the arrows
// readable: a row that stays in its step (retry), a row of a stuck saga
// back to the step it remembers, and an event that leads to one state from
// every unfinished one (resolve). The Mermaid text lists every row.

const (
	boxW, lineH  = 210.0, 14.0
	gapX, gapY   = 48.0, 100.0
	margin, head = 40.0, 56.0 // head: room above the first layer for the start dot
)

// operatorEvents are drawn dashed and do not decide the layers.
var operatorEvents = []string{orchestrator.EvRetry, orchestrator.EvOperatorCancel, orchestrator.EvResolve}

// note is a line of text inside a box standing for rows; rows lists them
// as (from, event, to), for highlighting.
type note struct {
	text string
	rows [][3]string
}

type node struct {
	layer, index int
	x, y, h      float64 // centre, height
	notes        []note
}

type arrow struct {
	from, to string
	events   []string
	operator bool // every event is an operator's
}

type drawing struct {
	nodes         map[string]*node
	arrows        []arrow
	width, height float64
}

// layout places every state and sorts the rows into arrows and notes.
func layout(m *orchestrator.Machine) drawing {
	d := drawing{nodes: map[string]*node{}}
	layers := rank(m, m.Edges())
	for li, states := range layers {
		order(states, layers, li, m.Edges())
		for i, s := range states {
			d.nodes[s] = &node{layer: li, index: i}
		}
	}
	d.sortRows(m)
	widest, y := 0, head
	for _, states := range layers {
		widest = max(widest, len(states))
		tallest := 0.0
		for _, s := range states {
			n := d.nodes[s]
			n.h = 30 + lineH*float64(len(n.notes))
			tallest = max(tallest, n.h)
		}
		for _, s := range states {
			d.nodes[s].y = y + tallest/2
		}
		y += tallest + gapY
	}
	d.width = 2*margin + float64(widest)*boxW + float64(widest-1)*gapX
	for _, states := range layers {
		row := float64(len(states))*boxW + float64(len(states)-1)*gapX
		for i, s := range states {
			d.nodes[s].x = (d.width-row)/2 + boxW/2 + float64(i)*(boxW+gapX)
		}
	}
	d.height = y - gapY + 50
	return d
}

// sortRows makes each row an arrow (merged per pair of states) or a note.
func (d *drawing) sortRows(m *orchestrator.Machine) {
	everywhere := everywhereEvents(m)
	back := note{text: "↩ back to the step it remembers:"}
	for _, r := range m.Rows() {
		row := [3]string{r.From, r.Event, r.To}
		switch {
		case everywhere[r.Event] == r.To:
			continue // one note on the target, below
		case r.From == r.To:
			d.nodes[r.From].notes = append(d.nodes[r.From].notes, note{text: "↻ " + r.Event, rows: [][3]string{row}})
		case r.At != "" && r.At == r.To:
			back.rows = append(back.rows, row)
		default:
			d.addArrow(r)
		}
	}
	if len(back.rows) > 0 {
		stuck := back.rows[0][0]
		var events []string
		for _, r := range back.rows {
			if !slices.Contains(events, r[1]) {
				events = append(events, r[1])
			}
		}
		d.nodes[stuck].notes = append(d.nodes[stuck].notes, note{text: back.text, rows: back.rows},
			note{text: strings.Join(events, " · "), rows: back.rows})
	}
	for _, ev := range slices.Sorted(maps.Keys(everywhere)) {
		to := everywhere[ev]
		var rows [][3]string
		for _, r := range m.Rows() {
			if r.Event == ev {
				rows = append(rows, [3]string{r.From, r.Event, r.To})
			}
		}
		d.nodes[to].notes = append(d.nodes[to].notes, note{text: "← " + ev + " from any unfinished state", rows: rows})
	}
}

func (d *drawing) addArrow(r orchestrator.Row) {
	i := slices.IndexFunc(d.arrows, func(a arrow) bool { return a.from == r.From && a.to == r.To })
	if i < 0 {
		d.arrows = append(d.arrows, arrow{from: r.From, to: r.To, operator: true})
		i = len(d.arrows) - 1
	}
	a := &d.arrows[i]
	if !slices.Contains(a.events, r.Event) {
		a.events = append(a.events, r.Event)
	}
	a.operator = a.operator && slices.Contains(operatorEvents, r.Event)
}

// everywhereEvents finds the events that lead to one state from every
// state that is not terminal.
func everywhereEvents(m *orchestrator.Machine) map[string]string {
	out := map[string]string{}
	rows := m.Rows()
	for _, ev := range m.Events() {
		var to string
		all := true
		for _, s := range m.States() {
			if m.IsTerminal(s) {
				continue
			}
			i := slices.IndexFunc(rows, func(r orchestrator.Row) bool { return r.From == s && r.Event == ev })
			if i < 0 || (to != "" && rows[i].To != to) {
				all = false
				break
			}
			to = rows[i].To
		}
		if all && to != "" {
			out[ev] = to
		}
	}
	return out
}

// rank returns the states by layer: breadth first from the initial state
// along the edges that are not an operator's; states only an operator
// reaches come last.
func rank(m *orchestrator.Machine, edges []orchestrator.Row) [][]string {
	dist := map[string]int{m.Initial(): 0}
	queue := []string{m.Initial()}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, e := range edges {
			if _, seen := dist[e.To]; !seen && e.From == s && !slices.Contains(operatorEvents, e.Event) {
				dist[e.To] = dist[s] + 1
				queue = append(queue, e.To)
			}
		}
	}
	layers := make([][]string, slices.Max(slices.Collect(maps.Values(dist)))+1)
	var unreached []string
	for _, s := range m.States() {
		if d, ok := dist[s]; ok {
			layers[d] = append(layers[d], s)
		} else {
			unreached = append(unreached, s)
		}
	}
	if len(unreached) > 0 {
		layers = append(layers, unreached)
	}
	return layers
}

// order sorts layer li by the mean position of the states in the layer
// above that lead into each (the barycenter heuristic); states with none
// keep their table order, after the others.
func order(states []string, layers [][]string, li int, edges []orchestrator.Row) {
	if li == 0 {
		return
	}
	above := layers[li-1]
	centre := map[string]float64{}
	for i, s := range states {
		sum, n := 0.0, 0
		for _, e := range edges {
			if j := slices.Index(above, e.From); e.To == s && j >= 0 && !slices.Contains(operatorEvents, e.Event) {
				sum, n = sum+float64(j), n+1
			}
		}
		centre[s] = 1000 + float64(i)
		if n > 0 {
			centre[s] = sum / float64(n)
		}
	}
	slices.SortStableFunc(states, func(a, b string) int { return cmp.Compare(centre[a], centre[b]) })
}

// curve returns the start, control and end points of an arrow: straight
// down to the next layer, bent otherwise (and when the way back is drawn
// too) so that arrows between the same states do not lie on each other.
func (d drawing) curve(a arrow) (sx, sy, cx, cy, ex, ey float64) {
	f, t := d.nodes[a.from], d.nodes[a.to]
	bend := 0.0
	back := slices.ContainsFunc(d.arrows, func(b arrow) bool { return b.from == a.to && b.to == a.from })
	switch {
	case t.layer == f.layer && abs(t.index-f.index) > 1:
		bend = max(f.h, t.h) + 50 // clear of the boxes in between
	case t.layer == f.layer:
		bend = 40
	case t.layer < f.layer:
		bend = 50
	case back, t.layer > f.layer+1:
		bend = 30
	}
	mx, my := (f.x+t.x)/2, (f.y+t.y)/2
	dx, dy := t.x-f.x, t.y-f.y
	l := math.Hypot(dx, dy)
	cx, cy = mx-dy/l*bend, my+dx/l*bend
	sx, sy = border(f, cx, cy)
	ex, ey = border(t, cx, cy)
	return sx, sy, cx, cy, ex, ey
}

// border is where the line from n's centre towards (x, y) leaves its box.
func border(n *node, x, y float64) (float64, float64) {
	dx, dy := x-n.x, y-n.y
	s := math.Inf(1)
	if dx != 0 {
		s = (boxW / 2) / math.Abs(dx)
	}
	if dy != 0 {
		s = math.Min(s, (n.h/2)/math.Abs(dy))
	}
	return n.x + dx*s, n.y + dy*s
}

// labelAt places an arrow's label on its curve, at the middle if that is
// clear of every box, else at the nearest clear point.
func (d drawing) labelAt(a arrow, w, h float64) (float64, float64) {
	sx, sy, cx, cy, ex, ey := d.curve(a)
	var x, y float64
	ts := []float64{0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8}
	if slices.ContainsFunc(d.arrows, func(b arrow) bool { return b.from == a.to && b.to == a.from }) {
		ts = []float64{0.3, 0.2, 0.4} // the way back has its label at its own start
	}
	for _, t := range ts {
		x = (1-t)*(1-t)*sx + 2*(1-t)*t*cx + t*t*ex
		y = (1-t)*(1-t)*sy + 2*(1-t)*t*cy + t*t*ey
		if !d.covers(x, y, w, h) {
			break
		}
	}
	return x, y
}

func (d drawing) covers(x, y, w, h float64) bool {
	for _, n := range d.nodes {
		if math.Abs(x-n.x) < (boxW+w)/2+2 && math.Abs(y-n.y) < (n.h+h)/2+2 {
			return true
		}
	}
	return false
}

func abs(n int) int { return max(n, -n) }
