//go:build pprof

package main

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
)

// Built with -tags pprof (as "go run ./internal/bench -profile DIR" builds
// it), the server listens on NAVETTE_PPROF (host:port) for the benchmark:
// POST /start?file=PATH starts a CPU profile into PATH, POST /stop ends it; GET /goroutine
// lists the goroutines; GET /lookup?name=block (or mutex, heap…) writes that
// profile, the block and mutex ones being recorded from the start, in text
// with debug=1 (the heap's then ends with runtime.MemStats); GET
// /sched writes the histogram of how long goroutines waited to run
// (/sched/latencies:seconds), one "upper-bound-seconds count" a line.
func init() {
	addr := os.Getenv("NAVETTE_PPROF")
	if addr == "" {
		return
	}
	runtime.SetBlockProfileRate(100_000)
	runtime.SetMutexProfileFraction(10)
	mux := http.NewServeMux()
	var f *os.File
	mux.HandleFunc("POST /start", func(w http.ResponseWriter, r *http.Request) {
		var err error
		if f, err = os.Create(r.URL.Query().Get("file")); err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("POST /stop", func(w http.ResponseWriter, r *http.Request) {
		pprof.StopCPUProfile()
		if f != nil {
			f.Close()
		}
	})
	mux.HandleFunc("GET /goroutine", func(w http.ResponseWriter, r *http.Request) {
		pprof.Lookup("goroutine").WriteTo(w, 1)
	})
	mux.HandleFunc("GET /lookup", func(w http.ResponseWriter, r *http.Request) {
		p := pprof.Lookup(r.URL.Query().Get("name"))
		if p == nil {
			http.NotFound(w, r)
			return
		}
		debug, _ := strconv.Atoi(r.URL.Query().Get("debug"))
		p.WriteTo(w, debug)
	})
	mux.HandleFunc("GET /sched", func(w http.ResponseWriter, r *http.Request) {
		m := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
		metrics.Read(m)
		h := m[0].Value.Float64Histogram()
		for i, c := range h.Counts {
			fmt.Fprintf(w, "%g %d\n", h.Buckets[i+1], c)
		}
	})
	go http.ListenAndServe(addr, mux)
}
