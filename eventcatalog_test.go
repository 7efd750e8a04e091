package herald_test

import (
	"encoding/json"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

func TestEventCatalog(t *testing.T) {
	t.Parallel()
	docs, err := herald.EventCatalog("https://herald.example", "6269")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != len(wire.EventTypes) {
		t.Fatalf("%d types, want %d", len(docs), len(wire.EventTypes))
	}
	for _, d := range docs {
		if d.Fires == "" || d.Name == "" || d.SuccessReply == "" {
			t.Errorf("%s: missing facts", d.Type)
		}
		// The example is what wire parses as a body of its type.
		b, err := wire.ParseBody(d.Example)
		if err != nil || b.EventType != d.Type || b.CustomerID != "6269" {
			t.Errorf("%s: example does not parse as its type: %v", d.Type, err)
		}
		var schema struct {
			Required []string `json:"required"`
		}
		if err := json.Unmarshal(d.Schema, &schema); err != nil || len(schema.Required) < 4 {
			t.Errorf("%s: schema %s (%v)", d.Type, d.Schema, err)
		}
		var sawEventID, sawGzip bool
		for _, h := range d.Headers {
			sawEventID = sawEventID || h[0] == wire.HeaderEventID
			sawGzip = sawGzip || (h[0] == "Content-Encoding" && h[1] == "gzip")
		}
		if !sawEventID || !sawGzip {
			t.Errorf("%s: headers %v", d.Type, d.Headers)
		}
	}
	if !docs[0].Interactive || docs[1].Interactive {
		t.Error("Application Complete is interactive; Status Flow Update is not")
	}
}
