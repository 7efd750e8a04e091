package main

import (
	"io"
	"net/http"

	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/openapi"
	"github.com/heraldhq/herald/platform"
	"github.com/heraldhq/herald/web"
)

// routes mounts a node's whole HTTP surface: each component's routes (in
// its own package's routes.go) under its prefix, and the node's own probes
// and metrics. This function is the node's map of paths.
func (n *node) routes(apiServer *api.Server, platformServer *platform.Server, webServer *web.Server) *http.ServeMux {
	mux := http.NewServeMux()
	// The management API (api/routes.go).
	mux.Handle("/api/", apiServer)
	// The API's description; the exact pattern wins over "/api/".
	mux.Handle("GET /api/openapi.json", openapi.Handler())
	// The talent platform's REST resources and actions (platform/routes.go).
	platformServer.Register(mux)
	// The web UI and the portal pages (web/routes.go): /ui/ and /portal/.
	webServer.Register(mux)

	// Counts only, no secrets or customer data: no token, so any scraper
	// on the network the operator exposes it to can read it.
	mux.Handle("GET /metrics", n.metrics.Handler())
	// Liveness: the process serves HTTP.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	// Readiness: the node has opened its store and started its engine,
	// whose dispatcher takes the deliveries of this node's publishes
	// (before it runs, they wait in the store for a claim).
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !n.ready.Load() || !n.dispatcher.Running() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "not ready\n")
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	return mux
}
