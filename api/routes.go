package api

import (
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/tracing"
)

// routes returns the API: every route, wrapped in the middleware, in the
// order set here. This function is the API's whole surface.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()

	mux.Handle("POST /api/v1/customers", s.handle(s.handleCustomerCreate))
	mux.Handle("GET /api/v1/customers", s.handle(s.handleCustomerList))
	mux.Handle("GET /api/v1/customers/{customerId}", s.handle(s.handleCustomerGet))
	mux.Handle("PATCH /api/v1/customers/{customerId}", s.handle(s.handleCustomerUpdate))
	mux.Handle("DELETE /api/v1/customers/{customerId}", s.handle(s.handleCustomerDelete))

	mux.Handle("POST /api/v1/customers/{customerId}/endpoints", s.handle(s.handleEndpointCreate))
	mux.Handle("GET /api/v1/customers/{customerId}/endpoints", s.handle(s.handleEndpointList))
	mux.Handle("GET /api/v1/customers/{customerId}/endpoints/{endpointId}", s.handle(s.handleEndpointGet))
	mux.Handle("PATCH /api/v1/customers/{customerId}/endpoints/{endpointId}", s.handle(s.handleEndpointUpdate))
	mux.Handle("DELETE /api/v1/customers/{customerId}/endpoints/{endpointId}", s.handle(s.handleEndpointDelete))
	mux.Handle("POST /api/v1/customers/{customerId}/endpoints/{endpointId}/check", s.handle(s.handleEndpointCheck))

	mux.Handle("GET /api/v1/event-types", s.handle(s.handleEventTypeList))
	mux.Handle("POST /api/v1/customers/{customerId}/events", s.handle(s.handleEventPublish))
	mux.Handle("GET /api/v1/events/{eventId}", s.handle(s.handleEventGet))

	mux.Handle("GET /api/v1/customers/{customerId}/deliveries", s.handle(s.handleDeliveryList))
	mux.Handle("GET /api/v1/deliveries/{deliveryId}", s.handle(s.handleDeliveryGet))
	mux.Handle("POST /api/v1/deliveries/{deliveryId}/retry", s.handle(s.handleDeliveryRetry))

	// Retry policies per customer and event type (api/retrypolicy.go).
	mux.Handle("GET /api/v1/customers/{customerId}/retry-policies", s.handle(s.handleRetryPolicyList))
	mux.Handle("PUT /api/v1/customers/{customerId}/retry-policies/{eventType}", s.handle(s.handleRetryPolicySet))
	mux.Handle("GET /api/v1/customers/{customerId}/retry-policies/{eventType}", s.handle(s.handleRetryPolicyGet))
	mux.Handle("DELETE /api/v1/customers/{customerId}/retry-policies/{eventType}", s.handle(s.handleRetryPolicyDelete))

	// Herald's recovery tools (api/recovery*.go): endpoint health and
	// operator events need Config.Health, the not-delivered view and
	// replay jobs Config.Replays. Without them the routes are not
	// registered, and answer 404 like any unknown path.
	if s.cfg.Health != nil {
		mux.Handle("GET /api/v1/customers/{customerId}/endpoint-health", s.handle(s.handleEndpointHealthList))
		mux.Handle("GET /api/v1/customers/{customerId}/endpoints/{endpointId}/health", s.handle(s.handleEndpointHealthGet))
		mux.Handle("GET /api/v1/operator-events", s.handle(s.handleOperatorEventList))
	}
	if s.cfg.Replays != nil {
		mux.Handle("GET /api/v1/customers/{customerId}/not-delivered", s.handle(s.handleNotDelivered))
		mux.Handle("POST /api/v1/customers/{customerId}/replay-jobs", s.handle(s.handleReplayJobCreate))
		mux.Handle("GET /api/v1/customers/{customerId}/replay-jobs", s.handle(s.handleReplayJobList))
		mux.Handle("GET /api/v1/replay-jobs/{jobId}", s.handle(s.handleReplayJobGet))
	}
	if s.cfg.Health != nil && s.cfg.Replays != nil {
		mux.Handle("GET /api/v1/customers/{customerId}/endpoints/{endpointId}/missed", s.handle(s.handleEndpointMissed))
	}

	// Everything else: a JSON 404, or 405 when another method would match.
	mux.Handle(noRoutePattern, s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return noRoute(mux, w, r)
	}))

	// Outermost first. The request id comes first so every later log line
	// carries it; the request log sits outside recover so it records the
	// 500 a panic becomes; authentication runs before routing, so a caller
	// without the token learns nothing about which paths exist.
	// tracing.Route reports the matched route to the server span (see
	// tracing.Handler: this mux's match is invisible from outside).
	return requestID(s.logRequests(s.recoverPanic(s.authenticate(tracing.Route(mux)))))
}

// noRoutePattern catches every request no route matches.
const noRoutePattern = "/"

// methods are those the API uses, for the Allow header of a 405.
var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// noRoute answers a request that no route matched. The catch-all pattern
// also swallows the 405s that ServeMux would write itself, so it asks the
// mux which other methods the path has.
func noRoute(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range methods {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := mux.Handler(probe); pattern != noRoutePattern && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return herald.Errorf(herald.ENOTFOUND, "no such API route: %s %s", r.Method, r.URL.Path)
	}
	list := strings.Join(allow, ", ")
	w.Header().Set("Allow", list)
	return herald.Errorf(ErrorCodeMethodNotAllowed, "%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, list)
}
