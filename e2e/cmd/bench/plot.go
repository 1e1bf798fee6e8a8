package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
)

// series is one line of the plot: a latency figure against arrival rate.
type series struct {
	label string
	color color.RGBA
	value func(p *phase) float64 // milliseconds
}

var plotSeries = []series{
	{"to terminal p99", color.RGBA{200, 30, 30, 255}, func(p *phase) float64 { return p.TerminalP99 }},
	{"to terminal p50", color.RGBA{30, 80, 200, 255}, func(p *phase) float64 { return p.TerminalP50 }},
	{"checkout p99", color.RGBA{230, 140, 0, 255}, func(p *phase) float64 { return p.CheckoutP99 }},
	{"checkout p50", color.RGBA{20, 150, 60, 255}, func(p *phase) float64 { return p.CheckoutP50 }},
}

// Plot geometry, in pixels.
const (
	plotW, plotH           = 960, 600
	left, right, top, foot = 110, 30, 70, 80
)

var (
	ink   = color.RGBA{30, 30, 30, 255}
	grid  = color.RGBA{225, 225, 225, 255}
	paper = color.RGBA{255, 255, 255, 255}
)

// writePlot draws the open-loop phases' latency (log scale) against their
// arrival rate into a PNG at path.
func writePlot(path string, r *report) error {
	var open []*phase
	for _, p := range r.Phases {
		if p.Rate > 0 {
			open = append(open, p)
		}
	}
	raw, err := renderPlot(open, fmt.Sprintf("%d CPUs, %s", r.Machine.CPUs, r.Started))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o644)
}

// renderPlot returns the PNG of phases (open loop, any order).
func renderPlot(phases []*phase, subtitle string) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, plotW, plotH))
	fill(img, 0, 0, plotW, plotH, paper)
	maxRate, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for _, p := range phases {
		maxRate = max(maxRate, p.Rate)
		for _, s := range plotSeries {
			if v := s.value(p); v > 0 {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if len(phases) == 0 || math.IsInf(lo, 1) {
		lo, hi, maxRate = 1, 1000, 1000
	}
	// Whole decades of milliseconds on the y axis, rates from 0 on the x.
	decLo, decHi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if decHi <= decLo {
		decHi = decLo + 1
	}
	step := niceCeil(maxRate * 1.05 / 6)
	xMax := math.Ceil(maxRate*1.05/step) * step
	x0, y0, x1, y1 := left, plotH-foot, plotW-right, top
	px := func(rate float64) int { return x0 + int(rate/xMax*float64(x1-x0)) }
	py := func(ms float64) int {
		return y0 - int((math.Log10(ms)-decLo)/(decHi-decLo)*float64(y0-y1))
	}
	drawAxes(img, xMax, step, decLo, decHi, px, py)
	for i, s := range plotSeries {
		drawSeries(img, phases, s, px, py)
		lx, ly := x0+20, y1+10+i*22
		fill(img, lx, ly+4, 24, 4, s.color)
		drawText(img, lx+32, ly, s.label, ink, 2)
	}
	drawText(img, left, 16, "bookshop: latency against arrival rate (open loop)", ink, 2)
	drawText(img, plotW-right-textWidth(subtitle, 1), 44, subtitle, ink, 1)
	for _, p := range phases {
		if v := plotSeries[0].value(p); p.SaturatedAfter > 0 && v > 0 {
			drawText(img, px(p.Rate)-textWidth("saturated", 1)/2, py(v)-18, "saturated", ink, 1)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func drawAxes(img *image.RGBA, xMax, step, decLo, decHi float64, px func(float64) int, py func(float64) int) {
	x0, y0, x1, y1 := px(0), py(math.Pow(10, decLo)), px(xMax), py(math.Pow(10, decHi))
	for d := decLo; d <= decHi; d++ {
		y := py(math.Pow(10, d))
		fill(img, x0, y, x1-x0, 1, grid)
		label := fmt.Sprintf("%g", math.Pow(10, d))
		drawText(img, x0-12-textWidth(label, 2), y-7, label, ink, 2)
	}
	for v := 0.0; v <= xMax+step/2; v += step {
		x := px(v)
		fill(img, x, y1, 1, y0-y1, grid)
		label := fmt.Sprintf("%g", v)
		drawText(img, x-textWidth(label, 2)/2, y0+12, label, ink, 2)
	}
	fill(img, x0, y1, 2, y0-y1+1, ink)
	fill(img, x0, y0, x1-x0, 2, ink)
	title := "arrival rate (orders/s)"
	drawText(img, (x0+x1-textWidth(title, 2))/2, y0+44, title, ink, 2)
	drawText(img, 8, y1-30, "ms (log)", ink, 2)
}

func drawSeries(img *image.RGBA, phases []*phase, s series, px func(float64) int, py func(float64) int) {
	pts := make([]image.Point, 0, len(phases))
	for _, p := range sortedByRate(phases) {
		if v := s.value(p); v > 0 {
			pts = append(pts, image.Pt(px(p.Rate), py(v)))
		}
	}
	for i, pt := range pts {
		fill(img, pt.X-4, pt.Y-4, 9, 9, s.color)
		if i > 0 {
			line(img, pts[i-1], pt, s.color)
		}
	}
}

func sortedByRate(phases []*phase) []*phase {
	out := append([]*phase(nil), phases...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Rate < out[i].Rate {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// line draws a three-pixel-wide straight line from a to b.
func line(img *image.RGBA, a, b image.Point, c color.Color) {
	n := max(abs(b.X-a.X), abs(b.Y-a.Y), 1)
	for i := 0; i <= n; i++ {
		x := a.X + (b.X-a.X)*i/n
		y := a.Y + (b.Y-a.Y)*i/n
		fill(img, x-1, y-1, 3, 3, c)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
