package draw_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livesell/livesell/commerce/marketing/draw"
	"github.com/livesell/livesell/commerce/marketing/guard"
	"github.com/livesell/livesell/commerce/marketing/notice"
	"github.com/livesell/livesell/commerce/marketing/risk"
	"github.com/livesell/livesell/commerce/marketing/wallet"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// verify is the independent verifier of docs/marketing.md, written apart
// from package draw's code: from the revealed seed and the published entry
// list it recomputes the first k places of the draw's order.
func verify(seedHex string, published []string, k int) []string {
	seed, err := hex.DecodeString(seedHex)
	if err != nil {
		panic(err)
	}
	uniq := map[string]bool{}
	var l []string
	for _, e := range published {
		if !uniq[e] {
			uniq[e] = true
			l = append(l, e)
		}
	}
	sort.Strings(l)
	var joined bytes.Buffer
	for i, e := range l {
		if i > 0 {
			joined.WriteByte('\n')
		}
		joined.WriteString(e)
	}
	digest := sha256.Sum256(joined.Bytes())
	var out []string
	for i := 0; i < len(l) && len(out) < k; i++ {
		msg := append(append(append([]byte{}, seed...), digest[:]...), byte(i>>24), byte(i>>16), byte(i>>8), byte(i))
		h := sha256.Sum256(msg)
		r := new(big.Int).SetBytes(h[:8])
		j := i + int(new(big.Int).Mod(r, big.NewInt(int64(len(l)-i))).Int64())
		l[i], l[j] = l[j], l[i]
		out = append(out, l[i])
	}
	return out
}

type harness struct {
	s      *draw.Service
	aud    *draw.Audience
	w      *wallet.Store
	audit  *guard.Audit
	mu     sync.Mutex
	notice map[string][]events.Notice
}

func newHarness(t *testing.T, b *backend.Backends, ns string, risk draw.Risk) *harness {
	t.Helper()
	ctx := context.Background()
	for _, m := range []func(context.Context, *backend.Backends) error{
		func(ctx context.Context, b *backend.Backends) error { return wallet.Migrate(ctx, b.SQL) },
		func(ctx context.Context, b *backend.Backends) error { return guard.Migrate(ctx, b.SQL) },
		func(ctx context.Context, b *backend.Backends) error { return draw.Migrate(ctx, b.SQL) },
	} {
		if err := m(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{w: wallet.NewStore(b.SQL), audit: guard.NewAudit(b.SQL), notice: map[string][]events.Notice{}}
	sub, err := b.NATS.Subscribe(events.NoticeSubject(ns, "*"), func(m *nats.Msg) {
		var n events.Notice
		json.Unmarshal(m.Data, &n)
		h.mu.Lock()
		h.notice[n.Kind] = append(h.notice[n.Kind], n)
		h.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Unsubscribe() })
	b.NATS.Flush()
	pub, err := notice.New(ctx, b.JetStream, ns)
	if err != nil {
		t.Fatal(err)
	}
	h.s = draw.New(draw.Deps{Redis: b.Redis, Namespace: ns, SQL: b.SQL, Notices: guard.NewNotices(pub), Risk: risk,
		Accounts: h.audit, Points: h.w, Log: testenv.Logger(t)})
	h.aud = draw.NewAudience(h.s)
	return h
}

func (h *harness) notices(kind string) []events.Notice {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]events.Notice(nil), h.notice[kind]...)
}

