package platform

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

// Principal is who a request acts for: the platform itself (the admin
// token), or one partner of one customer.
type Principal struct {
	Admin      bool
	CustomerID string // the partner's customer; empty for the admin
	PartnerID  string
}

type principalKey struct{}

// NewContextWithPrincipal returns a copy of ctx that carries p.
func NewContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal in ctx, or nil if none.
func PrincipalFromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

var errInvalidCredentials = herald.Errorf(herald.EUNAUTHORIZED, "Invalid credentials: use Basic client id and secret, or a Bearer access token.")

// isAdmin reports whether token is the admin token. Hashes are compared in
// constant time, which hides the token's length as well as its bytes.
func (s *Server) isAdmin(token string) bool {
	sum := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(sum[:], s.tokenHash[:]) == 1
}

// authenticate returns the principal of r's Authorization header: the
// admin token or a partner's access token (Bearer), or a partner's client
// id and secret (Basic). Anything else is EUNAUTHORIZED, with one message
// whatever was wrong, so a caller learns nothing about which client ids exist.
func (s *Server) authenticate(r *http.Request) (*Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(h, " ")
	rest = strings.TrimSpace(rest)
	switch {
	case strings.EqualFold(scheme, "Bearer") && rest != "":
		if s.isAdmin(rest) {
			return &Principal{Admin: true}, nil
		}
		if len(rest) > 512 {
			return nil, errInvalidCredentials
		}
		tok, err := s.cfg.Store.PartnerTokenGet(r.Context(), herald.HashCredential(herald.Secret(rest)), s.now())
		if err != nil {
			if herald.ErrorCode(err) == herald.ENOTFOUND {
				return nil, errInvalidCredentials
			}
			return nil, err
		}
		return &Principal{CustomerID: tok.CustomerID, PartnerID: tok.PartnerID}, nil
	case strings.EqualFold(scheme, "Basic"):
		id, secret, ok := r.BasicAuth()
		if !ok {
			return nil, errInvalidCredentials
		}
		return s.checkClientThrottled(r, id, secret)
	}
	return nil, errInvalidCredentials
}

// checkClient returns the principal of a partner's client id and secret.
func (s *Server) checkClient(ctx context.Context, clientID, secret string) (*Principal, error) {
	if clientID == "" || len(clientID) > 128 || len(secret) > 512 {
		return nil, errInvalidCredentials
	}
	p, err := s.cfg.Store.PartnerGetByClientID(ctx, clientID)
	if err != nil {
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			return nil, errInvalidCredentials
		}
		return nil, err
	}
	if subtle.ConstantTimeCompare(herald.HashCredential(herald.Secret(secret)), p.SecretHash) != 1 {
		return nil, errInvalidCredentials
	}
	return &Principal{CustomerID: p.CustomerID, PartnerID: p.ID}, nil
}

// access says who may call a route.
type access int

const (
	accessPartner access = iota // the admin, and partners of the customer in the path
	accessAdmin                 // the admin only: the platform's own calls
	accessAny                   // any authenticated caller (the catch-all 404)
)

// resource adapts a handler of a /customers/{customerId}/... route: it
// authenticates the caller, checks that the caller may act for the
// customer in the path (and call the route at all), and writes any error
// in the iCIMS form. A partner asking for another customer's records gets
// "access denied" as a 404, whether or not they exist.
func (s *Server) resource(a access, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err == nil {
			err = authorize(p, a, r.PathValue("customerId"))
		}
		if err == nil {
			err = h(w, r.WithContext(NewContextWithPrincipal(r.Context(), p)))
		}
		if err != nil {
			if wait, ok := retryAfter(err); ok {
				setRetryAfter(w, wait)
			}
			s.writeICIMSError(w, r, err)
		}
	})
}

// authorize returns codeAccessDenied unless p may call a route of access a
// for the customer.
func authorize(p *Principal, a access, customerID string) error {
	if p.Admin || a == accessAny {
		return nil
	}
	if a == accessAdmin || p.CustomerID != customerID {
		return herald.Errorf(codeAccessDenied, "Access denied.")
	}
	return nil
}

// management adapts a handler of the credential-management routes: the
// admin token only, errors in the management API's form.
func (s *Server) management(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		var err error
		if !strings.EqualFold(scheme, "Bearer") || !s.isAdmin(strings.TrimSpace(tok)) {
			err = herald.Errorf(herald.EUNAUTHORIZED, "an Authorization: Bearer <admin token> header is required")
		} else {
			err = h(w, r)
		}
		if err != nil {
			s.writeManagementError(w, r, err)
		}
	})
}
