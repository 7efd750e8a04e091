package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald"
)

// Publisher wraps a herald.Publisher so each publish's commit (the group
// commit of the event with its deliveries) has a span, a child of the
// request's. The events keep the request's trace context, not this span's:
// the attempts are the request's consequences, and the commit span has
// ended long before a retry.
func Publisher(p herald.Publisher, tp trace.TracerProvider) herald.Publisher {
	return &publisher{next: p, tracer: tp.Tracer(scope)}
}

type publisher struct {
	next   herald.Publisher
	tracer trace.Tracer
}

func (p *publisher) Publish(ctx context.Context, e *herald.Event) (*herald.EventPublishResult, error) {
	ctx, span := p.tracer.Start(ctx, "herald.publish.commit", trace.WithAttributes(
		attribute.String("herald.event_id", e.ID),
		attribute.String("herald.customer_id", e.CustomerID),
		attribute.String("herald.event_type", string(e.Type)),
	))
	res, err := p.next.Publish(ctx, e)
	if err == nil && res != nil {
		err = res.Err
	}
	endCommit(span, res, err)
	return res, err
}

// PlatformStore wraps a herald.PlatformStore so each platform action's
// commit (the change, its event and the deliveries, in one transaction)
// has a span, a child of the request's. Everything else passes through.
func PlatformStore(s herald.PlatformStore, tp trace.TracerProvider) herald.PlatformStore {
	return &platformStore{PlatformStore: s, tracer: tp.Tracer(scope)}
}

type platformStore struct {
	herald.PlatformStore
	tracer trace.Tracer
}

// action runs one action inside its commit span.
func action[P any](s *platformStore, ctx context.Context, name, customerID string, p P,
	f func(context.Context, P) (*herald.ActionResult, error),
) (*herald.ActionResult, error) {
	ctx, span := s.tracer.Start(ctx, "herald.action.commit", trace.WithAttributes(
		attribute.String("herald.action", name),
		attribute.String("herald.customer_id", customerID),
	))
	res, err := f(ctx, p)
	var pub *herald.EventPublishResult
	if res != nil {
		pub = &herald.EventPublishResult{Event: res.Event, Deliveries: res.Deliveries}
	}
	endCommit(span, pub, err)
	return res, err
}

func (s *platformStore) ApplicationComplete(ctx context.Context, p *herald.ApplicationCompleteParams) (*herald.ActionResult, error) {
	return action(s, ctx, "ApplicationComplete", p.CustomerID, p, s.PlatformStore.ApplicationComplete)
}

func (s *platformStore) WorkflowStatusChange(ctx context.Context, p *herald.WorkflowStatusChangeParams) (*herald.ActionResult, error) {
	return action(s, ctx, "WorkflowStatusChange", p.CustomerID, p, s.PlatformStore.WorkflowStatusChange)
}

func (s *platformStore) JobPost(ctx context.Context, p *herald.JobActionParams) (*herald.ActionResult, error) {
	return action(s, ctx, "JobPost", p.CustomerID, p, s.PlatformStore.JobPost)
}

func (s *platformStore) JobEdit(ctx context.Context, p *herald.JobActionParams) (*herald.ActionResult, error) {
	return action(s, ctx, "JobEdit", p.CustomerID, p, s.PlatformStore.JobEdit)
}

func (s *platformStore) JobUnpost(ctx context.Context, p *herald.JobActionParams) (*herald.ActionResult, error) {
	return action(s, ctx, "JobUnpost", p.CustomerID, p, s.PlatformStore.JobUnpost)
}

func (s *platformStore) OnboardTaskStart(ctx context.Context, p *herald.OnboardTaskStartParams) (*herald.ActionResult, error) {
	return action(s, ctx, "OnboardTaskStart", p.CustomerID, p, s.PlatformStore.OnboardTaskStart)
}

func (s *platformStore) RemoteLogin(ctx context.Context, p *herald.RemoteLoginParams) (*herald.ActionResult, error) {
	return action(s, ctx, "RemoteLogin", p.CustomerID, p, s.PlatformStore.RemoteLogin)
}

// endCommit records what a commit made (the event and how many
// deliveries) or why it failed, and ends its span. A refusal (a caller's
// mistake: invalid, not found, conflict) is not a span error.
func endCommit(span trace.Span, res *herald.EventPublishResult, err error) {
	if res != nil && res.Event != nil {
		span.SetAttributes(
			attribute.String("herald.event_id", res.Event.ID),
			attribute.String("herald.event_type", string(res.Event.Type)),
			attribute.Int("herald.deliveries", len(res.Deliveries)),
		)
	}
	if err != nil {
		code := herald.ErrorCode(err)
		span.SetAttributes(attribute.String("herald.error_code", code))
		if code == herald.EINTERNAL || code == herald.EUNAVAILABLE {
			span.RecordError(err)
			span.SetStatus(codes.Error, herald.ErrorMessage(err))
		}
	}
	span.End()
}
