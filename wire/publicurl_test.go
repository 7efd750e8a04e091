package wire_test

import (
	"testing"

	"github.com/heraldhq/herald/wire"
)

// TestCheckPublicURL: the one rule every server's Config applies to its
// PublicURL, and BuildEvent with it.
func TestCheckPublicURL(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"https://herald.example.com", "http://127.0.0.1:8080/", "https://h.example/base/path"} {
		if fe := wire.CheckPublicURL(v); fe != nil {
			t.Errorf("CheckPublicURL(%q) = %v, want nil", v, fe)
		}
	}
	for _, v := range []string{"", "/relative", "ftp://h.example", "https://", "https://h.example/?q=1",
		"https://h.example/#f", "https://h.example/a,b", "https://h.example/a;b", "https://h.example/a b"} {
		fe := wire.CheckPublicURL(v)
		if fe == nil {
			t.Errorf("CheckPublicURL(%q) = nil, want a refusal", v)
			continue
		}
		if _, _, err := wire.BuildEvent(v, "6269", &wire.EventParams{EventType: wire.EventTypeRemoteLogin, SystemID: "1", UserID: "1"}); err == nil {
			t.Errorf("BuildEvent accepted the public URL %q that CheckPublicURL refuses", v)
		}
	}
}
