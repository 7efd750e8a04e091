// Package openapi serves the OpenAPI 3 document of Herald's management API
// (/api/v1/...) and talent platform API (/customers/{customerId}/...,
// /oauth/token). The document, openapi.json, is written by hand and checked
// in so a change to the API shows up in review; the package's tests fail
// when a route is missing from it or a reply does not match it.
package openapi

import (
	_ "embed"
	"net/http"
)

//go:embed openapi.json
var document []byte

// Document returns the OpenAPI document as JSON. The caller must not
// modify it.
func Document() []byte { return document }

// Handler serves the document. It needs no authentication: it describes
// the API and holds no data.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "public, max-age=300")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(document)
	})
}
