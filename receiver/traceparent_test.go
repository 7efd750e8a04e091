package receiver_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/receiver"
	"github.com/heraldhq/herald/wire"
)

func TestParseTraceParent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		ok       bool
		sampled  bool
	}{
		{"Sampled", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true, true},
		{"NotSampled", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true, false},
		{"FutureVersionWithMore", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes", true, true},
		{"FutureVersionExact", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09", true, true},
		{"VersionFF", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, false},
		{"Version00TooLong", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", false, false},
		{"FutureVersionNoDash", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", false, false},
		{"Uppercase", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false, false},
		{"ZeroTraceID", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", false, false},
		{"ZeroParentID", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false, false},
		{"Short", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", false, false},
		{"WrongSeparators", "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", false, false},
		{"Empty", "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tp, err := receiver.ParseTraceParent(tc.in)
			if !tc.ok {
				if !errors.Is(err, receiver.ErrTraceParent) {
					t.Fatalf("ParseTraceParent(%q) = %v, %v; want ErrTraceParent", tc.in, tp, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTraceParent(%q): %v", tc.in, err)
			}
			if tp.TraceIDString() != "4bf92f3577b34da6a3ce929d0e0e4736" || tp.ParentIDString() != "00f067aa0ba902b7" {
				t.Errorf("ids %s %s", tp.TraceIDString(), tp.ParentIDString())
			}
			if tp.Sampled() != tc.sampled {
				t.Errorf("Sampled() = %v, want %v", tp.Sampled(), tc.sampled)
			}
		})
	}
}

// FuzzParseTraceParent: no input panics, what parses formats back to a
// header that parses to the same value, and a version-00 header formats
// back byte for byte.
func FuzzParseTraceParent(f *testing.F) {
	for _, s := range []string{
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
		"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-00000000000000000000000000000000-0000000000000000-00",
		"", "00", "--------",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := receiver.ParseTraceParent(s)
		if err != nil {
			return
		}
		again, err := receiver.ParseTraceParent(tp.String())
		if err != nil || again != tp {
			t.Fatalf("%q parsed to %+v, which formats to %q, which parses to %+v, %v", s, tp, tp.String(), again, err)
		}
		if strings.HasPrefix(s, "00-") && tp.String() != s {
			t.Fatalf("%q formats back as %q", s, tp.String())
		}
	})
}

// The handler puts the sender's traceparent on the Event, and ignores a
// malformed one rather than refusing the event.
func TestHandlerReadsTraceParent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, header, want string }{
		{"Valid", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		{"Malformed", "not-a-traceparent", ""},
		{"None", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan string, 1)
			mux := receiver.NewMux()
			mux.HandleFunc(wire.EventTypeRemoteLogin, func(_ context.Context, e *receiver.Event) receiver.Reply {
				if e.TraceParent == nil {
					got <- ""
				} else {
					got <- e.TraceParent.String()
				}
				return receiver.OK()
			})
			srv := httptest.NewServer(receiver.NewHandler(receiver.Config{Verifier: receiver.NoAuth()}, mux))
			defer srv.Close()
			body, _, _ := wire.BuildEvent("https://api.example.com", "6268", &wire.EventParams{
				EventType: wire.EventTypeRemoteLogin, SystemID: "244", UserID: "244", ReturnURL: "https://customer.example.com"})
			req, _ := wire.NewRequest(t.Context(), &wire.Request{URL: srv.URL, EventID: "evt_1", Body: body, TraceParent: tc.header}, time.Now())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if g := <-got; g != tc.want {
				t.Fatalf("Event.TraceParent = %q, want %q", g, tc.want)
			}
		})
	}
}

// Join Herald's trace from the partner's side: the ids to log, or to start
// a span with in any tracer.
func ExampleParseTraceParent() {
	// r.Header.Get("traceparent"), or receiver.Event.TraceParent in a
	// handler.
	tp, err := receiver.ParseTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("trace:", tp.TraceIDString())
	fmt.Println("Herald's attempt span:", tp.ParentIDString())
	fmt.Println("sampled:", tp.Sampled())
	// Output:
	// trace: 4bf92f3577b34da6a3ce929d0e0e4736
	// Herald's attempt span: 00f067aa0ba902b7
	// sampled: true
}
