package service

import "runtime/debug"

// gcPercent is the garbage collector's target unless GOGC says otherwise.
// Go's default of 100 collects whenever the heap doubles; a program here
// keeps a live heap of a few MiB, so at load it collected many times a
// second and spent about a tenth of its CPU on it (measured with pprof under
// make bench). At 400 the heap may grow to five times the live data before
// a collection.
const gcPercent = 400

// memoryLimit is the soft limit on the Go heap unless GOMEMLIMIT says
// otherwise. Five times the live heap is a few tens of MiB in normal
// running, but an overloaded frontend holds hundreds of requests at once
// (measured: 164 MiB RSS at 1,000 checkouts/s against a shop that does
// 300): near the limit the collector runs as often as it must, whatever
// gcPercent says, which keeps each program under 100 MiB.
const memoryLimit = 64 << 20

// tuneGC sets gcPercent and memoryLimit unless the operator chose with
// GOGC and GOMEMLIMIT.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
