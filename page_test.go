package herald_test

import (
	"testing"

	"github.com/heraldhq/herald"
)

func TestPageLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		in, want  int
		wantError bool
	}{
		{"ZeroIsTheDefault", 0, herald.DefaultPageLimit, false},
		{"AsAsked", 7, 7, false},
		{"CappedAtTheMaximum", herald.MaxPageLimit + 1, herald.MaxPageLimit, false},
		{"NegativeIsInvalid", -1, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := herald.PageLimit(tc.in)
			if tc.wantError {
				if herald.ErrorCode(err) != herald.EINVALID {
					t.Fatalf("PageLimit(%d) error = %v, want %s", tc.in, err, herald.EINVALID)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("PageLimit(%d) = %d, %v, want %d", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	id := herald.IDPrefixDelivery + "0123456789"
	c := herald.NewCursor(id)
	got, err := herald.ParseCursor(c, herald.IDPrefixDelivery)
	if err != nil || got != id {
		t.Fatalf("ParseCursor(NewCursor(%q)) = %q, %v", id, got, err)
	}
	for _, tc := range []struct{ name, cursor string }{
		{"AnotherListsCursor", herald.NewCursor(herald.IDPrefixOperatorEvent + "0123")},
		{"NotBase64", "%%%"},
		{"NoVersion", "ZGx2XzEyMw"}, // base64 of "dlv_123"
		{"Empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := herald.ParseCursor(tc.cursor, herald.IDPrefixDelivery); herald.ErrorCode(err) != herald.EINVALID {
				t.Fatalf("ParseCursor(%q) error = %v, want %s", tc.cursor, err, herald.EINVALID)
			}
		})
	}
}
