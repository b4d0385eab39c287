package sfu

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// gateHandler drops every record once its gate is shut. The engine's
// logger goes through one, shut when Engine.Close returns, so that a Pion
// callback still unwinding (Pion runs connection-state handlers in their own
// goroutines) never logs through a logger whose owner is gone, such as a
// test's t.Log.
type gateHandler struct {
	next slog.Handler
	shut *atomic.Bool
}

func (h gateHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return !h.shut.Load() && h.next.Enabled(ctx, l)
}

func (h gateHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.shut.Load() {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h gateHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return gateHandler{next: h.next.WithAttrs(as), shut: h.shut}
}

func (h gateHandler) WithGroup(name string) slog.Handler {
	return gateHandler{next: h.next.WithGroup(name), shut: h.shut}
}
