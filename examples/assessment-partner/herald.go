package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald/wire"
)

// maxReply bounds a reply body read from Herald.
const maxReply = 1 << 20

// heraldClient calls Herald's platform API (spec section 8) with the
// partner's credentials.
type heraldClient struct {
	base   *url.URL
	client *http.Client
	// signer adds the credentials: a *wire.OAuth2TokenSource (Bearer
	// tokens from /oauth/token, cached until they expire) or
	// wire.BasicAuth (client id and secret on every call).
	signer  wire.Signer
	oauth   *wire.OAuth2TokenSource // the signer when it is OAuth 2.0, for Invalidate
	nowFunc func() time.Time
}

func newHeraldClient(c *config) (*heraldClient, error) {
	base, err := url.Parse(c.HeraldURL)
	if err != nil {
		return nil, fmt.Errorf("herald-url: %w", err)
	}
	hc := &heraldClient{base: base, client: c.Client, nowFunc: c.NowFunc}
	switch c.Credentials {
	case credentialsBasic:
		hc.signer = wire.BasicAuth{Username: c.ClientID, Password: c.ClientSecret}
	default:
		hc.oauth = &wire.OAuth2TokenSource{
			TokenURL: c.HeraldURL + "/oauth/token", ClientID: c.ClientID, ClientSecret: c.ClientSecret,
			Client: c.Client, NowFunc: c.NowFunc,
		}
		hc.signer = hc.oauth
	}
	return hc, nil
}

// errForeignLink: an event link that is not under HeraldURL. The partner
// never sends its credentials to a host the event names; only to the one
// it was configured with.
var errForeignLink = errors.New("link is not under the configured herald-url")

// check returns the parsed link if it points under the configured base.
func (hc *heraldClient) check(link string) (*url.URL, error) {
	u, err := url.Parse(link)
	if err != nil {
		return nil, fmt.Errorf("link %q: %w", link, err)
	}
	basePath := strings.TrimRight(hc.base.Path, "/") + "/customers/"
	if !strings.EqualFold(u.Scheme, hc.base.Scheme) || !strings.EqualFold(u.Host, hc.base.Host) ||
		!strings.HasPrefix(u.Path, basePath) || u.User != nil {
		return nil, fmt.Errorf("%s: %w", link, errForeignLink)
	}
	return u, nil
}

// personResource and jobResource are the fields of GET people/{id} and
// jobs/{id} the partner uses; the rest is ignored.
type personResource struct {
	ID        string `json:"id"`
	FirstName string `json:"firstname"`
	LastName  string `json:"lastname"`
	Email     string `json:"email"`
}

type jobResource struct {
	ID             string `json:"id"`
	JobTitle       string `json:"jobtitle"`
	AssessmentType string `json:"assessmenttype"`
}

// listValue is an iCIMS list field: {"value":"Complete"}.
type listValue struct {
	Value string `json:"value"`
}

// assessmentResult is the body of POST .../fields/assessmentresults (spec
// section 8).
type assessmentResult struct {
	AssessmentName   listValue `json:"assessmentname"`
	AssessmentScore  float64   `json:"assessmentscore"`
	AssessmentResult string    `json:"assessmentresult"`
	AssessmentStatus listValue `json:"assessmentstatus"`
	AssessmentDate   string    `json:"assessmentdate"`
	AssessmentURL    string    `json:"assessmenturl"`
}

// get fetches an event link into out.
func (hc *heraldClient) get(ctx context.Context, link string, out any) error {
	u, err := hc.check(link)
	if err != nil {
		return err
	}
	resp, body, err := hc.do(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u.Path, apiError(resp, body))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("GET %s: %w", u.Path, err)
	}
	return nil
}

// postResult adds an assessment result to the applicant workflow at
// workflowLink and returns the new row's Location.
func (hc *heraldClient) postResult(ctx context.Context, workflowLink string, r *assessmentResult) (string, error) {
	u, err := hc.check(workflowLink)
	if err != nil {
		return "", err
	}
	u = u.JoinPath("fields", "assessmentresults")
	data, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("encode assessment result: %w", err)
	}
	resp, body, err := hc.do(ctx, http.MethodPost, u.String(), data)
	if err != nil {
		return "", err
	}
	if resp.StatusCode/100 != 2 { // "any 2xx is success" (spec section 8)
		return "", fmt.Errorf("POST %s: %s", u.Path, apiError(resp, body))
	}
	return resp.Header.Get("Location"), nil
}

// do sends one request with the partner's credentials. An OAuth 2.0 token
// Herald refuses (revoked, or expired early) is dropped and the request
// sent once more with a fresh one.
func (hc *heraldClient) do(ctx context.Context, method, u string, body []byte) (*http.Response, []byte, error) {
	for try := 0; ; try++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: %w", method, u, err)
		}
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if err := hc.signer.Sign(req, body, hc.nowFunc()); err != nil {
			return nil, nil, fmt.Errorf("%s %s: credentials: %w", method, u, err)
		}
		resp, err := hc.client.Do(req)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: %w", method, u, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
		resp.Body.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: read reply: %w", method, u, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && hc.oauth != nil && try == 0 {
			hc.oauth.Invalidate()
			continue
		}
		return resp, data, nil
	}
}

// apiError describes a failed call from Herald's iCIMS error body
// ({"errors":[{"errorMessage":..,"errorCode":..}]}) or its status.
func apiError(resp *http.Response, body []byte) string {
	var e struct {
		Errors []struct {
			ErrorMessage string `json:"errorMessage"`
			ErrorCode    int    `json:"errorCode"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Errors) > 0 {
		return fmt.Sprintf("%s: %s (code %d)", resp.Status, e.Errors[0].ErrorMessage, e.Errors[0].ErrorCode)
	}
	return resp.Status
}
