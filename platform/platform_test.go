package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/internal/storetest"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/wire"
)

const adminToken = "test-admin-token-0123456789"

// fakeDeliverer is a herald.Deliverer whose answer the test sets.
type fakeDeliverer struct {
	mu             sync.Mutex
	calls          [][]string
	DeliverNowFunc func(ids []string) []*herald.DeliveryOutcome
}

func (f *fakeDeliverer) DeliverNow(_ context.Context, ids []string, _ time.Duration) ([]*herald.DeliveryOutcome, error) {
	f.mu.Lock()
	f.calls = append(f.calls, ids)
	f.mu.Unlock()
	if f.DeliverNowFunc != nil {
		return f.DeliverNowFunc(ids), nil
	}
	out := make([]*herald.DeliveryOutcome, len(ids))
	for i, id := range ids {
		out[i] = &herald.DeliveryOutcome{DeliveryID: id, State: herald.DeliveryStateDelivered, StatusCode: 303,
			Location: "https://partner.example.com/next?d=" + id}
	}
	return out, nil
}

func (f *fakeDeliverer) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

type testBundle struct {
	store     *sqlite.Store
	srv       *httptest.Server
	server    *Server
	deliverer *fakeDeliverer
	a, b      *storetest.PlatformFixture
	// Credentials of a partner of customer A.
	clientID, secret string
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, &sqlite.Config{Path: dbtest.NewSQLitePath(t)})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	tb := &testBundle{store: st, deliverer: &fakeDeliverer{}}
	tb.srv = httptest.NewServer(nil)
	t.Cleanup(tb.srv.Close)
	tb.server, err = NewServer(Config{Store: st, AdminToken: adminToken, PublicURL: tb.srv.URL, Deliverer: tb.deliverer,
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	mux := http.NewServeMux()
	tb.server.Register(mux)
	tb.srv.Config.Handler = mux
	tb.a = storetest.NewPlatformFixture(ctx, t, st)
	tb.b = storetest.NewPlatformFixture(ctx, t, st)

	resp := tb.do(t, "POST", "/api/v1/customers/"+tb.a.Customer.ID+"/partners", adminAuth, `{"name":"Assessments Inc"}`)
	wantStatus(t, resp, http.StatusCreated)
	var p partnerJSON
	decode(t, resp, &p)
	tb.clientID, tb.secret = p.ClientID, p.ClientSecret
	return tb
}

type authFunc func(r *http.Request)

func adminAuth(r *http.Request) { r.Header.Set("Authorization", "Bearer "+adminToken) }
func noAuth(*http.Request)      {}
func (tb *testBundle) partnerAuth(r *http.Request) {
	r.SetBasicAuth(tb.clientID, tb.secret)
}

// do sends a request to the test server; path may be a path or a full URL.
func (tb *testBundle) do(t *testing.T, method, path string, auth authFunc, body string) *http.Response {
	t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = tb.srv.URL + path
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	auth(req)
	resp, err := tb.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func wantStatus(t *testing.T, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: status = %d, want %d; body %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, b)
	}
}

func decode(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode reply: %v", err)
	}
}

// wantICIMSError checks an error reply's status, body and X-Error.
func wantICIMSError(t *testing.T, resp *http.Response, status, code int) string {
	t.Helper()
	wantStatus(t, resp, status)
	var body icimsErrors
	decode(t, resp, &body)
	if len(body.Errors) != 1 || body.Errors[0].ErrorCode != code {
		t.Fatalf("error body = %+v, want one error of code %d", body, code)
	}
	prefix := strings.Split(resp.Header.Get("X-Error"), ":")[0]
	if prefix != strings.TrimSpace(string(rune('0'+code))) {
		t.Fatalf("X-Error = %q, want code %d", resp.Header.Get("X-Error"), code)
	}
	return body.Errors[0].ErrorMessage
}

// checkLinks reads the action's event from the store and GETs every link
// of its body and Link header with the partner's credentials.
func (tb *testBundle) checkLinks(t *testing.T, eventID string) {
	t.Helper()
	ev, err := tb.store.EventGet(t.Context(), eventID)
	if err != nil {
		t.Fatalf("get event: %v", err)
	}
	raw, err := wire.Gunzip(ev.BodyGzip, 1<<20)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	body, err := wire.ParseBody(raw)
	if err != nil {
		t.Fatalf("parse body: %v", err)
	}
	header, err := wire.ParseLinkHeader(ev.LinkHeader)
	if err != nil {
		t.Fatalf("parse link header: %v", err)
	}
	links := append(body.Links, header...)
	if len(links) == 0 {
		t.Fatalf("%s has no links", ev.Type)
	}
	for _, l := range links {
		if !strings.HasPrefix(l.URL, tb.srv.URL+"/customers/"+tb.a.Customer.ID+"/") {
			t.Fatalf("link %s is not under the customer's resources", l.URL)
		}
		resp := tb.do(t, "GET", l.URL, tb.partnerAuth, "")
		wantStatus(t, resp, http.StatusOK)
		var v map[string]any
		decode(t, resp, &v)
		if v["id"] == nil || v["id"] == "" {
			t.Fatalf("GET %s: no id in %v", l.URL, v)
		}
	}
}

