package health

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// NotifierStore is what the Notifier needs of the store.
type NotifierStore interface {
	OperatorEventClaimUnsent(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*herald.OperatorEvent, error)
	OperatorEventRecordSend(ctx context.Context, r *herald.OperatorEventSendRecord) error
}

// DefaultNotifySchedule is the wait before each retry of an operator event
// the webhook did not take: about 8 hours in all, then the event is
// abandoned (it stays listed in the API).
var DefaultNotifySchedule = []time.Duration{
	10 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour,
}

// Defaults of NotifierConfig.
const (
	DefaultNotifyPollInterval = 5 * time.Second
	DefaultNotifyTimeout      = 10 * time.Second
)

// notifyBatch is how many events one claim takes. The lease covers sending
// them one after the other, each within Timeout.
const notifyBatch = 10

// maxNotifyReply is how much of the webhook's reply is read (and dropped),
// so the connection can be reused without reading an endless body.
const maxNotifyReply = 64 << 10

// NotifierConfig configures a Notifier.
type NotifierConfig struct {
	// Store holds the operator events. Required.
	Store NotifierStore
	// URL is the operator webhook: an absolute http or https URL. Required.
	URL string
	// Secret signs each POST (Standard Webhooks, "whsec_..."). Required.
	Secret herald.Secret
	// Client sends the POSTs. Required: in production the dispatcher's
	// destination-checked client (dispatch.NewHTTPClient), so the operator
	// URL is held to the same outbound rules as partners' URLs. Redirects
	// should not be followed.
	Client *http.Client
	// Logger receives a line per failed send (Warn) and store failures
	// (Error). Default: discard.
	Logger *slog.Logger
	// PollInterval is how often the Notifier looks for due events when
	// nobody wakes it (retries come due, other nodes' events). Default: 5s.
	PollInterval time.Duration
	// Timeout bounds one POST. Default: 10s.
	Timeout time.Duration
	// Schedule is the wait before each retry; its length is the number of
	// retries. Default: DefaultNotifySchedule.
	Schedule []time.Duration
	// NowFunc returns the current time. Default: time.Now.
	NowFunc func() time.Time
}

func (c *NotifierConfig) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("operator notifier config: Store is required")
	case c.Client == nil:
		return errors.New("operator notifier config: Client is required")
	case c.Secret == "":
		return errors.New("operator notifier config: Secret is required (whsec_...)")
	case c.PollInterval < 0 || c.Timeout < 0:
		return errors.New("operator notifier config: PollInterval and Timeout cannot be negative")
	}
	if err := wire.ValidateWebhookSecret(string(c.Secret)); err != nil {
		return fmt.Errorf("operator notifier config: Secret: %w", err)
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("operator notifier config: URL must be an absolute http or https URL")
	}
	return nil
}

func (c NotifierConfig) withDefaults() NotifierConfig {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultNotifyPollInterval
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultNotifyTimeout
	}
	if c.Schedule == nil {
		c.Schedule = DefaultNotifySchedule
	}
	if c.NowFunc == nil {
		c.NowFunc = time.Now
	}
	return c
}

// Notifier sends operator events to the operator webhook, at least once
// each: an event is marked sent only after a 2xx, and a node that dies
// mid-send leaves it to come due again when its lease ends. Create it with
// NewNotifier.
type Notifier struct {
	cfg    NotifierConfig
	signer wire.StandardWebhooks
	wake   chan struct{}
}

// NewNotifier returns a Notifier, or an error naming the first bad field.
func NewNotifier(cfg NotifierConfig) (*Notifier, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Notifier{
		cfg:    cfg.withDefaults(),
		signer: wire.StandardWebhooks{Secrets: []string{string(cfg.Secret)}},
		wake:   make(chan struct{}, 1),
	}, nil
}

