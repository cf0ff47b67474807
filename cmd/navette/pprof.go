//go:build pprof

package main

import (
	"net/http"
	"os"
	"runtime/pprof"
)

// Built with -tags pprof (as "go run ./internal/bench -profile DIR" builds
// it), the server listens on NAVETTE_PPROF (host:port) for the benchmark:
// POST /start?file=PATH starts a CPU profile into PATH, POST /stop ends it; GET /goroutine
// lists the goroutines.
func init() {
	addr := os.Getenv("NAVETTE_PPROF")
	if addr == "" {
		return
	}
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
	go http.ListenAndServe(addr, mux)
}
