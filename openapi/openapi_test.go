package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/conformance"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/openapi"
	"github.com/heraldhq/herald/platform"
	"github.com/heraldhq/herald/sqlite"
)

// loadDoc parses and validates the document as OpenAPI 3.
func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.Document())
	if err != nil {
		t.Fatalf("parse openapi.json: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	return doc
}

// documented returns "METHOD /path" of every operation in doc.
func documented(doc *openapi3.T) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// apiRoutePatterns reads the patterns package api registers: every
// mux.Handle call with a literal pattern in its source. api builds its
// ServeMux inside Server.routes and offers no way to list it, and a copy
// of the list would be a second list to forget; its source is the list.
func apiRoutePatterns(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join("..", "api", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			if recv, ok := sel.X.(*ast.Ident); !ok || recv.Name != "mux" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true // noRoutePattern, the catch-all
			}
			p, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
			}
			if !strings.Contains(p, " ") {
				t.Fatalf("%s: pattern %q has no method; document it and teach this test", fset.Position(lit.Pos()), p)
			}
			out = append(out, p)
			return true
		})
	}
	if len(out) < 20 {
		t.Fatalf("found only %d api routes; has routes.go changed shape?", len(out))
	}
	return out
}

// TestEveryRouteIsDocumented fails when a route is added without
// documenting it, or when the document lists a route that does not exist.
func TestEveryRouteIsDocumented(t *testing.T) {
	doc := loadDoc(t)
	routes := append(apiRoutePatterns(t), platform.RoutePatterns()...)
	routes = append(routes, "GET /api/openapi.json") // this package's own
	have := map[string]bool{}
	for _, r := range documented(doc) {
		have[r] = true
	}
	served := map[string]bool{}
	for _, r := range routes {
		if served[r] {
			t.Errorf("route %s is registered twice", r)
		}
		served[r] = true
		if !have[r] {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for r := range have {
		if !served[r] {
			t.Errorf("openapi.json lists %s, which no server registers", r)
		}
	}
}

func TestHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	openapi.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/openapi.json", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var v map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v["openapi"] == nil {
		t.Fatalf("body is not the document: %v", err)
	}
}

const adminToken = "openapi-test-admin-token-0123456789"

// node is a Herald wired as cmd/herald/server.go wires one, with the
// document mounted as the one line there does.
type node struct {
	t       *testing.T
	doc     *openapi3.T
	base    string
	client  *http.Client
	covered map[string]bool
}

func startNode(t *testing.T) *node {
	t.Helper()
	ctx := t.Context()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "herald.db"), Logger: log})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	client := dispatch.NewHTTPClient(dispatch.ClientConfig{
		Policy:  dispatch.DestinationPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		Timeout: 5 * time.Second,
	})
	d, err := dispatch.New(dispatch.Config{Store: st, RetryPolicies: st, Logger: log, Client: client, NodeID: "openapi-test",
		RequestTimeout: 5 * time.Second, LeaseDuration: 30 * time.Second, ShutdownTimeout: time.Second})
	if err != nil {
		t.Fatalf("dispatcher: %v", err)
	}
	pub := dispatch.NewPublisher(dispatch.PublisherConfig{Store: st, WakeFunc: d.Wake, Writers: 1})
	t.Cleanup(pub.Close)
	checker, err := conformance.New(conformance.Config{Client: client, PublicURL: base, Deadline: 5 * time.Second})
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	apiServer, err := api.NewServer(api.Config{Store: st, Publisher: pub, AdminToken: herald.Secret(adminToken),
		PublicURL: base, Logger: log, WakeFunc: d.Wake, Deliverer: d, InteractiveDeadline: 5 * time.Second, Checker: checker,
		Health: st, Replays: st, Retention: st, RetryPolicies: st})
	if err != nil {
		t.Fatalf("api: %v", err)
	}
	ps, err := platform.NewServer(platform.Config{Store: st, AdminToken: herald.Secret(adminToken), PublicURL: base,
		Deliverer: d, WakeFunc: d.Wake, Logger: log, InteractiveDeadline: 5 * time.Second})
	if err != nil {
		t.Fatalf("platform: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", apiServer)
	mux.Handle("GET /api/openapi.json", openapi.Handler())
	ps.Register(mux)
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)

	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { _ = d.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	return &node{t: t, doc: loadDoc(t), base: base, client: srv.Client(), covered: map[string]bool{}}
}

