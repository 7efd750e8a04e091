package receiver

import (
	"context"
	"net/http"
	"testing"

	"github.com/heraldhq/herald/wire"
)

func named(name string) HandlerFunc {
	return func(context.Context, *Event) Reply { return Reply{Status: 200, DebugMessage: name} }
}

func TestMuxRouting(t *testing.T) {
	t.Parallel()
	m := NewMux()
	m.Handle(wire.EventTypeAssessment, named("any/assessment"))
	m.HandleCustomer("6269", wire.EventTypeAssessment, named("6269/assessment"))
	m.HandleCustomer("6269", "", named("6269/any"))
	tests := []struct {
		customer string
		typ      wire.EventType
		want     string
		status   int
	}{
		{"6269", wire.EventTypeAssessment, "6269/assessment", 200},
		{"6269", wire.EventTypeRemoteLogin, "6269/any", 200},
		{"1", wire.EventTypeAssessment, "any/assessment", 200},
		{"1", wire.EventTypeRemoteLogin, "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		r := m.ServeEvent(t.Context(), &Event{CustomerID: tt.customer, Type: tt.typ})
		if r.Status != tt.status || (tt.want != "" && r.DebugMessage != tt.want) {
			t.Errorf("%s/%s: got %+v, want %s", tt.customer, tt.typ, r, tt.want)
		}
	}
	if r := m.ServeEvent(t.Context(), &Event{CustomerID: "1", Type: wire.EventTypeRemoteLogin}); r.UserMessage != "This integration does not handle Remote Login events." {
		t.Errorf("not found message = %q", r.UserMessage)
	}
	m.NotFound = named("fallback")
	if r := m.ServeEvent(t.Context(), &Event{CustomerID: "1", Type: "NewEvent"}); r.DebugMessage != "fallback" {
		t.Errorf("NotFound not used: %+v", r)
	}
	m.HandleCustomer("", "", named("catch-all"))
	if r := m.ServeEvent(t.Context(), &Event{CustomerID: "1", Type: "NewEvent"}); r.DebugMessage != "catch-all" {
		t.Errorf("catch-all not used: %+v", r)
	}
}

func TestMuxLegacyTypeRoute(t *testing.T) {
	t.Parallel()
	m := NewMux()
	m.Handle(wire.EventTypeApplicationCompleted, named("assessment"))
	if r := m.ServeEvent(t.Context(), &Event{Type: wire.EventTypeAssessment}); r.DebugMessage != "assessment" {
		t.Fatalf("got %+v", r)
	}
}

func TestMuxPanics(t *testing.T) {
	t.Parallel()
	m := NewMux()
	m.Handle(wire.EventTypeAssessment, named("a"))
	for name, f := range map[string]func(){
		"duplicate": func() { m.Handle(wire.EventTypeAssessment, named("b")) },
		"nil func":  func() { m.HandleFunc(wire.EventTypeRemoteLogin, nil) },
		"nil":       func() { m.HandleCustomer("1", "", nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	var zero Mux // the zero value works too
	zero.Handle(wire.EventTypeAssessment, named("z"))
	if r := zero.ServeEvent(t.Context(), &Event{Type: wire.EventTypeAssessment}); r.DebugMessage != "z" {
		t.Fatalf("zero Mux: %+v", r)
	}
}
