package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/web"
)

// TestOperatorSessionEndsWithAdminToken proves that rotating the admin
// token ends the operator sessions opened with the old one, while customer
// administrators stay signed in: the same store, served by a node started
// with a new token, no longer knows the operator's cookie.
func TestOperatorSessionEndsWithAdminToken(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	n.seedCustomers(t)
	op := n.browser(t)
	op.signInOperator()
	admin := n.browser(t)
	admin.signIn("admin-6269", "correct-horse-battery")

	// The node restarted with a rotated token, on the same database.
	pub := dispatch.NewPublisher(dispatch.PublisherConfig{Store: n.store, Writers: 1})
	t.Cleanup(pub.Close)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ws, err := web.NewServer(web.Config{Store: n.store, Platform: n.store, Users: n.store, Publisher: pub,
		Health: n.store, Replays: n.store, Queue: n.store, QueueDepth: n.store,
		AdminToken: "rotated-admin-token-9876543210", PublicURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ws.Register(mux)
	op.base, admin.base = srv.URL, srv.URL
	for _, b := range []*browser{op, admin} {
		u, _ := url.Parse(n.url)
		nu, _ := url.Parse(srv.URL)
		b.c.Jar.SetCookies(nu, b.c.Jar.Cookies(u.JoinPath("/ui/")))
	}

	if code, h, _ := op.do(http.MethodGet, "/ui/customers", nil); code != http.StatusSeeOther || h.Get("Location") != "/ui/login?next=%2Fui%2Fcustomers" {
		t.Fatalf("operator after rotation: %d to %q, want a redirect to sign in", code, h.Get("Location"))
	}
	if code, _ := admin.get("/ui/customers/6269"); code != http.StatusOK {
		t.Fatalf("administrator after rotation: %d, want 200", code)
	}
	// The old token no longer signs in; the new one does.
	if code, _, _ := op.post("/ui/login/operator", url.Values{"token": {testAdminToken}}); code != http.StatusUnauthorized {
		t.Fatalf("old token: %d, want 401", code)
	}
	if code, _, _ := op.post("/ui/login/operator", url.Values{"token": {"rotated-admin-token-9876543210"}}); code != http.StatusSeeOther {
		t.Fatalf("new token: %d, want 303", code)
	}
	if code, _ := op.get("/ui/customers"); code != http.StatusOK {
		t.Fatalf("operator with the new token: %d", code)
	}
}
