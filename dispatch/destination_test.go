package dispatch

import (
	"bytes"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestDestinationPolicyCheck(t *testing.T) {
	t.Parallel()
	loopbackAllowed := DestinationPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	tests := []struct {
		name   string
		policy DestinationPolicy
		addr   string
		ok     bool
	}{
		{"public v4", DestinationPolicy{}, "93.184.216.34", true},
		{"public v6", DestinationPolicy{}, "2606:2800:220:1:248:1893:25c8:1946", true},
		{"loopback", DestinationPolicy{}, "127.0.0.1", false},
		{"loopback other", DestinationPolicy{}, "127.8.9.10", false},
		{"loopback v6", DestinationPolicy{}, "::1", false},
		{"v4-mapped loopback", DestinationPolicy{}, "::ffff:127.0.0.1", false},
		{"private 10", DestinationPolicy{}, "10.1.2.3", false},
		{"private 172", DestinationPolicy{}, "172.16.0.1", false},
		{"private 192", DestinationPolicy{}, "192.168.1.1", false},
		{"cloud metadata", DestinationPolicy{}, "169.254.169.254", false},
		{"unique local v6", DestinationPolicy{}, "fd00::1", false},
		{"link-local v6", DestinationPolicy{}, "fe80::1", false},
		{"unspecified", DestinationPolicy{}, "0.0.0.0", false},
		{"unspecified v6", DestinationPolicy{}, "::", false},
		{"cgnat", DestinationPolicy{}, "100.64.0.1", false},
		{"broadcast", DestinationPolicy{}, "255.255.255.255", false},
		{"multicast", DestinationPolicy{}, "224.0.0.1", false},
		{"nat64 embedding loopback", DestinationPolicy{}, "64:ff9b::7f00:1", false},
		{"6to4 embedding private", DestinationPolicy{}, "2002:a00:1::1", false},
		{"allowed loopback", loopbackAllowed, "127.0.0.1", true},
		{"allowed list does not open others", loopbackAllowed, "10.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.policy.Check(netip.MustParseAddr(tt.addr))
			if got := err == nil; got != tt.ok {
				t.Fatalf("Check(%s) = %v, want allowed=%v", tt.addr, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrDestinationNotAllowed) {
				t.Fatalf("error %v does not wrap ErrDestinationNotAllowed", err)
			}
			if err != nil && strings.Contains(err.Error(), netip.MustParseAddr(tt.addr).Unmap().String()) {
				t.Fatalf("error %q names the address: customers see it", err)
			}
		})
	}
}

func TestParseAllowDestinations(t *testing.T) {
	t.Parallel()
	got, err := ParseAllowDestinations(" 127.0.0.0/8, ::1 ,10.0.0.5")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.0/8", "::1/128", "10.0.0.5/32"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Fatalf("got[%d] = %s, want %s", i, got[i], want[i])
		}
	}
	if _, err := ParseAllowDestinations("127.0.0.0/8,not-an-ip"); err == nil {
		t.Fatal("want an error for a bad entry")
	}
	if got, err := ParseAllowDestinations(""); err != nil || len(got) != 0 {
		t.Fatalf("empty: got %v, %v", got, err)
	}
}

func FuzzParseAllowDestinations(f *testing.F) {
	for _, s := range []string{"127.0.0.0/8", "::1,10.0.0.0/8", "", ",,", "1.2.3.4/33", "fe80::1%eth0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pfxs, err := ParseAllowDestinations(s)
		if err != nil {
			return
		}
		for _, p := range pfxs {
			if !p.IsValid() {
				t.Fatalf("invalid prefix %v from %q", p, s)
			}
		}
	})
}

func TestLeaseMustLeaveRoomForAnAttempt(t *testing.T) {
	t.Parallel()
	cfg := Config{Store: nil}
	cfg.setDefaults()
	cfg.Store = nopStore{}
	cfg.RequestTimeout = 5 * time.Second
	for _, tt := range []struct {
		lease time.Duration
		ok    bool
	}{{20 * time.Second, false}, {24 * time.Second, false}, {25 * time.Second, true}, {5 * time.Minute, true}} {
		cfg.LeaseDuration = tt.lease
		if err := cfg.validate(); (err == nil) != tt.ok {
			t.Errorf("lease %s with a 5s timeout: %v, want ok=%v", tt.lease, err, tt.ok)
		}
	}
}

// nopStore satisfies herald.Store for configuration tests; nothing calls it.
type nopStore struct{ herald.Store }

// TestDestinationErrorKeepsTheAddressForTheOperator: the operator's log
// names the refused address; the error text customers see does not.
func TestDestinationErrorKeepsTheAddressForTheOperator(t *testing.T) {
	t.Parallel()
	err := (&DestinationPolicy{}).Check(netip.MustParseAddr("10.1.2.3"))
	de := destinationError(err)
	if de == nil {
		t.Fatalf("Check = %v, want a *DestinationError", err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Warn("destination not allowed", slog.Any("destination", de))
	if !strings.Contains(buf.String(), "10.1.2.3") || !strings.Contains(buf.String(), "private") {
		t.Fatalf("log line %q does not name the address and its kind", buf.String())
	}
	if strings.Contains(err.Error(), "10.1.2.3") || strings.Contains(err.Error(), "private") {
		t.Fatalf("error %q names the address", err)
	}
}
