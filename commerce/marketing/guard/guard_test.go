package guard_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/marketing/guard"
	"github.com/livesell/livesell/commerce/marketing/risk"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// TestLimits: per-user and per-address budgets hold across calls (and
// nodes: the counts are in Redis), and a refused action counts nothing.
func TestLimits(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		l := guard.NewLimiter(b.Redis, ns)
		lim := guard.Limits{PerUser: guard.Limit{N: 3, Window: time.Minute}, PerAddr: guard.Limit{N: 5, Window: time.Minute}}
		got := func(user, addr string) bool {
			ok, err := l.Allow(ctx, "grab", user, addr, lim)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		for i := 0; i < 3; i++ {
			if !got("amy", "10.0.0.1") {
				t.Fatalf("amy's action %d refused", i)
			}
		}
		if got("amy", "10.0.0.1") {
			t.Fatal("amy's 4th action allowed")
		}
		// Another user from the same address has the address's 2 left.
		if !got("ben", "10.0.0.1") || !got("ben", "10.0.0.1") || got("ben", "10.0.0.1") {
			t.Fatal("the per-address budget of 5 did not hold")
		}
		// The same user from another address is still limited as a user.
		if got("amy", "10.0.0.2") {
			t.Fatal("amy escaped her budget by changing address")
		}
	})
}

// signed reports whether r carries risk.Sign's signature of body.
func signed(r *http.Request, secret string, body []byte) bool {
	h := r.Header.Get(risk.SignatureHeader)
	ts, _, ok := strings.Cut(strings.TrimPrefix(h, "t="), ",")
	sec, err := strconv.ParseInt(ts, 10, 64)
	return ok && err == nil && risk.Sign(secret, time.Unix(sec, 0), body) == h
}

// TestRiskHook: the hook's verdict is followed; each question is signed;
// a hook that fails or is slow vetoes unless FailOpen; no hook allows.
func TestRiskHook(t *testing.T) {
	const secret = "s3cret"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		if !signed(r, secret, raw) {
			http.Error(w, "bad", 401)
			return
		}
		var c risk.Check
		json.Unmarshal(raw, &c)
		switch c.UserID {
		case "slow":
			time.Sleep(300 * time.Millisecond)
		case "broken":
			http.Error(w, "down", 500)
			return
		}
		json.NewEncoder(w).Encode(risk.Verdict{Allow: c.UserID != "bot" && c.Subject == "d1", Reason: "bot farm"})
	}))
	defer srv.Close()
	ctx := context.Background()
	hook := &risk.Webhook{URL: srv.URL, Secret: secret, Timeout: 100 * time.Millisecond}
	r := &guard.Risk{Hook: hook}
	for _, c := range []struct {
		user string
		want bool
	}{{"amy", true}, {"bot", false}, {"slow", false}, {"broken", false}} {
		if v := r.Ask(ctx, guard.Question{Action: "draw.win", UserID: c.user, Target: "d1"}); v.Allow != c.want {
			t.Errorf("%s: allow %v, want %v (%s)", c.user, v.Allow, c.want, v.Reason)
		}
	}
	hook.FailOpen = true
	if v := r.Ask(ctx, guard.Question{Action: "draw.win", UserID: "broken", Target: "d1"}); !v.Allow {
		t.Error("fail-open hook vetoed on failure")
	}
	wrong := &guard.Risk{Hook: &risk.Webhook{URL: srv.URL, Secret: "other", Timeout: time.Second}}
	if v := wrong.Ask(ctx, guard.Question{Action: "draw.win", UserID: "amy", Target: "d1"}); v.Allow {
		t.Error("a hook refusing our signature allowed")
	}
	if v := (&guard.Risk{}).Ask(ctx, guard.Question{}); !v.Allow {
		t.Error("no hook vetoed")
	}
}

// TestAudit: the trail keeps who, when, from where, what and the outcome,
// newest first; first sightings keep the earliest time.
func TestAudit(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		if err := guard.Migrate(ctx, b.SQL); err != nil {
			t.Fatal(err)
		}
		a := guard.NewAudit(b.SQL)
		t0 := time.Now().Add(-time.Minute).UTC().Truncate(time.Millisecond)
		for i, out := range []string{"grabbed", "refused"} {
			if err := a.Record(ctx, guard.Entry{At: t0.Add(time.Duration(i) * time.Second), UserID: "amy", Addr: "10.0.0.1", Room: "r1", Action: "redpacket.grab", Target: "rp_1", Outcome: out}); err != nil {
				t.Fatal(err)
			}
		}
		es, err := a.Trail(ctx, "rp_1", 10)
		if err != nil || len(es) != 2 || es[0].Outcome != "refused" || es[1].Addr != "10.0.0.1" || !es[1].At.Equal(t0) {
			t.Fatalf("trail %+v %v", es, err)
		}
		first, _ := a.Seen(ctx, "amy", t0)
		again, _ := a.Seen(ctx, "amy", t0.Add(time.Hour))
		if !first.Equal(t0) || !again.Equal(t0) {
			t.Fatalf("first sighting %v then %v, want %v", first, again, t0)
		}
	})
}