// Wake makes a running Notifier look for due events now. It never blocks.
func (n *Notifier) Wake() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Run sends due events until ctx ends, then returns nil. An event being
// sent when ctx ends is left to its lease.
func (n *Notifier) Run(ctx context.Context) error {
	t := time.NewTicker(n.cfg.PollInterval)
	defer t.Stop()
	for {
		if _, err := n.SendDue(ctx); err != nil && ctx.Err() == nil {
			n.cfg.Logger.ErrorContext(ctx, "send operator events", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-n.wake:
		case <-t.C:
		}
	}
}

// SendDue sends every event due now, a batch at a time, and returns how
// many the webhook took.
func (n *Notifier) SendDue(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		now := n.cfg.NowFunc().UTC()
		lease := now.Add(notifyBatch*n.cfg.Timeout + 30*time.Second)
		evs, err := n.cfg.Store.OperatorEventClaimUnsent(ctx, now, lease, notifyBatch)
		if err != nil {
			return sent, fmt.Errorf("claim operator events: %w", err)
		}
		for _, ev := range evs {
			ok, err := n.send(ctx, ev)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
		if len(evs) < notifyBatch {
			break
		}
	}
	return sent, nil
}

// send POSTs one event and records the result. It returns an error only
// when the store fails.
func (n *Notifier) send(ctx context.Context, ev *herald.OperatorEvent) (bool, error) {
	sendErr := n.post(ctx, ev)
	if ctx.Err() != nil {
		// Shutting down: the lease brings the event back.
		return false, nil
	}
	now := n.cfg.NowFunc().UTC()
	rec := &herald.OperatorEventSendRecord{ID: ev.ID, At: now, Sent: sendErr == nil}
	if sendErr != nil {
		rec.Error = sendErr.Error()
		if ev.SendAttempts < len(n.cfg.Schedule) {
			rec.NextAttemptAt = now.Add(n.cfg.Schedule[ev.SendAttempts])
		}
		n.cfg.Logger.WarnContext(ctx, "operator webhook failed", slog.String("operator_event_id", ev.ID),
			slog.String("type", string(ev.Type)), slog.Int("attempt", ev.SendAttempts+1),
			slog.Bool("abandoned", rec.NextAttemptAt.IsZero()), slog.String("error", rec.Error))
	}
	// Recorded even if ctx ends now: the POST happened.
	if err := n.cfg.Store.OperatorEventRecordSend(context.WithoutCancel(ctx), rec); err != nil {
		return false, fmt.Errorf("record operator event send: %w", err)
	}
	return rec.Sent, nil
}

// OperatorEventPayload is the JSON body of an operator webhook POST, in the
// Standard Webhooks shape: type, timestamp, data. The request's webhook-id
// (and Herald-Event-Id) is Data.ID, stable across retries, so a receiver
// can deduplicate.
type OperatorEventPayload struct {
	Type      herald.OperatorEventType `json:"type"`
	Timestamp time.Time                `json:"timestamp"`
	Data      OperatorEventData        `json:"data"`
}

// OperatorEventData is the data of an OperatorEventPayload.
type OperatorEventData struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customerId"`
	EndpointID string    `json:"endpointId,omitempty"`
	DeliveryID string    `json:"deliveryId,omitempty"`
	At         time.Time `json:"at"`
	Detail     string    `json:"detail,omitempty"`
}

func (n *Notifier) post(ctx context.Context, ev *herald.OperatorEvent) error {
	body, err := json.Marshal(OperatorEventPayload{
		Type: ev.Type, Timestamp: ev.CreatedAt.UTC(),
		Data: OperatorEventData{ID: ev.ID, CustomerID: ev.CustomerID, EndpointID: ev.EndpointID,
			DeliveryID: ev.DeliveryID, At: ev.At.UTC(), Detail: ev.Detail},
	})
	if err != nil {
		return fmt.Errorf("encode operator event: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Herald operator webhook")
	req.Header.Set(wire.HeaderEventID, ev.ID)
	if err := n.signer.Sign(req, body, n.cfg.NowFunc()); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	resp, err := n.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxNotifyReply))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the operator webhook answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return nil
}
