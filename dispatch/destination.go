package dispatch

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrDestinationNotAllowed is wrapped by the error of a connection that the
// destination policy refused.
var ErrDestinationNotAllowed = errors.New("destination not allowed")

// DestinationError is the destination policy's refusal of one address. Its
// Error is what customers see (in API replies, the UI and the attempt log):
// that the destination is not allowed, never the address the endpoint's
// host resolved to, which would let whoever may edit an endpoint map the
// internal network by name. The address and its kind are for the
// operator: LogValue and Detail give them.
type DestinationError struct {
	Addr netip.Addr
	// Kind says what the address is: "loopback", "private", ...
	Kind string
}

// Error implements error, without the address.
func (e *DestinationError) Error() string {
	return ErrDestinationNotAllowed.Error() + ": the endpoint's host is an internal or reserved address; an operator can allow it with --allow-destinations"
}

// Unwrap makes errors.Is(err, ErrDestinationNotAllowed) hold.
func (e *DestinationError) Unwrap() error { return ErrDestinationNotAllowed }

// Detail names the refused address and its kind, for the operator's log.
func (e *DestinationError) Detail() string { return fmt.Sprintf("%s is %s", e.Addr, e.Kind) }

// LogValue implements slog.LogValuer: the operator's log keeps the address.
func (e *DestinationError) LogValue() slog.Value {
	return slog.GroupValue(slog.String("address", e.Addr.String()), slog.String("kind", e.Kind))
}

// destinationError returns the policy's refusal inside err, or nil.
func destinationError(err error) *DestinationError {
	var de *DestinationError
	if errors.As(err, &de) {
		return de
	}
	return nil
}

// nonGlobal lists ranges that are not the public internet beyond what
// netip.Addr's predicates cover: a webhook must never reach them unless an
// operator says so.
var nonGlobal = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT, shared address space
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and 255.255.255.255
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: can embed any IPv4 address
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4: can embed any IPv4 address
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
}

// DestinationPolicy decides which addresses Herald may connect to. The zero
// value allows only global unicast addresses.
type DestinationPolicy struct {
	// Allow opens chosen ranges that are otherwise refused (127.0.0.0/8 for
	// local development and tests, a private subnet of partners, ...).
	Allow []netip.Prefix
}

// Check returns nil if Herald may connect to addr, and otherwise a
// *DestinationError (which wraps ErrDestinationNotAllowed).
func (p *DestinationPolicy) Check(addr netip.Addr) error {
	addr = addr.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	for _, pfx := range p.Allow {
		if pfx.Contains(addr) {
			return nil
		}
	}
	kind := ""
	switch {
	case !addr.IsValid():
		kind = "invalid"
	case addr.IsLoopback():
		kind = "loopback"
	case addr.IsPrivate():
		kind = "private"
	case addr.IsLinkLocalUnicast(), addr.IsLinkLocalMulticast():
		kind = "link-local, which includes cloud metadata services"
	case addr.IsUnspecified():
		kind = "unspecified"
	case addr.IsMulticast(), addr.IsInterfaceLocalMulticast():
		kind = "multicast"
	case !addr.IsGlobalUnicast():
		kind = "not global unicast"
	default:
		for _, pfx := range nonGlobal {
			if pfx.Contains(addr) {
				kind = "reserved (" + pfx.String() + ")"
				break
			}
		}
	}
	if kind == "" {
		return nil
	}
	return &DestinationError{Addr: addr, Kind: kind}
}

// control runs after DNS resolution, on the very address being dialled, so a
// name that resolves to a public address when checked and to an internal one
// when used (DNS rebinding) is still refused.
func (p *DestinationPolicy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &DestinationError{Kind: "unparsable (" + address + ")"}
	}
	return p.Check(ap.Addr())
}

// ClientConfig configures NewHTTPClient.
type ClientConfig struct {
	Policy DestinationPolicy
	// Timeout bounds a whole request, reply body included. Default: 30s,
	// the timeout iCIMS documents.
	Timeout time.Duration
	// MaxConnsPerHost bounds this client's connections to one partner
	// host (host and port), across all the endpoints there. Default:
	// DefaultMaxConnsPerHost.
	MaxConnsPerHost int
}

// DefaultMaxConnsPerHost is ClientConfig's default. Each endpoint's
// maxConcurrency bounds its own requests; this bounds what one node opens
// to a host that many endpoints share, as a partner that serves many
// customers at one address does. Over HTTP/1.1 a connection carries one
// request at a time, so the bound caps the rate to such a host at about
// this many ÷ its reply time: at 64, Herald fell behind 1,500 events/s
// spread over 10 endpoints on one host that answered in 50ms (1,225/s
// delivered, p99 2.2s; herald bench --reply-delay 50ms).
const DefaultMaxConnsPerHost = 512

// tlsSessionCacheSize is how many partner hosts' TLS sessions a node keeps
// for resumption (a few KB each, the server's certificates included).
const tlsSessionCacheSize = 1024

// NewHTTPClient returns the one client Herald sends through: it refuses
// destinations the policy forbids, never follows redirects (a 303 is a
// result to record), ignores proxy environment variables (a proxy would
// connect to the destination on our behalf, out of the policy's sight), and
// leaves reply decompression to the caller, because Herald sets
// Accept-Encoding itself as the contract asks.
func NewHTTPClient(cfg ClientConfig) *http.Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxConnsPerHost <= 0 {
		cfg.MaxConnsPerHost = DefaultMaxConnsPerHost
	}
	policy := cfg.Policy
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: policy.control}
	transport := &http.Transport{
		Proxy:       nil,
		DialContext: dialer.DialContext,
		// Literal-IP URLs are dialled without DNS but still pass through
		// Control, so one check covers both.

		// The session cache lets a new connection to a partner resume an
		// earlier TLS session instead of a full handshake (certificate
		// chain sent and verified, a key exchange and a signature):
		// partners close idle connections (Node.js after 5s, load
		// balancers after a minute), so an endpoint that sees an event
		// every few seconds reconnects for most of them.
		TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12,
			ClientSessionCache: tls.NewLRUClientSessionCache(tlsSessionCacheSize)},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		// Keep connections to busy partners warm: a new TLS handshake per
		// event would cost more than the event.
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: cfg.MaxConnsPerHost,
		MaxConnsPerHost:     cfg.MaxConnsPerHost,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// ParseAllowDestinations parses a comma-separated list of CIDR prefixes or
// single addresses ("127.0.0.0/8,::1").
func ParseAllowDestinations(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if pfx, err := netip.ParsePrefix(f); err == nil {
			out = append(out, pfx.Masked())
			continue
		}
		addr, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("allow-destinations: %q is not a CIDR prefix or an IP address", f)
		}
		out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return out, nil
}

// isDestinationError reports whether err is a refusal by the policy.
func isDestinationError(err error) bool { return destinationError(err) != nil }
