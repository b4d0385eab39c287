package guard

import (
	"context"
	"log/slog"
)

// Guard bundles the limiter, the audit trail and the risk hook the tools share.
type Guard struct {
	Limiter *Limiter
	Audit   *Audit
	Risk    *Risk
	Log     *slog.Logger
}

// Act is one guarded action: who, from where, on what.
type Act struct {
	Action string
	UserID string
	Addr   string
	Room   string
	Target string
}

// Allow applies lim to a and audits a refusal ("rate_limited"); it
// answers whether a may go on.
func (g *Guard) Allow(ctx context.Context, a Act, lim Limits) (bool, error) {
	ok, err := g.Limiter.Allow(ctx, a.Action, a.UserID, a.Addr, lim)
	if err != nil {
		return false, err
	}
	if !ok {
		g.Record(ctx, a, "rate_limited", "")
	}
	return ok, nil
}

// Record audits a with its outcome, logging (not failing) a write error:
// the action itself has happened.
func (g *Guard) Record(ctx context.Context, a Act, outcome, detail string) {
	err := g.Audit.Record(context.WithoutCancel(ctx), Entry{UserID: a.UserID, Addr: a.Addr, Room: a.Room, Action: a.Action, Target: a.Target, Outcome: outcome, Detail: detail})
	if err != nil && g.Log != nil {
		g.Log.Warn("audit not written", "action", a.Action, "target", a.Target, "err", err)
	}
}