func TestActionsEmitEventsWhoseLinksResolve(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	cid := tb.a.Customer.ID
	c := "/customers/" + cid
	rec := tb.a.Recruiter.ID

	type step struct {
		name, method, path, body string
		status                   int
		eventType                wire.EventType
		interactive              bool
	}
	steps := []step{
		{"JobPost", "POST", c + "/jobs/" + tb.a.Draft.ID + "/post", `{"userid":"` + rec + `"}`, 200, wire.EventTypeJobPostToWeb, true},
		{"JobEdit", "POST", c + "/jobs/" + tb.a.Draft.ID + "/edit", `{"userid":"` + rec + `","jobtitle":"Night Shift"}`, 200, wire.EventTypeViewJobWebPost, true},
		{"ApplicationComplete", "POST", c + "/applicantworkflows", `{"personid":"` + tb.a.Candidate.ID + `","jobid":"` + tb.a.Draft.ID + `"}`, 201, wire.EventTypeAssessment, true},
		{"OnboardTaskStart", "POST", c + "/onboardworkflows/" + tb.a.Onboard.ID + "/tasks/" + tb.a.Onboard.Tasks[1].ID + "/start", "", 200, wire.EventTypeOnboardPortalTask, true},
		{"RemoteLogin", "POST", c + "/people/" + rec + "/remotelogin", `{"returnurl":"https://customer.example.com"}`, 200, wire.EventTypeRemoteLogin, true},
		{"JobUnpost", "POST", c + "/jobs/" + tb.a.Posted.ID + "/unpost", `{"userid":"` + rec + `"}`, 200, wire.EventTypeJobUnpostToWeb, false},
	}
	var workflowID string
	for _, st := range steps {
		before := tb.deliverer.callCount()
		resp := tb.do(t, st.method, st.path, adminAuth, st.body)
		wantStatus(t, resp, st.status)
		var out ActionResponse
		decode(t, resp, &out)
		if out.EventType != string(st.eventType) || out.EventID == "" || len(out.Deliveries) != 1 {
			t.Fatalf("%s: reply = %+v", st.name, out)
		}
		called := tb.deliverer.callCount() > before
		if called != st.interactive {
			t.Fatalf("%s: deliverer called = %v, want %v", st.name, called, st.interactive)
		}
		if st.interactive && out.RedirectURL != "https://partner.example.com/next?d="+out.Deliveries[0].ID {
			t.Fatalf("%s: redirectUrl = %q", st.name, out.RedirectURL)
		}
		if st.status == http.StatusCreated {
			if resp.Header.Get("Location") != out.URL {
				t.Fatalf("Location = %q, want %q", resp.Header.Get("Location"), out.URL)
			}
			workflowID = out.ID
		}
		tb.checkLinks(t, out.EventID)
	}

	// Status change: not interactive unless asked; then it is.
	path := c + "/applicantworkflows/" + workflowID
	for _, wait := range []bool{false, true} {
		status := map[bool]string{false: "D10102", true: "D10104"}[wait]
		before := tb.deliverer.callCount()
		body, _ := json.Marshal(map[string]any{"status": map[string]string{"id": status}, "userid": rec, "wait": wait})
		resp := tb.do(t, "PATCH", path, adminAuth, string(body))
		wantStatus(t, resp, http.StatusOK)
		var out ActionResponse
		decode(t, resp, &out)
		if (tb.deliverer.callCount() > before) != wait {
			t.Fatalf("status change wait=%v: deliverer called = %v", wait, !wait)
		}
		tb.checkLinks(t, out.EventID)
	}
	resp := tb.do(t, "GET", path+"?fields=status,statushistory", tb.partnerAuth, "")
	wantStatus(t, resp, http.StatusOK)
	var wf map[string]json.RawMessage
	decode(t, resp, &wf)
	if len(wf) != 3 || !bytes.Contains(wf["status"], []byte(`"Background Check"`)) {
		t.Fatalf("selected fields = %s", wf)
	}
}

