package service

import "runtime/debug"

// gcPercent is the garbage collector's target unless GOGC says otherwise.
// Go's default of 100 collects whenever the heap doubles; a program here
// keeps a live heap of a few MiB, so at load it collected many times a
// second and spent about a tenth of its CPU on it (measured with pprof under
// make bench). At 400 the heap may grow to five times the live data before
// a collection: still a few tens of MiB.
const gcPercent = 400

// tuneGC sets gcPercent unless the operator chose with GOGC.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
