package guard

import (
	"context"
	"log/slog"
	"time"

	"github.com/livesell/livesell/commerce/marketing/risk"
)

// Question is what the risk hook is asked: may user (from addr) have
// action on target? Action is "draw.win" or "draw.claim".
type Question struct {
	Action string
	UserID string
	Addr   string
	Room   string
	Target string
}

// Verdict is the hook's answer.
type Verdict struct {
	Allow  bool
	Reason string
}

// Risk asks the shop's risk hook — the one webhook coupon claims ask too
// (commerce/marketing/risk: a signed POST answered {"allow", "reason"}).
// Without a hook every action is allowed; a hook that fails answers as its
// FailOpen says (by default: veto).
type Risk struct {
	Hook risk.Hook
	Log  *slog.Logger
}

// Ask returns the hook's verdict on q.
func (r *Risk) Ask(ctx context.Context, q Question) Verdict {
	if r == nil || r.Hook == nil {
		return Verdict{Allow: true}
	}
	v, err := r.Hook.Decide(ctx, risk.Check{Action: q.Action, Room: q.Room, UserID: q.UserID, Addr: q.Addr, Subject: q.Target, At: time.Now().UTC()})
	if err != nil && r.Log != nil {
		r.Log.Warn("risk hook failed", "action", q.Action, "target", q.Target, "allow", v.Allow, "err", err)
	}
	return Verdict{Allow: v.Allow, Reason: v.Reason}
}
