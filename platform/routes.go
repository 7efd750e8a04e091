package platform

import (
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/tracing"
)

// route is one route of the platform API and who may call it.
type route struct {
	method, pattern string
	access          access
	h               handlerFunc
}

// resourceRoutes are the /customers/{customerId}/... routes: the resources
// the event links point to, the partners' write-backs, and the platform's
// own creates and actions. This table is the API's surface; the tenant
// isolation test walks every entry.
func (s *Server) resourceRoutes() []route {
	const c = "/customers/{customerId}"
	return []route{
		// Resources, readable by the customer's partners (event links).
		{"GET", c + "/people/{id}", accessPartner, s.handlePersonGet},
		{"GET", c + "/jobs/{id}", accessPartner, s.handleJobGet},
		{"GET", c + "/applicantworkflows/{id}", accessPartner, s.handleApplicantWorkflowGet},
		{"GET", c + "/onboardworkflows/{id}", accessPartner, s.handleOnboardWorkflowGet},
		{"GET", c + "/careerportals/{id}", accessPartner, s.handlePortalGet},

		// Partner write-backs (spec section 8).
		{"POST", c + "/applicantworkflows/{id}/fields/assessmentresults", accessPartner, s.handleAssessmentResultCreate},
		{"GET", c + "/applicantworkflows/{id}/fields/assessmentresults/{resultId}", accessPartner, s.handleAssessmentResultGet},
		{"PATCH", c + "/applicantworkflows/{id}/fields/assessmentresults/{resultId}", accessPartner, s.handleAssessmentResultUpdate},
		{"PATCH", c + "/jobboardposts", accessPartner, s.handleJobBoardPostsUpdate},

		// The platform's own records (no event).
		{"POST", c + "/people", accessAdmin, s.handlePersonCreate},
		{"PATCH", c + "/people/{id}", accessAdmin, s.handlePersonUpdate},
		{"POST", c + "/careerportals", accessAdmin, s.handlePortalCreate},
		{"POST", c + "/jobs", accessAdmin, s.handleJobCreate},
		{"PATCH", c + "/jobs/{id}", accessAdmin, s.handleJobUpdate},
		{"POST", c + "/onboardworkflows", accessAdmin, s.handleOnboardWorkflowCreate},

		// Actions: each commits its change with its event.
		{"POST", c + "/applicantworkflows", accessAdmin, s.handleApplicationComplete},                      // AssessmentEvent
		{"PATCH", c + "/applicantworkflows/{id}", accessAdmin, s.handleWorkflowStatusChange},               // WorkFlowStatusChangeEvent
		{"POST", c + "/jobs/{id}/post", accessAdmin, s.handleJobPost},                                      // JobPostToWebEvent
		{"POST", c + "/jobs/{id}/edit", accessAdmin, s.handleJobEdit},                                      // ViewJobWebPostEvent
		{"POST", c + "/jobs/{id}/unpost", accessAdmin, s.handleJobUnpost},                                  // JobUnpostToWebEvent
		{"POST", c + "/onboardworkflows/{id}/tasks/{taskId}/start", accessAdmin, s.handleOnboardTaskStart}, // OnboardPortalTaskEvent
		{"POST", c + "/people/{id}/remotelogin", accessAdmin, s.handleRemoteLogin},                         // RemoteLoginEvent
	}
}

// managementRoutes issue and revoke partner credentials (admin token only).
func (s *Server) managementRoutes() []route {
	const p = "/api/v1/customers/{customerId}/partners"
	return []route{
		{"POST", p, accessAdmin, s.handlePartnerCreate},
		{"GET", p, accessAdmin, s.handlePartnerList},
		{"GET", p + "/{partnerId}", accessAdmin, s.handlePartnerGet},
		{"DELETE", p + "/{partnerId}", accessAdmin, s.handlePartnerDelete},
	}
}

// routes returns the platform API with every route registered.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.resourceRoutes() {
		mux.Handle(rt.method+" "+rt.pattern, s.resource(rt.access, rt.h))
	}
	for _, rt := range s.managementRoutes() {
		mux.Handle(rt.method+" "+rt.pattern, s.management(rt.h))
	}
	mux.HandleFunc("/oauth/token", s.handleOAuthToken)

	// Anything else: 404 (or 405) in the form of the tree asked for,
	// after authentication, so an anonymous caller learns nothing about
	// which paths exist.
	mux.Handle("/customers/", s.resource(accessAny, func(w http.ResponseWriter, r *http.Request) error {
		return noRoute(mux, w, r)
	}))
	mux.Handle("/api/", s.management(func(w http.ResponseWriter, r *http.Request) error {
		return noRoute(mux, w, r)
	}))
	// tracing.Route reports the matched route to the server span (see
	// tracing.Handler: this mux's match is invisible from outside).
	return tracing.Route(mux)
}

// noRoute answers a request no route matched: 405 if another method has
// the path, else 404.
func noRoute(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/customers/" && pattern != "/api/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return herald.Errorf(herald.ENOTFOUND, "Not found.")
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	return herald.Errorf(codeMethodNotAllowed, "%s is not allowed here; allowed: %s", r.Method, strings.Join(allow, ", "))
}
