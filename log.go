package navette

import (
	"context"
	"log/slog"
)

var requestIDKey = &contextKey[string]{"request id"}

// NewContextWithRequestID returns a copy of ctx carrying the id of the
// HTTP request it serves.
func NewContextWithRequestID(ctx context.Context, id string) context.Context {
	return requestIDKey.with(ctx, id)
}

// RequestIDFromContext returns the request id carried by ctx, or "".
func RequestIDFromContext(ctx context.Context) string { return requestIDKey.value(ctx) }

// LogRequestIDs returns a handler that adds to every record logged with
// a request's context its request id, as "request_id", then passes it to
// h: every line a request makes can be told by it. A handler it already
// wrapped is returned as is.
func LogRequestIDs(h slog.Handler) slog.Handler {
	if _, ok := h.(requestIDHandler); ok {
		return h
	}
	return requestIDHandler{h}
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestIDFromContext(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
