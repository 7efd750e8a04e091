package api

import "context"

// requestIDKey is the context key of the request id. An unexported type
// means no other package can collide with it.
type requestIDKey struct{}

// NewContextWithRequestID returns a copy of ctx that carries the request id.
func NewContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFromContext returns the request id in ctx, or "" if none.
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
