package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"bookshop/frontend"
)

// heartbeatEvery is how often an idle stream sends a comment, so that
// proxies and browsers keep it open.
const heartbeatEvery = 15 * time.Second

// render turns an order into one server-sent event's name and data.
type render func(o frontend.Order) (event string, data []byte, err error)

// orderEvents streams the order as JSON (event `order`, data as GET
// /api/orders/{id}) each time it changes, then `end` once it is final.
func (a *api) orderEvents(w http.ResponseWriter, r *http.Request) {
	a.stream(w, r, func(o frontend.Order) (string, []byte, error) {
		b, err := json.Marshal(newOrderJSON(o))
		return "order", b, err
	})
}

// orderPageLive streams the live part of the order page as HTML (event
// `live`), rendered by the same template as the page, so the page's
// JavaScript only swaps it in.
func (a *api) orderPageLive(w http.ResponseWriter, r *http.Request) {
	a.stream(w, r, func(o frontend.Order) (string, []byte, error) {
		var buf bytes.Buffer
		err := a.pages.tmpl.ExecuteTemplate(&buf, "live", newLiveView(o))
		return "live", buf.Bytes(), err
	})
}

// stream sends the order now and again whenever its rendering changes,
// until the order is final, the client leaves or the program shuts down
// (the browser's EventSource then reconnects by itself).
func (a *api) stream(w http.ResponseWriter, r *http.Request, render render) {
	o, ok := a.loadOrder(w, r)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	s := &streamer{w: w, rc: http.NewResponseController(w), render: render}
	ticker := time.NewTicker(a.poll)
	defer ticker.Stop()
	for {
		if done, err := s.send(o); done || err != nil {
			if err != nil {
				a.log.Warn("live order stream ends", "order_id", o.ID, "err", err)
			}
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-a.live.Done():
			return
		case <-ticker.C:
			s.idle += a.poll
		}
		next, err := a.shop.Order(r.Context(), o.ID)
		if err != nil {
			a.log.Warn("reload live order", "order_id", o.ID, "err", err)
			continue
		}
		o = next
	}
}

// streamer writes one stream's events: a new one only when the rendering
// changed, a heartbeat comment when idle, `end` once the order is final.
type streamer struct {
	w      http.ResponseWriter
	rc     *http.ResponseController
	render render
	last   []byte
	idle   time.Duration
}

func (s *streamer) send(o frontend.Order) (done bool, err error) {
	event, data, err := s.render(o)
	if err != nil {
		return true, fmt.Errorf("render order %s: %w", o.ID, err)
	}
	switch {
	case !bytes.Equal(data, s.last):
		writeEvent(s.w, event, data)
		s.last, s.idle = data, 0
	case s.idle >= heartbeatEvery:
		fmt.Fprint(s.w, ": still here\n\n")
		s.idle = 0
	}
	final := frontend.IsFinal(o.Status)
	if final {
		writeEvent(s.w, "end", []byte(`{"status":"`+o.Status+`"}`))
	}
	if err := s.rc.Flush(); err != nil {
		return true, nil // the client went away
	}
	return final, nil
}

// writeEvent writes one server-sent event; each line of data is a data field.
func writeEvent(w http.ResponseWriter, event string, data []byte) {
	var b strings.Builder
	b.WriteString("event: " + event + "\n")
	for _, line := range strings.Split(string(data), "\n") {
		b.WriteString("data: " + strings.TrimSuffix(line, "\r") + "\n")
	}
	b.WriteString("\n")
	_, _ = w.Write([]byte(b.String())) // a failed write shows at the next Flush
}