// TestDrawAnyoneCanVerify: viewers enter a keyword draw by commenting (some
// twice, some without the keyword); the close reveals the seed matching
// the opening's commitment, and the independent verifier recomputes the
// announced winners from the published seed and entry list — while a
// tampered list (one entry dropped, or one added) gives other winners.
func TestDrawAnyoneCanVerify(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		h := newHarness(t, b, ns, nil)
		d, err := h.s.Open(ctx, draw.Spec{Room: "r1", Title: "Lucky bag", Rule: draw.RuleKeyword, Keyword: "want", Winners: 3,
			Prize: draw.Prize{Kind: draw.PrizePoints, Points: 500}, Duration: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Commitment) != 64 || d.Seed != "" {
			t.Fatalf("opened draw leaks or lacks: %+v", d)
		}
		testenv.Eventually(t, 5*time.Second, func() bool { return len(h.notices("draw.opened")) == 1 }, "no draw.opened notice")
		if got := h.notices("draw.opened")[0]; got.Room != "r1" || !got.Reliable || !bytes.Contains(got.Data, []byte(d.Commitment)) {
			t.Fatalf("opened notice %+v", got)
		}
		entrants := 0
		for i := 0; i < 40; i++ {
			text := "hello"
			if i%4 != 0 {
				text = "I WANT it"
				entrants++
			}
			for rep := 0; rep < 2; rep++ { // a second comment is no second entry
				if err := h.aud.Handle(ctx, events.AudienceEvent{Room: "r1", Kind: events.AudienceDanmaku, Viewer: fmt.Sprint("v", i), UserID: fmt.Sprint("user-", i), Text: text}); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Another room's comments and anonymous viewers do not enter.
		h.aud.Handle(ctx, events.AudienceEvent{Room: "r2", Kind: events.AudienceDanmaku, UserID: "other", Text: "want"})
		h.aud.Handle(ctx, events.AudienceEvent{Room: "r1", Kind: events.AudienceDanmaku, Text: "want"})

		closed, err := h.s.Close(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := h.s.Entries(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if closed.Result.Entries != entrants || len(entries) != entrants || len(closed.Result.WinnerIDs) != 3 {
			t.Fatalf("entries %d/%d (want %d), winners %v", closed.Result.Entries, len(entries), entrants, closed.Result.WinnerIDs)
		}
		seed, _ := hex.DecodeString(closed.Seed)
		if c := sha256.Sum256(seed); hex.EncodeToString(c[:]) != d.Commitment {
			t.Fatalf("revealed seed does not match the commitment")
		}
		got := verify(closed.Seed, entries, 3)
		if fmt.Sprint(got) != fmt.Sprint(closed.Result.WinnerIDs) {
			t.Fatalf("verifier %v, announced %v", got, closed.Result.WinnerIDs)
		}
		dropped := append([]string{}, entries[1:]...)
		added := append([]string{"p_0000000000000000"}, entries...)
		for name, tampered := range map[string][]string{"dropped": dropped, "added": added} {
			if fmt.Sprint(verify(closed.Seed, tampered, 3)) == fmt.Sprint(closed.Result.WinnerIDs) {
				t.Fatalf("tampered list (%s) gives the same winners", name)
			}
		}
		testenv.Eventually(t, 5*time.Second, func() bool { return len(h.notices("draw.won")) == 1 }, "no draw.won notice")
		if won := h.notices("draw.won")[0]; !bytes.Contains(won.Data, []byte(closed.Seed)) || !bytes.Contains(won.Data, []byte(closed.Result.WinnerIDs[0])) {
			t.Fatalf("won notice %s", won.Data)
		}
		// No entry after the close.
		if _, _, err := h.s.Enter(ctx, d, "late-user", draw.ViaDanmaku, "want"); err != draw.ErrClosed {
			t.Fatalf("late entry: %v", err)
		}

		// Each winner sees it and claims once; the points land once.
		var winners []string
		for i := 0; i < 40; i++ {
			m, err := h.s.Me(ctx, d.ID, fmt.Sprint("user-", i))
			if err != nil {
				t.Fatal(err)
			}
			if m.Entered != (i%4 != 0) {
				t.Fatalf("user-%d entered %v", i, m.Entered)
			}
			if m.Won {
				winners = append(winners, fmt.Sprint("user-", i))
			}
		}
		if len(winners) != 3 {
			t.Fatalf("winners by Me: %v", winners)
		}
		for rep := 0; rep < 2; rep++ {
			m, err := h.s.Claim(ctx, d.ID, winners[0], "127.0.0.1")
			if err != nil || !m.Claimed {
				t.Fatalf("claim: %+v %v", m, err)
			}
		}
		if bal, _ := h.w.Balance(ctx, winners[0], wallet.Points); bal != 500 {
			t.Fatalf("winner has %d points, want 500", bal)
		}
		if _, err := h.s.Claim(ctx, d.ID, "user-0", ""); err != draw.ErrNotWinner {
			t.Fatalf("non-winner claim: %v", err)
		}
	})
}

// TestRiskHookVetoesWinner: the shop's hook vetoes one entrant; the draw
// publishes it as vetoed and the next in the order wins, as the verifier
// recomputes. A vetoed claim gives nothing.
func TestRiskHookVetoesWinner(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		const secret = "risk-secret"
		var banned string
		var mu sync.Mutex
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			h := r.Header.Get(risk.SignatureHeader)
			ts, _, _ := strings.Cut(strings.TrimPrefix(h, "t="), ",")
			sec, _ := strconv.ParseInt(ts, 10, 64)
			if risk.Sign(secret, time.Unix(sec, 0), raw) != h {
				http.Error(w, "bad signature", 401)
				return
			}
			var q risk.Check
			json.Unmarshal(raw, &q)
			mu.Lock()
			deny := q.UserID == banned || q.Action == "draw.claim"
			mu.Unlock()
			json.NewEncoder(w).Encode(risk.Verdict{Allow: !deny, Reason: "risk"})
		}))
		defer srv.Close()
		h := newHarness(t, b, ns, &guard.Risk{Hook: &risk.Webhook{URL: srv.URL, Secret: secret, Timeout: 5 * time.Second}})
		d, err := h.s.Open(ctx, draw.Spec{Room: "r1", Title: "One prize", Rule: draw.RuleOpen, Winners: 1,
			Prize: draw.Prize{Kind: draw.PrizePoints, Points: 1}, Duration: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		users := map[string]string{}
		for i := 0; i < 10; i++ {
			u := fmt.Sprint("u", i)
			p, _, err := h.s.Enter(ctx, d, u, draw.ViaButton, "")
			if err != nil {
				t.Fatal(err)
			}
			users[p] = u
		}
		// The hook vetoes u3 (whether the seed puts it first or not, the
		// published result must follow the rule).
		mu.Lock()
		banned = "u3"
		mu.Unlock()
		closed, err := h.s.Close(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		entries, _ := h.s.Entries(ctx, d.ID)
		order := verify(closed.Seed, entries, len(entries))
		var want []string
		var vetoed []string
		for _, p := range order {
			if users[p] == "u3" {
				vetoed = append(vetoed, p)
				continue
			}
			want = append(want, p)
			break
		}
		if fmt.Sprint(closed.Result.WinnerIDs) != fmt.Sprint(want) || fmt.Sprint(closed.Result.Vetoed) != fmt.Sprint(vetoed) {
			t.Fatalf("winners %v vetoed %v, want %v and %v", closed.Result.WinnerIDs, closed.Result.Vetoed, want, vetoed)
		}
		if users[closed.Result.WinnerIDs[0]] == "u3" {
			t.Fatal("the vetoed user won")
		}
		winner := users[closed.Result.WinnerIDs[0]]
		if _, err := h.s.Claim(ctx, d.ID, winner, ""); err == nil {
			t.Fatal("a claim the hook vetoes went through")
		}
		if bal, _ := h.w.Balance(ctx, winner, wallet.Points); bal != 0 {
			t.Fatalf("vetoed claim paid %d", bal)
		}
	})
}

// TestNewAccountsExcluded: with exclude_new_accounts, an account created
// (or first seen) after the draw opened cannot enter; an older one can.
func TestNewAccountsExcluded(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		h := newHarness(t, b, ns, nil)
		if err := h.audit.SetCreated(ctx, "old", time.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		d, err := h.s.Open(ctx, draw.Spec{Room: "r1", Title: "Fans only", Rule: draw.RuleOpen, Winners: 1, ExcludeNew: true,
			Prize: draw.Prize{Kind: draw.PrizePoints, Points: 1}, Duration: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.s.Enter(ctx, d, "old", draw.ViaButton, ""); err != nil {
			t.Fatalf("old account: %v", err)
		}
		// A viewer who joined the room before the opening is known from then.
		if err := h.aud.Handle(ctx, events.AudienceEvent{Room: "r1", Kind: events.AudienceJoined, UserID: "regular", At: d.OpensAt.Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.s.Enter(ctx, d, "regular", draw.ViaButton, ""); err != nil {
			t.Fatalf("a viewer seen before the opening: %v", err)
		}
		// The shop says "fresh" was created after the opening.
		if err := h.audit.SetCreated(ctx, "fresh", d.OpensAt.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.s.Enter(ctx, d, "fresh", draw.ViaButton, ""); err != draw.ErrNewAccount {
			t.Fatalf("new account: %v", err)
		}
	})
}

// TestOrderIsAPermutation checks the algorithm's shape on many sizes: the
// order holds each entry once, whatever the input order or duplicates.
func TestOrderIsAPermutation(t *testing.T) {
	seed := []byte("0123456789abcdef0123456789abcdef")
	for n := 0; n < 50; n++ {
		var in []string
		for i := n - 1; i >= 0; i-- {
			in = append(in, fmt.Sprintf("p_%02d", i), fmt.Sprintf("p_%02d", i))
		}
		out := draw.Order(seed, in, 0)
		if len(out) != n {
			t.Fatalf("n=%d: %d places", n, len(out))
		}
		seen := map[string]bool{}
		for _, p := range out {
			if seen[p] {
				t.Fatalf("n=%d: %s twice", n, p)
			}
			seen[p] = true
		}
		if fmt.Sprint(verify(hex.EncodeToString(seed), in, n)) != fmt.Sprint(out) {
			t.Fatalf("n=%d: verifier disagrees", n)
		}
	}
}

// TestAudienceFeedEntersDraw: danmaku and likes published on the node's
// audience feed (as the interaction layer does) enter keyword and like
// draws of their room.
func TestAudienceFeedEntersDraw(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		h := newHarness(t, b, ns, nil)
		feed := events.NewLocalAudience()
		stop, err := h.aud.Start(ctx, feed)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		kw, err := h.s.Open(ctx, draw.Spec{Room: "r1", Title: "kw", Rule: draw.RuleKeyword, Keyword: "想要", Winners: 1, Prize: draw.Prize{Kind: draw.PrizePoints, Points: 1}, Duration: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		like, err := h.s.Open(ctx, draw.Spec{Room: "r1", Title: "like", Rule: draw.RuleLike, Winners: 1, Prize: draw.Prize{Kind: draw.PrizePoints, Points: 1}, Duration: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		h.aud.Forget()
		feed.Publish([]events.AudienceEvent{
			{Room: "r1", Kind: events.AudienceDanmaku, Viewer: "v1", UserID: "amy", Text: "我想要这个"},
			{Room: "r1", Kind: events.AudienceDanmaku, Viewer: "v2", UserID: "ben", Text: "nice"},
			{Room: "r1", Kind: events.AudienceLike, Viewer: "v2", UserID: "ben", Count: 3},
		})
		entered := func(id, user string) bool {
			m, err := h.s.Me(ctx, id, user)
			return err == nil && m.Entered
		}
		testenv.Eventually(t, 5*time.Second, func() bool { return entered(kw.ID, "amy") && entered(like.ID, "ben") }, "feed events did not enter the draws")
		if entered(kw.ID, "ben") || entered(like.ID, "amy") {
			t.Fatal("an event entered a draw whose rule it does not meet")
		}
	})
}

// TestEntriesOnceAcrossNodes: two nodes (two services on one Redis and
// one SQL store) see the same viewers' comments at once — each user is
// one entry, and the published list has each pseudonym once.
func TestEntriesOnceAcrossNodes(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		h := newHarness(t, b, ns, nil)
		other := draw.New(draw.Deps{Redis: b.Redis, Namespace: ns, SQL: b.SQL, Points: h.w, Log: testenv.Logger(t)})
		d, err := h.s.Open(ctx, draw.Spec{Room: "r1", Title: "x", Rule: draw.RuleKeyword, Keyword: "want", Winners: 2,
			Prize: draw.Prize{Kind: draw.PrizePoints, Points: 1}, Duration: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		fresh := 0
		for _, node := range []*draw.Service{h.s, other, h.s, other} {
			for i := 0; i < 25; i++ {
				wg.Add(1)
				go func(node *draw.Service, user string) {
					defer wg.Done()
					_, isNew, err := node.Enter(ctx, d, user, draw.ViaDanmaku, "want")
					if err != nil {
						t.Error(err)
					}
					if isNew {
						mu.Lock()
						fresh++
						mu.Unlock()
					}
				}(node, fmt.Sprint("u", i))
			}
		}
		wg.Wait()
		closed, err := other.Close(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fresh != 25 || closed.Result.Entries != 25 {
			t.Fatalf("%d new entries, %d published; want 25 and 25", fresh, closed.Result.Entries)
		}
		// A second close (the other node) answers the same result.
		again, err := h.s.Close(ctx, d.ID)
		if err != nil || fmt.Sprint(again.Result.WinnerIDs) != fmt.Sprint(closed.Result.WinnerIDs) || again.Seed != closed.Seed {
			t.Fatalf("second close %+v %v", again.Result, err)
		}
	})
}