func TestInteractiveMessages(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	c := "/customers/" + tb.a.Customer.ID
	for _, tc := range []struct {
		name    string
		outcome herald.DeliveryOutcome
		want    string
	}{
		{"PartnerMessageWithLabels", herald.DeliveryOutcome{State: herald.DeliveryStateRejected, StatusCode: 400,
			UserMessage: "Please provide a valid {{person.usssn}} before {{job.jobtitle}} checks."},
			"Please provide a valid US SSN before Job Title checks."},
		{"Timeout", herald.DeliveryOutcome{State: herald.DeliveryStatePending, TimedOut: true}, msgTimedOut},
	} {
		tb.deliverer.mu.Lock()
		tb.deliverer.DeliverNowFunc = func(ids []string) []*herald.DeliveryOutcome {
			o := tc.outcome
			o.DeliveryID = ids[0]
			return []*herald.DeliveryOutcome{&o}
		}
		tb.deliverer.mu.Unlock()
		resp := tb.do(t, "POST", c+"/people/"+tb.a.Recruiter.ID+"/remotelogin", adminAuth, `{}`)
		wantStatus(t, resp, http.StatusOK)
		var out ActionResponse
		decode(t, resp, &out)
		if out.Message != tc.want || out.RedirectURL != "" {
			t.Fatalf("%s: message %q redirect %q, want %q", tc.name, out.Message, out.RedirectURL, tc.want)
		}
	}
}

// TestTenantIsolation tries every resource route for customer B with the
// credentials of a partner of customer A: each must be a 404 "access
// denied" in the iCIMS form, whether the record exists or not. Admin-only
// routes refuse A's partner for A's own records too.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	ids := func(f *storetest.PlatformFixture) *strings.Replacer {
		return strings.NewReplacer("{customerId}", f.Customer.ID, "{id}", f.Posted.ID,
			"{resultId}", "1", "{taskId}", f.Onboard.Tasks[0].ID)
	}
	tokenResp := tb.token(t)
	for _, rt := range tb.server.resourceRoutes() {
		for _, auth := range []struct {
			name string
			fn   authFunc
		}{{"Basic", tb.partnerAuth}, {"Bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tokenResp) }}} {
			path := ids(tb.b).Replace(rt.pattern)
			body := ""
			if rt.method != "GET" {
				body = "{}"
			}
			resp := tb.do(t, rt.method, path, auth.fn, body)
			msg := wantICIMSError(t, resp, http.StatusNotFound, icimsAccessDenied)
			if strings.Contains(msg, tb.b.Customer.ID) {
				t.Fatalf("%s %s: message %q names the other customer", rt.method, rt.pattern, msg)
			}
			if rt.access == accessAdmin {
				resp := tb.do(t, rt.method, ids(tb.a).Replace(rt.pattern), auth.fn, body)
				wantICIMSError(t, resp, http.StatusNotFound, icimsAccessDenied)
			}
		}
	}
	// The admin token reads every customer's resources.
	for _, p := range []string{"/people/" + tb.b.Candidate.ID, "/jobs/" + tb.b.Posted.ID, "/onboardworkflows/" + tb.b.Onboard.ID} {
		wantStatus(t, tb.do(t, "GET", "/customers/"+tb.b.Customer.ID+p, adminAuth, ""), http.StatusOK)
	}
	// A's partner reads A's records, and a missing one is "not found".
	wantStatus(t, tb.do(t, "GET", "/customers/"+tb.a.Customer.ID+"/people/"+tb.a.Candidate.ID, tb.partnerAuth, ""), http.StatusOK)
	wantICIMSError(t, tb.do(t, "GET", "/customers/"+tb.a.Customer.ID+"/people/424242", tb.partnerAuth, ""), http.StatusNotFound, icimsNotFound)
	wantICIMSError(t, tb.do(t, "GET", "/customers/"+tb.a.Customer.ID+"/nothing", tb.partnerAuth, ""), http.StatusNotFound, icimsNotFound)
}

