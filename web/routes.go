package web

import (
	"io/fs"
	"net/http"

	"github.com/heraldhq/herald/tracing"
)

// routes returns the UI and the portal: every route, wrapped in the
// middleware, in the order set here. This function is the whole surface.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", cacheStatic(http.FileServerFS(static))))

	// Signed out.
	mux.Handle("GET /ui/login", s.handle(s.handleLoginPage))
	mux.Handle("POST /ui/login", s.handle(s.handleLogin))
	mux.Handle("POST /ui/login/operator", s.handle(s.handleOperatorLogin))
	mux.Handle("POST /ui/logout", s.requireSession(s.handleLogout))

	// Signed in. Every handler below checks that the session may see the
	// path's customer (authorize), or is an operator's (requireOperator).
	mux.Handle("GET /ui/", s.requireSession(s.handleHome))
	mux.Handle("GET /ui/customers", s.requireSession(s.handleCustomerList))
	mux.Handle("POST /ui/customers", s.requireSession(s.handleCustomerCreate))
	mux.Handle("GET /ui/operator", s.requireSession(s.handleOperator))
	mux.Handle("GET /ui/event-types", s.requireSession(s.handleEventTypes))
	mux.Handle("GET /ui/customers/{customerId}", s.requireSession(s.handleNotifications))
	mux.Handle("POST /ui/customers/{customerId}/rename", s.requireSession(s.handleCustomerRename))
	mux.Handle("GET /ui/customers/{customerId}/delete", s.requireSession(s.handleCustomerDeleteConfirm))
	mux.Handle("POST /ui/customers/{customerId}/delete", s.requireSession(s.handleCustomerDelete))
	mux.Handle("GET /ui/customers/{customerId}/endpoints/new", s.requireSession(s.handleEndpointNew))
	mux.Handle("POST /ui/customers/{customerId}/endpoints", s.requireSession(s.handleEndpointSave))
	mux.Handle("GET /ui/customers/{customerId}/endpoints/{endpointId}/edit", s.requireSession(s.handleEndpointEdit))
	mux.Handle("POST /ui/customers/{customerId}/endpoints/{endpointId}", s.requireSession(s.handleEndpointSave))
	mux.Handle("GET /ui/customers/{customerId}/endpoints/{endpointId}/delete", s.requireSession(s.handleEndpointDeleteConfirm))
	mux.Handle("POST /ui/customers/{customerId}/endpoints/{endpointId}/delete", s.requireSession(s.handleEndpointDelete))
	// The endpoint page and its own actions (endpointpage.go).
	mux.Handle("GET /ui/customers/{customerId}/endpoints/{endpointId}", s.requireSession(s.handleEndpointPage))
	mux.Handle("POST /ui/customers/{customerId}/endpoints/{endpointId}/pause", s.requireSession(s.handleEndpointPause))
	mux.Handle("POST /ui/customers/{customerId}/endpoints/{endpointId}/resume", s.requireSession(s.handleEndpointPause))
	mux.Handle("POST /ui/customers/{customerId}/endpoints/{endpointId}/controls", s.requireSession(s.handleEndpointControls))
	mux.Handle("POST /ui/customers/{customerId}/endpoints/{endpointId}/rotate-secret", s.requireSession(s.handleEndpointRotate))
	mux.Handle("POST /ui/customers/{customerId}/endpoints/{endpointId}/test-events", s.requireSession(s.handleEndpointTestEvent))
	mux.Handle("GET /ui/customers/{customerId}/endpoints/{endpointId}/replay-missed", s.requireSession(s.handleEndpointReplayConfirm))
	mux.Handle("POST /ui/customers/{customerId}/endpoints/{endpointId}/replay-missed", s.requireSession(s.handleEndpointReplayMissed))
	mux.Handle("GET /ui/customers/{customerId}/endpoints/{endpointId}/check", s.requireSession(s.handleEndpointCheck))
	mux.Handle("POST /ui/customers/{customerId}/endpoints/{endpointId}/check", s.requireSession(s.handleEndpointCheck))
	mux.Handle("POST /ui/customers/{customerId}/test-events", s.requireSession(s.handleTestEvent))
	mux.Handle("GET /ui/customers/{customerId}/deliveries", s.requireSession(s.handleDeliveryList))
	mux.Handle("GET /ui/customers/{customerId}/deliveries/{deliveryId}", s.requireSession(s.handleDeliveryGet))
	mux.Handle("POST /ui/customers/{customerId}/deliveries/{deliveryId}/retry", s.requireSession(s.handleDeliveryRetry))
	mux.Handle("POST /ui/customers/{customerId}/replays", s.requireSession(s.handleReplayCreate))
	mux.Handle("GET /ui/customers/{customerId}/replays", s.requireSession(s.handleReplayList))
	mux.Handle("GET /ui/customers/{customerId}/replays/{replayId}", s.requireSession(s.handleReplayGet))
	mux.Handle("GET /ui/customers/{customerId}/replays/{replayId}/progress", s.requireSession(s.handleReplayProgress))
	mux.Handle("GET /ui/customers/{customerId}/users", s.requireSession(s.handleUserList))
	mux.Handle("POST /ui/customers/{customerId}/users", s.requireSession(s.handleUserCreate))
	mux.Handle("POST /ui/customers/{customerId}/users/{userId}/delete", s.requireSession(s.handleUserDelete))
	mux.Handle("POST /ui/customers/{customerId}/users/{userId}/password", s.requireSession(s.handleUserPasswordReset))
	mux.Handle("GET /ui/account", s.requireSession(s.handleAccount))
	mux.Handle("POST /ui/account/password", s.requireSession(s.handlePasswordChange))
	mux.Handle("GET /ui/customers/{customerId}/jobs", s.requireSession(s.handleJobFind))
	mux.Handle("GET /ui/customers/{customerId}/jobs/{jobId}", s.requireSession(s.handleRecruiter))
	mux.Handle("POST /ui/customers/{customerId}/jobs/{jobId}", s.requireSession(s.handleJobSave))
	mux.Handle("POST /ui/customers/{customerId}/jobs/{jobId}/applicants/{workflowId}/status", s.requireSession(s.handleStatusChange))

	// The portal: public pages of the customer's career site, for
	// candidates and new hires (no sign-in; see portal.go). The onboarding
	// pages need the signed link's token or its cookie (portallink.go).
	mux.Handle("GET /portal/{customerId}/jobs", s.handle(s.handlePortalJobs))
	mux.Handle("GET /portal/{customerId}/jobs/{jobId}/{slug}", s.handle(s.handlePortalJob))
	mux.Handle("POST /portal/{customerId}/jobs/{jobId}/{slug}/apply", s.handle(s.limitPortal(s.handlePortalApply)))
	mux.Handle("GET /portal/{customerId}/jobs/{jobId}/{slug}/assessment", s.handle(s.handlePortalThanks))
	mux.Handle("GET /portal/{customerId}/onboard/{workflowId}", s.handle(s.handlePortalOnboard))
	mux.Handle("POST /portal/{customerId}/onboard/{workflowId}/tasks/{taskId}/start", s.handle(s.limitPortal(s.handlePortalTaskStart)))
	mux.Handle("GET /portal/{customerId}/onboard/{workflowId}/tasks/{taskId}", s.handle(s.handlePortalTaskReturn))

	// Outermost first: recover catches everything; headers go on every
	// reply; cross-origin posts are refused before a body is read; the
	// body limit applies before any form is parsed; the session is loaded
	// for every route, so even the error pages know who is signed in.
	// tracing.Route reports the matched route to the server span (see
	// tracing.Handler: this mux's match is invisible from outside).
	return s.recoverPanic(securityHeaders(s.crossOrigin(s.limitBody(s.loadSession(tracing.Route(mux))))))
}

// cacheStatic lets browsers keep the embedded assets for an hour; they
// change only with a new binary.
func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}
