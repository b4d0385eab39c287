//go:build pprof

package main

import (
	"net/http"
	_ "net/http/pprof" // profiling build only
	"os"
)

// A build with -tags pprof serves net/http/pprof on LIVESELL_PPROF_ADDR (a
// loopback address such as 127.0.0.1:6060), for profiling the media plane
// under `livesell bench media` (docs/benchmarks.md). Release builds do not
// contain it.
func init() {
	if addr := os.Getenv("LIVESELL_PPROF_ADDR"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