// token gets an access token for A's partner through POST /oauth/token,
// with the wire package's client, as a partner's code would.
func (tb *testBundle) token(t *testing.T) string {
	t.Helper()
	src := &wire.OAuth2TokenSource{TokenURL: tb.srv.URL + "/oauth/token", ClientID: tb.clientID, ClientSecret: tb.secret, Client: tb.srv.Client()}
	tok, err := src.Token(t.Context())
	if err != nil {
		t.Fatalf("get token: %v", err)
	}
	return tok
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	path := "/customers/" + tb.a.Customer.ID + "/people/" + tb.a.Candidate.ID
	for _, tc := range []struct {
		name string
		auth authFunc
	}{
		{"None", noAuth},
		{"WrongSecret", func(r *http.Request) { r.SetBasicAuth(tb.clientID, "hcsk_wrong") }},
		{"UnknownClient", func(r *http.Request) { r.SetBasicAuth("hcid_nobody", tb.secret) }},
		{"WrongToken", func(r *http.Request) { r.Header.Set("Authorization", "Bearer hat_nope") }},
		{"OtherScheme", func(r *http.Request) { r.Header.Set("Authorization", "Digest x") }},
	} {
		resp := tb.do(t, "GET", path, tc.auth, "")
		wantICIMSError(t, resp, http.StatusUnauthorized, icimsInvalidCredentials)
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("%s: no WWW-Authenticate", tc.name)
		}
	}
	tok := tb.token(t)
	wantStatus(t, tb.do(t, "GET", path, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }, ""), http.StatusOK)

	// Token endpoint errors, in the OAuth form.
	for _, tc := range []struct {
		name, form string
		status     int
		code       string
	}{
		{"BadGrant", "grant_type=password&client_id=" + tb.clientID + "&client_secret=" + tb.secret, 400, "unsupported_grant_type"},
		{"BadSecret", "grant_type=client_credentials&client_id=" + tb.clientID + "&client_secret=x", 401, "invalid_client"},
		{"InBody", "grant_type=client_credentials&client_id=" + tb.clientID + "&client_secret=" + tb.secret, 200, ""},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", tb.srv.URL+"/oauth/token", strings.NewReader(tc.form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := tb.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		wantStatus(t, resp, tc.status)
		var out map[string]any
		decode(t, resp, &out)
		if tc.code != "" && out["error"] != tc.code {
			t.Fatalf("%s: reply %v, want error %s", tc.name, out, tc.code)
		}
		if tc.code == "" && (out["token_type"] != "Bearer" || out["expires_in"] != float64(3600) || out["access_token"] == "") {
			t.Fatalf("%s: reply %v", tc.name, out)
		}
	}

	// Deleting the partner revokes its secret and its tokens.
	resp := tb.do(t, "GET", "/api/v1/customers/"+tb.a.Customer.ID+"/partners", adminAuth, "")
	wantStatus(t, resp, http.StatusOK)
	var list struct{ Partners []partnerJSON }
	decode(t, resp, &list)
	if len(list.Partners) != 1 || list.Partners[0].ClientSecret == tb.secret || !strings.HasPrefix(list.Partners[0].ClientSecret, "********") {
		t.Fatalf("partners = %+v, want the secret masked", list.Partners)
	}
	wantStatus(t, tb.do(t, "GET", "/api/v1/customers/"+tb.a.Customer.ID+"/partners", tb.partnerAuth, ""), http.StatusUnauthorized)
	wantStatus(t, tb.do(t, "DELETE", "/api/v1/customers/"+tb.a.Customer.ID+"/partners/"+list.Partners[0].ID, adminAuth, ""), http.StatusNoContent)
	wantICIMSError(t, tb.do(t, "GET", path, tb.partnerAuth, ""), http.StatusUnauthorized, icimsInvalidCredentials)
	wantICIMSError(t, tb.do(t, "GET", path, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }, ""), http.StatusUnauthorized, icimsInvalidCredentials)
}