type authFunc func(*http.Request)

func admin(r *http.Request)   { r.Header.Set("Authorization", "Bearer "+adminToken) }
func anonymous(*http.Request) {}
func basic(id, secret string) authFunc {
	return func(r *http.Request) { r.SetBasicAuth(id, secret) }
}
func bearer(tok string) authFunc {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// call makes a request to tmpl (a documented path, its {params} filled
// from args in order), checks the status, validates the reply against the
// operation's response for that status, and returns the decoded body.
func (n *node) call(method, tmpl string, args []string, auth authFunc, body string, want int) map[string]any {
	return n.callType(method, tmpl, args, auth, "application/json", body, want)
}

func (n *node) callType(method, tmpl string, args []string, auth authFunc, ctype, body string, want int) map[string]any {
	t := n.t
	t.Helper()
	path, query, _ := strings.Cut(tmpl, "?")
	item := n.doc.Paths.Value(path)
	if item == nil {
		t.Fatalf("%s is not in the document", path)
	}
	op := item.GetOperation(method)
	if op == nil {
		t.Fatalf("%s %s is not in the document", method, path)
	}
	params := map[string]string{}
	real := path
	for _, a := range args {
		i, j := strings.Index(real, "{"), strings.Index(real, "}")
		params[real[i+1:j]] = a
		real = real[:i] + url.PathEscape(a) + real[j+1:]
	}
	if query != "" {
		real += "?" + query
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, n.base+real, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", ctype)
	}
	auth(req)
	resp, err := n.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, real, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, real, resp.StatusCode, want, raw)
	}
	n.covered[method+" "+path] = true
	if op.Responses.Status(resp.StatusCode) == nil {
		t.Errorf("%s %s: status %d is not documented (only by default)", method, path, resp.StatusCode)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      &routers.Route{Spec: n.doc, Path: path, PathItem: item, Method: method, Operation: op},
		},
		Status: resp.StatusCode,
		Header: resp.Header,
		Body:   io.NopCloser(bytes.NewReader(raw)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	if err := openapi3filter.ValidateResponse(t.Context(), in); err != nil {
		t.Errorf("%s %s: reply %d does not match the document: %v\nbody: %s", method, real, resp.StatusCode, err, raw)
	}
	var out map[string]any
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %v", method, real, err)
		}
	}
	return out
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// TestResponsesMatchTheDocument exercises every documented operation on
// a real node and validates each reply against the document.
func TestResponsesMatchTheDocument(t *testing.T) {
	n := startNode(t)

	// A partner: 200 to every event, 303 to the interactive ones.
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Query().Get("mode") == "interactive" {
			w.Header().Set("Location", "https://partner.example.com/next")
			w.WriteHeader(http.StatusSeeOther)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(partner.Close)

	const cid = "6269"
	V := "/api/v1"
	n.call("GET", "/api/openapi.json", nil, anonymous, "", 200)

	// Customers.
	n.call("POST", V+"/customers", nil, admin, `{"id":"6269","name":"Acme"}`, 201)
	n.call("POST", V+"/customers", nil, admin, `{"id":"6269","name":"Acme"}`, 409)
	n.call("POST", V+"/customers", nil, admin, `{"id":"bad id!"}`, 400)
	n.call("POST", V+"/customers", nil, anonymous, `{"id":"x"}`, 401)
	n.call("GET", V+"/customers", nil, admin, "", 200)
	n.call("GET", V+"/customers/{customerId}", []string{cid}, admin, "", 200)
	n.call("GET", V+"/customers/{customerId}", []string{"nobody"}, admin, "", 404)
	n.call("PATCH", V+"/customers/{customerId}", []string{cid}, admin, `{"retentionDays":7}`, 200)
	n.call("PATCH", V+"/customers/{customerId}", []string{cid}, admin, `{"name":"Acme Talent"}`, 200)
	n.call("PATCH", V+"/customers/{customerId}", []string{cid}, admin, `{}`, 400)
	n.call("POST", V+"/customers", nil, admin, `{"id":"gone","name":"Gone"}`, 201)
	n.call("DELETE", V+"/customers/{customerId}", []string{"gone"}, admin, "", 204)
	n.call("DELETE", V+"/customers/{customerId}", []string{"gone"}, admin, "", 404)

	// The event catalogue.
	n.call("GET", V+"/event-types", nil, admin, "", 200)
	n.call("GET", V+"/event-types?customerId=6269", nil, admin, "", 200)
	n.call("GET", V+"/event-types?customerId=nobody", nil, admin, "", 404)
	n.call("GET", V+"/event-types?what=1", nil, admin, "", 400)

	// Endpoints.
	ep := n.call("POST", V+"/customers/{customerId}/endpoints", []string{cid}, admin,
		`{"url":"`+partner.URL+`/hook","eventTypes":["WorkFlowStatusChangeEvent","JobUnpostToWebEvent"],"auth":{"type":"basic","username":"u","password":"p"}}`, 201)
	epID := str(ep, "id")
	iep := n.call("POST", V+"/customers/{customerId}/endpoints", []string{cid}, admin,
		`{"url":"`+partner.URL+`/hook?mode=interactive","eventTypes":["AssessmentEvent","JobPostToWebEvent","ViewJobWebPostEvent","OnboardPortalTaskEvent","RemoteLoginEvent"],"auth":{"type":"standard-webhooks","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},"maxConcurrency":4,"rateLimit":10,"circuitCooldown":"1m"}`, 201)
	n.call("POST", V+"/customers/{customerId}/endpoints", []string{cid}, admin, `{"url":"ftp://x","eventTypes":[],"auth":{"type":"none"}}`, 400)
	n.call("GET", V+"/customers/{customerId}/endpoints", []string{cid}, admin, "", 200)
	n.call("GET", V+"/customers/{customerId}/endpoints/{endpointId}", []string{cid, epID}, admin, "", 200)
	n.call("POST", V+"/customers/{customerId}/endpoints/{endpointId}/check", []string{cid, epID}, admin, "", 200)
	n.call("POST", V+"/customers/{customerId}/endpoints/{endpointId}/check", []string{cid, "end_nothing"}, admin, "", 404)
	n.call("PATCH", V+"/customers/{customerId}/endpoints/{endpointId}", []string{cid, str(iep, "id")}, admin,
		`{"auth":{"secret":"whsec_bmV3c2VjcmV0bmV3c2VjcmV0bmV3c2VjcmV0"},"rotationOverlap":"1h"}`, 200)
	tmp := n.call("POST", V+"/customers/{customerId}/endpoints", []string{cid}, admin,
		`{"url":"`+partner.URL+`/gone","eventTypes":["RemoteLoginEvent"],"auth":{"type":"none"},"enabled":false}`, 201)
	if str(tmp, "disabledBy") != "operator" || str(tmp, "disabledAt") == "" {
		t.Errorf("an endpoint created off: disabledBy %q, disabledAt %q; want operator and a time", str(tmp, "disabledBy"), str(tmp, "disabledAt"))
	}
	n.call("GET", V+"/customers/{customerId}/endpoints/{endpointId}", []string{cid, str(tmp, "id")}, admin, "", 200)
	n.call("DELETE", V+"/customers/{customerId}/endpoints/{endpointId}", []string{cid, str(tmp, "id")}, admin, "", 204)
	n.call("GET", V+"/customers/{customerId}/endpoints/{endpointId}", []string{cid, str(tmp, "id")}, admin, "", 404)

	// Events and deliveries.
	pubd := n.call("POST", V+"/customers/{customerId}/events", []string{cid}, admin,
		`{"eventType":"WorkFlowStatusChangeEvent","systemId":"13437","userId":"9059","personId":"9166","jobId":"4442","oldStatus":"1753","newStatus":"20786"}`, 202)
	n.call("POST", V+"/customers/{customerId}/events", []string{cid}, admin,
		`{"eventType":"RemoteLoginEvent","systemId":"1","userId":"9059","returnUrl":"https://example.com/back"}`, 200)
	n.call("POST", V+"/customers/{customerId}/events", []string{cid}, admin, `{"eventType":"NoSuchEvent"}`, 400)
	n.callType("POST", V+"/customers/{customerId}/events", []string{cid}, admin, "text/plain", `x`, 415)
	evID := str(pubd, "id")
	var delID string
	if ds, _ := pubd["deliveries"].([]any); len(ds) > 0 {
		delID = str(ds[0].(map[string]any), "id")
	} else {
		t.Fatal("the publish made no delivery")
	}
	// Let the dispatcher deliver it, so the event has an attempt.
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := n.call("GET", V+"/deliveries/{deliveryId}", []string{delID}, admin, "", 200)
		if str(d, "state") != "pending" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.call("GET", V+"/events/{eventId}", []string{evID}, admin, "", 200)
	n.call("GET", V+"/events/{eventId}", []string{"ev_nothing"}, admin, "", 404)
	n.call("GET", V+"/customers/{customerId}/deliveries?limit=1&state=delivered,pending", []string{cid}, admin, "", 200)
	n.call("GET", V+"/customers/{customerId}/deliveries?limit=0", []string{cid}, admin, "", 400)
	n.call("GET", V+"/customers/{customerId}/deliveries?eventId="+evID+"&systemId=13437&personId=9166", []string{cid}, admin, "", 200)
	n.call("GET", V+"/customers/{customerId}/deliveries?deliveryId="+delID, []string{cid}, admin, "", 200)
	n.call("POST", V+"/deliveries/{deliveryId}/retry", []string{delID}, admin, "", 202)

	// Recovery.
	n.call("GET", V+"/customers/{customerId}/endpoint-health", []string{cid}, admin, "", 200)
	n.call("GET", V+"/customers/{customerId}/endpoints/{endpointId}/health", []string{cid, epID}, admin, "", 200)
	n.call("GET", V+"/customers/{customerId}/endpoints/{endpointId}/missed?since=2020-01-01T00:00:00Z", []string{cid, epID}, admin, "", 200)
	n.call("GET", V+"/operator-events?customer=6269", nil, admin, "", 200)
	n.call("GET", V+"/customers/{customerId}/not-delivered", []string{cid}, admin, "", 200)
	job := n.call("POST", V+"/customers/{customerId}/replay-jobs", []string{cid}, admin, `{"states":["delivered"],"eventType":"WorkFlowStatusChangeEvent"}`, 201)
	n.call("GET", V+"/customers/{customerId}/replay-jobs", []string{cid}, admin, "", 200)
	n.call("GET", V+"/replay-jobs/{jobId}", []string{str(job, "id")}, admin, "", 200)

	// Retry policies.
	n.call("PUT", V+"/customers/{customerId}/retry-policies/{eventType}", []string{cid, "default"}, admin,
		`{"schedule":["10s","1m"],"maxAttempts":4,"maxWindow":"48h","permanentStatuses":[400,422]}`, 200)
	n.call("PUT", V+"/customers/{customerId}/retry-policies/{eventType}", []string{cid, "AssessmentEvent"}, admin, `{}`, 200)
	n.call("PUT", V+"/customers/{customerId}/retry-policies/{eventType}", []string{cid, "default"}, admin, `{"schedule":["forever"]}`, 400)
	n.call("GET", V+"/customers/{customerId}/retry-policies", []string{cid}, admin, "", 200)
	n.call("GET", V+"/customers/{customerId}/retry-policies/{eventType}", []string{cid, "default"}, admin, "", 200)
	n.call("DELETE", V+"/customers/{customerId}/retry-policies/{eventType}", []string{cid, "AssessmentEvent"}, admin, "", 204)

	// Partners and their tokens.
	p := n.call("POST", V+"/customers/{customerId}/partners", []string{cid}, admin, `{"name":"Assessments Inc"}`, 201)
	pid, clientID, secret := str(p, "id"), str(p, "clientId"), str(p, "clientSecret")
	n.call("POST", V+"/customers/{customerId}/partners", []string{cid}, admin, `{}`, 400)
	n.call("GET", V+"/customers/{customerId}/partners", []string{cid}, admin, "", 200)
	n.call("GET", V+"/customers/{customerId}/partners/{partnerId}", []string{cid, pid}, admin, "", 200)
	n.call("GET", V+"/customers/{customerId}/partners/{partnerId}", []string{cid, "nobody"}, admin, "", 404)
	tok := n.callType("POST", "/oauth/token", nil, basic(clientID, secret), "application/x-www-form-urlencoded", "grant_type=client_credentials", 200)
	n.callType("POST", "/oauth/token", nil, anonymous, "application/x-www-form-urlencoded",
		url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {"wrong"}}.Encode(), 401)
	n.callType("POST", "/oauth/token", nil, anonymous, "application/x-www-form-urlencoded", "grant_type=password", 400)
	partnerTok := bearer(str(tok, "access_token"))
	partnerBasic := basic(clientID, secret)

	// Platform records.
	C := "/customers/{customerId}"
	portal := n.call("POST", C+"/careerportals", []string{cid}, admin, `{"name":"Careers","url":"https://careers.example.com"}`, 201)
	n.call("GET", C+"/careerportals/{id}", []string{cid, str(portal, "id")}, partnerBasic, "", 200)
	rec := n.call("POST", C+"/people", []string{cid}, admin, `{"persontype":"user","firstname":"Rita","lastname":"Recruiter","email":"rita@example.com"}`, 201)
	cand := n.call("POST", C+"/people", []string{cid}, admin,
		`{"persontype":"candidate","firstname":"Cal","lastname":"Candidate","email":"cal@example.com","phones":[{"phonetype":"Mobile","phonenumber":"555-0100"}],"addresses":[{"addresstype":{"value":"Home"},"addresscity":"Austin"}]}`, 201)
	hire := n.call("POST", C+"/people", []string{cid}, admin, `{"persontype":"newhire","firstname":"Nia","lastname":"Hire","email":"nia@example.com"}`, 201)
	n.call("POST", C+"/people", []string{cid}, admin, `{"persontype":"alien"}`, 400)
	n.call("PATCH", C+"/people/{id}", []string{cid, str(cand, "id")}, admin, `{"lastname":"Candidate-Smith"}`, 200)
	n.call("GET", C+"/people/{id}", []string{cid, str(cand, "id")}, partnerTok, "", 200)
	n.call("GET", C+"/people/{id}?fields=firstname", []string{cid, str(cand, "id")}, partnerTok, "", 200)
	n.call("GET", C+"/people/{id}", []string{cid, "nobody"}, partnerTok, "", 404)
	n.call("GET", C+"/people/{id}", []string{cid, str(cand, "id")}, anonymous, "", 401)
	job1 := n.call("POST", C+"/jobs", []string{cid}, admin,
		`{"jobtitle":"Welder","joblocation":"Austin","jobdescription":"Weld.\n\nNights.","assessmenttype":"skills","bgcpackagetype":"basic","portalid":"`+str(portal, "id")+`"}`, 201)
	jid := str(job1, "id")
	n.call("PATCH", C+"/jobs/{id}", []string{cid, jid}, admin, `{"jobtitle":"Senior Welder","jobdescription":"Weld steel."}`, 200)
	n.call("PATCH", C+"/jobs/{id}", []string{cid, jid}, admin, `{"jobdescription":"`+strings.Repeat("x", herald.MaxJobDescriptionBytes+1)+`"}`, 400)
	n.call("POST", C+"/jobs/{id}/post", []string{cid, jid}, admin, `{"userid":"`+str(rec, "id")+`"}`, 200)
	n.call("POST", C+"/jobs/{id}/edit", []string{cid, jid}, admin, `{"userid":"`+str(rec, "id")+`","joblocation":"Dallas","jobdescription":"Weld steel at night."}`, 200)
	n.call("PATCH", C+"/jobboardposts", []string{cid}, partnerBasic,
		`{"jobid":"`+jid+`","jobdistributor":{"id":"d1"},"jobboards":[{"jobboard":{"value":"Indeed","externalid":"x1"},"status":"Live","startdate":"2026-01-01"}]}`, 200)
	n.call("GET", C+"/jobs/{id}", []string{cid, jid}, partnerBasic, "", 200)
	if got := n.call("GET", C+"/jobs/{id}?fields=jobdescription", []string{cid, jid}, partnerBasic, "", 200); str(got, "jobdescription") != "Weld steel at night." {
		t.Errorf("job's description through ?fields=: %v", got)
	}

	// Actions that emit events, and the write-backs.
	app := n.call("POST", C+"/applicantworkflows", []string{cid}, admin, `{"personid":"`+str(cand, "id")+`","jobid":"`+jid+`"}`, 201)
	wid := str(app, "id")
	n.call("PATCH", C+"/applicantworkflows/{id}", []string{cid, wid}, admin, `{"status":"20786","userid":"`+str(rec, "id")+`","wait":true}`, 200)
	n.call("GET", C+"/applicantworkflows/{id}", []string{cid, wid}, partnerBasic, "", 200)
	res := n.call("POST", C+"/applicantworkflows/{id}/fields/assessmentresults", []string{cid, wid}, partnerBasic,
		`{"assessmentname":"Skills","assessmentscore":87.5,"assessmentresult":"Pass","assessmentstatus":{"value":"Complete"},"assessmentdate":"2026-01-02","assessmenturl":"https://partner.example.com/r/1"}`, 201)
	n.call("GET", C+"/applicantworkflows/{id}/fields/assessmentresults/{resultId}", []string{cid, wid, str(res, "id")}, partnerBasic, "", 200)
	n.call("PATCH", C+"/applicantworkflows/{id}/fields/assessmentresults/{resultId}", []string{cid, wid, str(res, "id")}, partnerTok, `{"assessmentresult":"Pass with distinction"}`, 200)
	n.call("POST", C+"/applicantworkflows/{id}/fields/assessmentresults", []string{cid, wid}, partnerBasic, `{"assessmentname":17}`, 400)
	ow := n.call("POST", C+"/onboardworkflows", []string{cid}, admin,
		`{"personid":"`+str(hire, "id")+`","jobid":"`+jid+`","portalid":"`+str(portal, "id")+`","tasks":[{"name":"I-9","type":"form"}]}`, 201)
	n.call("GET", C+"/onboardworkflows/{id}", []string{cid, str(ow, "id")}, partnerBasic, "", 200)
	tasks, _ := ow["tasks"].([]any)
	if len(tasks) == 0 {
		t.Fatal("the onboarding workflow has no task")
	}
	n.call("POST", C+"/onboardworkflows/{id}/tasks/{taskId}/start", []string{cid, str(ow, "id"), str(tasks[0].(map[string]any), "id")}, admin, "", 200)
	n.call("POST", C+"/people/{id}/remotelogin", []string{cid, str(rec, "id")}, admin, `{}`, 200)
	n.call("POST", C+"/jobs/{id}/unpost", []string{cid, jid}, admin, `{"userid":"`+str(rec, "id")+`"}`, 200)

	n.call("DELETE", V+"/customers/{customerId}/partners/{partnerId}", []string{cid, pid}, admin, "", 204)
	n.call("GET", C+"/people/{id}", []string{cid, str(cand, "id")}, partnerBasic, "", 401)

	for _, op := range documented(n.doc) {
		if !n.covered[op] {
			t.Errorf("no call exercised %s", op)
		}
	}
}
