package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/heraldhq/herald"
)

// maxReplyBytes bounds a reply the client reads: far above any real one (a
// page of 500 deliveries, an event with many attempts), so a wrong server
// cannot make the client buffer without end.
const maxReplyBytes = 64 << 20

// Client calls the management API. It is safe for concurrent use. API
// errors come back as *herald.Error with the code and message of the reply
// (herald.ErrorCode works on them); transport failures are wrapped with
// the name of the operation.
type Client struct {
	baseURL string
	auth    string // "Bearer <token>", built once
	hc      *http.Client
}

// NewClient returns a client for the Herald at baseURL
// ("http://127.0.0.1:8080") that authenticates with the admin token. A nil
// httpClient means http.DefaultClient; pass one with a Timeout to bound
// calls without a context deadline.
func NewClient(baseURL, token string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), auth: "Bearer " + token, hc: httpClient}
}

// CustomerCreate creates a customer. Returns ECONFLICT if the id is taken.
func (c *Client) CustomerCreate(ctx context.Context, req *CustomerCreateRequest) (*Customer, error) {
	var out Customer
	if err := c.do(ctx, "create customer", http.MethodPost, "/api/v1/customers", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CustomerList returns every customer, by id.
func (c *Client) CustomerList(ctx context.Context) ([]Customer, error) {
	var out CustomerList
	if err := c.do(ctx, "list customers", http.MethodGet, "/api/v1/customers", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// CustomerGet returns one customer. Returns ENOTFOUND if there is none.
func (c *Client) CustomerGet(ctx context.Context, id string) (*Customer, error) {
	var out Customer
	if err := c.do(ctx, "get customer", http.MethodGet, customerPath(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EndpointCreate creates an endpoint for a customer.
func (c *Client) EndpointCreate(ctx context.Context, customerID string, req *EndpointCreateRequest) (*Endpoint, error) {
	var out Endpoint
	if err := c.do(ctx, "create endpoint", http.MethodPost, customerPath(customerID)+"/endpoints", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EndpointList returns a customer's endpoints, oldest first.
func (c *Client) EndpointList(ctx context.Context, customerID string) ([]Endpoint, error) {
	var out EndpointList
	if err := c.do(ctx, "list endpoints", http.MethodGet, customerPath(customerID)+"/endpoints", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// EndpointGet returns one of a customer's endpoints.
func (c *Client) EndpointGet(ctx context.Context, customerID, endpointID string) (*Endpoint, error) {
	var out Endpoint
	if err := c.do(ctx, "get endpoint", http.MethodGet, endpointPathOf(customerID, endpointID), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EndpointUpdate changes the fields set in req and returns the endpoint.
func (c *Client) EndpointUpdate(ctx context.Context, customerID, endpointID string, req *EndpointUpdateRequest) (*Endpoint, error) {
	var out Endpoint
	if err := c.do(ctx, "update endpoint", http.MethodPatch, endpointPathOf(customerID, endpointID), nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EndpointDelete deletes one of a customer's endpoints.
func (c *Client) EndpointDelete(ctx context.Context, customerID, endpointID string) error {
	return c.do(ctx, "delete endpoint", http.MethodDelete, endpointPathOf(customerID, endpointID), nil, nil, nil)
}

// EventPublish publishes an event for a customer and returns once Herald
// has committed it with its deliveries. It reuses its buffers, so a
// benchmark can call it at a high rate.
func (c *Client) EventPublish(ctx context.Context, customerID string, req *EventPublishRequest) (*EventPublishResponse, error) {
	var out EventPublishResponse
	if err := c.do(ctx, "publish event", http.MethodPost, customerPath(customerID)+"/events", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EventGet returns an event as sent, with its deliveries and attempts.
func (c *Client) EventGet(ctx context.Context, id string) (*Event, error) {
	var out Event
	if err := c.do(ctx, "get event", http.MethodGet, "/api/v1/events/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeliveryList returns one page of a customer's deliveries, newest first.
// A nil q lists the first page unfiltered.
func (c *Client) DeliveryList(ctx context.Context, customerID string, q *DeliveryListQuery) (*DeliveryList, error) {
	var out DeliveryList
	if err := c.do(ctx, "list deliveries", http.MethodGet, customerPath(customerID)+"/deliveries", q.Values(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeliveryGet returns a delivery with its attempts.
func (c *Client) DeliveryGet(ctx context.Context, id string) (*DeliveryDetail, error) {
	var out DeliveryDetail
	if err := c.do(ctx, "get delivery", http.MethodGet, deliveryPath(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeliveryRetry makes a delivery pending and due now, whatever its state.
// Returns ECONFLICT while an attempt of it is in flight.
func (c *Client) DeliveryRetry(ctx context.Context, id string) (*Delivery, error) {
	var out Delivery
	if err := c.do(ctx, "retry delivery", http.MethodPost, deliveryPath(id)+"/retry", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func customerPath(id string) string { return "/api/v1/customers/" + url.PathEscape(id) }

func endpointPathOf(customerID, endpointID string) string {
	return customerPath(customerID) + "/endpoints/" + url.PathEscape(endpointID)
}

func deliveryPath(id string) string { return "/api/v1/deliveries/" + url.PathEscape(id) }

// do makes one call: in (if not nil) is sent as JSON, a 2xx reply is
// decoded into out (if not nil), and any other reply becomes a
// *herald.Error.
func (c *Client) do(ctx context.Context, op, method, path string, query url.Values, in, out any) error {
	u := c.baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body *sharedBuffer
	if in != nil {
		body = newSharedBuffer()
		// Released when both this call and the transport are done with
		// the bytes; see sharedBuffer.
		defer body.release()
		if err := json.NewEncoder(body.buf).Encode(in); err != nil {
			return fmt.Errorf("%s: encode request: %w", op, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = int64(body.buf.Len())
		req.Body = body.reader()
		req.GetBody = func() (io.ReadCloser, error) { return body.reader(), nil }
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()

	reply := bufferPool.Get().(*bytes.Buffer)
	reply.Reset()
	defer putBuffer(reply)
	if _, err := reply.ReadFrom(io.LimitReader(resp.Body, maxReplyBytes)); err != nil {
		return fmt.Errorf("%s: read reply: %w", op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return replyError(resp.StatusCode, reply.Bytes())
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	// Unmarshal copies what it keeps (strings, json.RawMessage), so the
	// buffer can go back to the pool.
	if err := json.Unmarshal(reply.Bytes(), out); err != nil {
		return fmt.Errorf("%s: decode reply: %w", op, err)
	}
	return nil
}

// replyError turns an error reply into a *herald.Error: the reply's own
// code and message when it is an ErrorResponse (as all of Herald's are), or
// a code guessed from the status when something else answered (a proxy).
func replyError(status int, body []byte) error {
	var er ErrorResponse
	if err := json.Unmarshal(body, &er); err == nil && er.Error.Code != "" {
		return &herald.Error{Code: er.Error.Code, Message: er.Error.Message}
	}
	code := herald.EINTERNAL
	switch status {
	case http.StatusBadRequest:
		code = herald.EINVALID
	case http.StatusUnauthorized, http.StatusForbidden:
		code = herald.EUNAUTHORIZED
	case http.StatusNotFound:
		code = herald.ENOTFOUND
	case http.StatusConflict:
		code = herald.ECONFLICT
	case http.StatusRequestEntityTooLarge:
		code = herald.ETOOLARGE
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		code = herald.EUNAVAILABLE
	}
	return herald.Errorf(code, "unexpected reply: HTTP %d", status)
}

// bufferPool holds buffers for request and reply bodies.
var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putBuffer returns b to the pool unless it grew large, so one big reply
// does not pin its memory for the life of the process.
func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		bufferPool.Put(b)
	}
}

// sharedBuffer is a pooled request body that goes back to the pool only
// when nobody can still read it. http.Client.Do may return before the
// transport has finished with (and closed) the request body, and may ask
// GetBody for a fresh copy to resend on a new connection, so the buffer is
// reference-counted: one reference for the caller, one per reader handed
// out, each dropped once.
type sharedBuffer struct {
	buf  *bytes.Buffer
	refs atomic.Int32
}

func newSharedBuffer() *sharedBuffer {
	b := bufferPool.Get().(*bytes.Buffer)
	b.Reset()
	sb := &sharedBuffer{buf: b}
	sb.refs.Store(1)
	return sb
}

// reader returns a new reader over the bytes, holding a reference until
// it is closed.
func (sb *sharedBuffer) reader() io.ReadCloser {
	sb.refs.Add(1)
	return &sharedReader{Reader: bytes.NewReader(sb.buf.Bytes()), owner: sb}
}

// release drops one reference, returning the buffer to the pool with the last.
func (sb *sharedBuffer) release() {
	if sb.refs.Add(-1) == 0 {
		putBuffer(sb.buf)
	}
}

// sharedReader reads a sharedBuffer and releases it once on Close.
type sharedReader struct {
	*bytes.Reader
	owner *sharedBuffer
	once  sync.Once
}

// Close implements io.Closer.
func (r *sharedReader) Close() error {
	r.once.Do(r.owner.release)
	return nil
}