func TestWriteBacks(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	ctx := t.Context()
	cid := tb.a.Customer.ID
	res, err := tb.store.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{CustomerID: cid,
		PersonID: tb.a.Candidate.ID, JobID: tb.a.Posted.ID, PublicURL: tb.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	wf := res.ApplicantWorkflow.ID

	resp := tb.do(t, "POST", "/customers/"+cid+"/applicantworkflows/"+wf+"/fields/assessmentresults", tb.partnerAuth,
		`{"assessmentname":{"value":"Cognitive"},"assessmentscore":87.5,"assessmentresult":"Pass","assessmentstatus":{"value":"Complete"},"assessmentdate":"2019-08-26 09:24 PM","assessmenturl":"https://partner.example.com/r/1"}`)
	wantStatus(t, resp, http.StatusCreated)
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, tb.srv.URL+"/customers/"+cid+"/applicantworkflows/"+wf+"/fields/assessmentresults/") {
		t.Fatalf("Location = %q", loc)
	}
	resp = tb.do(t, "PATCH", loc, tb.partnerAuth, `{"assessmentstatus":"Reviewed"}`)
	wantStatus(t, resp, http.StatusOK)
	resp = tb.do(t, "GET", loc, tb.partnerAuth, "")
	wantStatus(t, resp, http.StatusOK)
	var row assessmentResultJSON
	decode(t, resp, &row)
	if row.AssessmentStatus != "Reviewed" || row.AssessmentScore == nil || *row.AssessmentScore != 87.5 || row.AssessmentName != "Cognitive" {
		t.Fatalf("row = %+v", row)
	}
	msg := wantICIMSError(t, tb.do(t, "PATCH", loc, tb.partnerAuth, `{"assessmenturl":"not a url"}`), http.StatusBadRequest, icimsFieldRequired)
	if !strings.Contains(msg, "assessmenturl") {
		t.Fatalf("message %q does not name the field", msg)
	}

	board := `{"jobid":"` + tb.a.Posted.ID + `","jobdistributor":{"id":"D90005"},"jobboards":[{"jobboard":{"value":"CareerBuilder.com","externalid":"764"},"status":"%s","startdate":"2014-08-04 11:31 AM","enddate":"2014-12-04 11:31 AM"}]}`
	for _, status := range []string{"posting in progress", "LIVE", "Deletion in Progress", "expired", "Unposted"} {
		resp := tb.do(t, "PATCH", "/customers/"+cid+"/jobboardposts", tb.partnerAuth, strings.Replace(board, "%s", status, 1))
		wantStatus(t, resp, http.StatusOK)
		var job jobJSON
		decode(t, resp, &job)
		if len(job.JobBoardPosts) != 1 || !strings.EqualFold(job.JobBoardPosts[0].Status, status) {
			t.Fatalf("job board posts = %+v after %q", job.JobBoardPosts, status)
		}
	}
	msg = wantICIMSError(t, tb.do(t, "PATCH", "/customers/"+cid+"/jobboardposts", tb.partnerAuth, strings.Replace(board, "%s", "gone", 1)),
		http.StatusBadRequest, icimsFieldRequired)
	if !strings.Contains(msg, "status") {
		t.Fatalf("message %q does not name the field", msg)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	c := "/customers/" + tb.a.Customer.ID
	for _, tc := range []struct {
		name, method, path, body string
		status, code             int
		contains                 string
	}{
		{"MissingField", "POST", c + "/people", `{"persontype":"candidate","lastname":"X"}`, 400, 1, "firstname"},
		{"UnknownField", "POST", c + "/people", `{"persontype":"candidate","firstname":"A","lastname":"B","ssn":"1"}`, 400, 1, "ssn"},
		{"WrongType", "POST", c + "/jobs", `{"jobtitle":5}`, 400, 1, "jobtitle"},
		{"Malformed", "POST", c + "/jobs", `{"jobtitle":`, 400, 1, "JSON"},
		{"DescriptionTooLong", "POST", c + "/jobs", `{"jobtitle":"x","portalid":"` + tb.a.Portal.ID + `","jobdescription":"` +
			strings.Repeat("x", herald.MaxJobDescriptionBytes+1) + `"}`, 400, 1, "jobdescription"},
		{"TooLarge", "POST", c + "/jobs", `{"jobtitle":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`, 413, 1, "limit"},
		{"UnknownSelection", "GET", c + "/people/" + tb.a.Candidate.ID + "?fields=firstname,shoesize", "", 400, 1, "shoesize"},
		{"Conflict", "POST", c + "/jobs/" + tb.a.Posted.ID + "/post", `{"userid":"` + tb.a.Recruiter.ID + `"}`, 409, 1, "posted"},
		{"MethodNotAllowed", "DELETE", c + "/people/" + tb.a.Candidate.ID, "", 405, 2, "allowed"},
	} {
		resp := tb.do(t, tc.method, tc.path, adminAuth, tc.body)
		msg := wantICIMSError(t, resp, tc.status, tc.code)
		if !strings.Contains(msg, tc.contains) {
			t.Fatalf("%s: message %q, want it to mention %q", tc.name, msg, tc.contains)
		}
	}
	// Creates reply 201 with a Location that resolves.
	resp := tb.do(t, "POST", c+"/people", adminAuth, `{"persontype":"candidate","firstname":"Ada","lastname":"L","email":"ada@example.com","phones":[{"phonetype":"Mobile","phonenumber":"555"}]}`)
	wantStatus(t, resp, http.StatusCreated)
	resp = tb.do(t, "GET", resp.Header.Get("Location")+"?fields=phones", tb.partnerAuth, "")
	wantStatus(t, resp, http.StatusOK)
	var p map[string]json.RawMessage
	decode(t, resp, &p)
	if string(p["phones"]) != `[{"phonetype":{"value":"Mobile"},"phonenumber":"555"}]` {
		t.Fatalf("phones = %s", p["phones"])
	}
}
