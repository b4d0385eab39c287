package review

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// clock is the test's injectable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// rig is a running review service on real backends, with the feeds the
// composer would give it.
type rig struct {
	t     *testing.T
	b     *backend.Backends
	ns    string
	feed  events.AudienceFeed
	svc   *Service
	clock *clock
	seq   int
}

func newRig(t *testing.T, b *backend.Backends, ns string, tweak func(*Options)) *rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := Migrate(ctx, b.SQL); err != nil {
		t.Fatal(err)
	}
	var feed events.AudienceFeed = events.NewLocalAudience()
	if !slices.Contains(b.Embedded, "nats") {
		feed = events.NewNATSAudience(b.NATS, ns, testenv.Logger(t))
	}
	r := &rig{t: t, b: b, ns: ns, feed: feed, clock: &clock{}}
	opts := Options{Store: NewStore(b.SQL), NATS: b.NATS, JetStream: b.JetStream, Namespace: ns, Audience: feed, Now: r.clock.Now, Log: testenv.Logger(t)}
	if tweak != nil {
		tweak(&opts)
	}
	r.svc = New(opts)
	if err := r.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.svc.Close)
	if err := b.NATS.Flush(); err != nil {
		t.Fatal(err)
	}
	return r
}

// audience publishes events through the feed the interaction layer uses.
func (r *rig) audience(evs ...events.AudienceEvent) {
	r.feed.Publish(evs)
	if err := r.b.NATS.Flush(); err != nil {
		r.t.Fatal(err)
	}
}

// card publishes a product card on the cards stream, as commerce does.
func (r *rig) card(c events.ProductCard) {
	b, _ := json.Marshal(c)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.b.JetStream.CreateStream(ctx, events.CardsStreamConfig(r.ns)); err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		r.t.Fatal(err)
	}
	if _, err := r.b.JetStream.Publish(ctx, events.CardSubject(r.ns, c.Room), b); err != nil {
		r.t.Fatal(err)
	}
}

// order publishes an order event on the orders stream, as the outbox does.
func (r *rig) order(ev events.OrderEvent) {
	r.seq++
	ev.ID = ev.OrderID + "-" + ev.Type
	b, _ := json.Marshal(ev)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.b.JetStream.Publish(ctx, events.OrderSubject(r.ns, ev.Type), b, jetstream.WithMsgID(ev.ID)); err != nil {
		r.t.Fatal(err)
	}
}

// rows waits until table holds want rows of room.
func (r *rig) rows(table, room string, want int) {
	r.t.Helper()
	testenv.Eventually(r.t, 20*time.Second, func() bool {
		var n int
		if err := r.b.SQL.QueryRow(`SELECT COUNT(*) FROM `+table+` WHERE room = $1`, room).Scan(&n); err != nil {
			r.t.Fatal(err)
		}
		return n == want
	}, "%s never held %d rows of %s", table, want, room)
}

func (r *rig) currentShow(room string) Show {
	r.t.Helper()
	var sh Show
	testenv.Eventually(r.t, 20*time.Second, func() bool {
		shows, err := r.svc.Store().Shows(context.Background(), room)
		if err != nil {
			r.t.Fatal(err)
		}
		if len(shows) == 0 {
			return false
		}
		sh = shows[0]
		return true
	}, "no show of %s", room)
	return sh
}

// TestScriptedShowReport: a scripted show — five viewers joining and
// leaving at known times (one of them back from an earlier show, one with
// two overlapping sessions), danmaku, likes, gifts, two products presented,
// clicks, add-to-cart, orders paid and refunded, a replay with chapter plays
// and an order — gives, live and final, the numbers computed here by hand;
// the final report goes to a signed webhook.
func TestScriptedShowReport(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		hooks := make(chan hookCall, 4)
		secret := []byte("review-webhook-secret-0123456789abcdef")
		url := webhookServer(t, hooks)
		r := newRig(t, b, ns, func(o *Options) { o.WebhookURL, o.WebhookSecret = url, secret })
		room := "show-" + ns
		t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		at := func(min, sec int) time.Time {
			return t0.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
		}
		state := func(s string, when time.Time) events.AudienceEvent {
			return events.AudienceEvent{Room: room, Kind: events.AudienceState, Text: s, At: when}
		}
		ev := func(kind, viewer, user string, when time.Time) events.AudienceEvent {
			return events.AudienceEvent{Room: room, Kind: kind, Viewer: viewer, UserID: user, At: when}
		}
		with := func(e events.AudienceEvent, f func(*events.AudienceEvent)) events.AudienceEvent { f(&e); return e }
		join := func(viewer, user, ref string, when time.Time) events.AudienceEvent {
			return with(ev(events.AudienceJoined, viewer, user, when), func(e *events.AudienceEvent) { e.Referrer = ref })
		}
		leave := func(viewer, user string, when time.Time) events.AudienceEvent {
			return ev(events.AudienceLeft, viewer, user, when)
		}
		product := func(kind, viewer, user, p string, when time.Time) events.AudienceEvent {
			return with(ev(kind, viewer, user, when), func(e *events.AudienceEvent) { e.ProductID = p })
		}
		count := func(kind, viewer, user string, n int, when time.Time) events.AudienceEvent {
			return with(ev(kind, viewer, user, when), func(e *events.AudienceEvent) { e.Count = n })
		}
		say := func(viewer, user, id, text string, when time.Time) events.AudienceEvent {
			return with(ev(events.AudienceDanmaku, viewer, user, when), func(e *events.AudienceEvent) { e.MessageID, e.Text, e.Name = id, text, "name-"+user })
		}
		order := func(typ, id, user, p string, qty int, amount int64, when time.Time) {
			r.order(events.OrderEvent{Type: typ, OrderID: id, Room: room, ProductID: p, UserID: user, Quantity: qty, AmountMinor: amount, Currency: "CNY", At: when})
		}
		card := func(p, title string, shown bool, price, live int64, version int64, when time.Time) {
			r.card(events.ProductCard{Room: room, Shown: shown, ProductID: p, Title: title, PriceMinor: price, LivePriceMinor: live, Currency: "CNY", Version: version, At: when})
		}

		// An earlier show of the room, where u1 watched: u1 returns.
		r.clock.set(t0.Add(-23 * time.Hour))
		r.audience(state("live", t0.Add(-24*time.Hour)), join("p-u1", "u1", "", t0.Add(-24*time.Hour+time.Minute)), state("ended", t0.Add(-23*time.Hour)))
		r.rows("review_audience", room, 1)

		// The show, up to 5:00.
		r.audience(state("live", t0),
			join("p-u1", "u1", "share-1", at(0, 0)),
			say("p-u1", "u1", "m1", "hi", at(0, 30)),
			join("p-u2", "u2", "https://host.example/shop", at(1, 0)),
		)
		card("P1", "Tea", true, 1000, 800, 1, at(1, 0))
		r.rows("review_cards", room, 1)
		r.audience(
			product(events.AudienceClick, "p-u1", "u1", "P1", at(1, 10)),
			product(events.AudienceCart, "p-u1", "u1", "P1", at(1, 15)),
			product(events.AudienceClick, "p-u2", "u2", "P1", at(1, 20)),
			say("p-u2", "u2", "m2", "多少钱", at(1, 30)),
			say("p-u2", "u2", "m3", "spam to delete", at(1, 45)),
			join("anon3", "", "", at(2, 0)),
			count(events.AudienceLike, "anon3", "", 5, at(2, 10)),
			join("anon3", "", "", at(2, 30)),
			product(events.AudienceClick, "anon3", "", "P1", at(2, 40)),
			leave("anon3", "", at(3, 0)),
			join("p-u4", "u4", "share-1", at(3, 0)),
			count(events.AudienceLike, "p-u4", "u4", 3, at(3, 20)),
			leave("p-u2", "u2", at(4, 0)),
			leave("anon3", "", at(5, 0)),
			with(ev(events.AudienceDanmakuDeleted, "", "", at(4, 30)), func(e *events.AudienceEvent) { e.MessageID = "m3" }),
		)
		card("P1", "Tea", true, 1000, 800, 2, at(2, 0)) // a stock change: the same chapter
		card("", "", false, 0, 0, 3, at(4, 0))
		order(events.OrderCreated, "o1", "u1", "P1", 1, 800, at(1, 30))
		order(events.OrderPaid, "o1", "u1", "P1", 1, 800, at(1, 40))
		order(events.OrderCreated, "o2", "u2", "P1", 2, 1600, at(3, 0))
		order(events.OrderPaid, "o2", "u2", "P1", 2, 1600, at(3, 10))
		order(events.OrderCreated, "o3", "u4", "P1", 1, 800, at(5, 0))
		r.rows("review_orders", room, 5)
		r.rows("review_cards", room, 3)
		r.rows("review_audience", room, 1+3+15)

		// Live: the report up to now (5:00) — a show still running.
		r.clock.set(at(5, 0))
		sh := r.currentShow(room)
		live, err := r.svc.Report(context.Background(), sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		if live.Final || live.DurationMS != 300_000 || live.Audience.Peak != 4 || !live.Audience.PeakAt.Equal(at(3, 0)) || live.Audience.UniqueViewers != 4 ||
			live.Money.Orders != 3 || live.Money.GMV != 3200 || live.Money.PaidGMV != 2400 || len(live.Chapters) != 1 || live.Interaction.Likes != 8 {
			t.Fatalf("live report at 5:00 = %+v", live)
		}
		// v1..v4 watched 5:00, 3:00, 3:00 (two sessions, 2:00–5:00), 2:00 so far.
		if live.Audience.AvgWatchMS != (300_000+180_000+180_000+120_000)/4 || live.Audience.MedianWatchMS != 180_000 {
			t.Errorf("live watch times: avg %d, median %d", live.Audience.AvgWatchMS, live.Audience.MedianWatchMS)
		}

		// The rest of the show, its end at 12:00, the replay.
		card("P2", "Cup", true, 2000, 0, 4, at(6, 0))
		r.audience(
			join("p-u2", "u2", "ignored: not the first join", at(6, 0)),
			product(events.AudienceClick, "p-u4", "u4", "P2", at(6, 10)),
			product(events.AudienceCart, "p-u4", "u4", "P2", at(6, 20)),
			product(events.AudienceClick, "p-u2", "u2", "P1", at(6, 30)), // not P1's window
			product(events.AudienceClick, "p-u1", "u1", "P2", at(7, 0)),
			count(events.AudienceGift, "p-u4", "u4", 2, at(7, 0)),
			product(events.AudienceCart, "p-u2", "u2", "P2", at(7, 30)),
			leave("p-u2", "u2", at(8, 0)),
			leave("p-u1", "u1", at(10, 0)),
			join("p-u5", "u5", "", at(11, 30)),
			leave("p-u5", "u5", at(11, 40)),
		)
		card("", "", false, 0, 0, 5, at(9, 0))
		order(events.OrderPaid, "o3", "u4", "P1", 1, 800, at(5, 30))
		order(events.OrderCreated, "o4", "u4", "P2", 1, 2000, at(6, 40))
		order(events.OrderCreated, "o5", "u1", "P2", 3, 6000, at(8, 30))
		order(events.OrderPaid, "o5", "u1", "P2", 3, 6000, at(8, 45))
		order(events.OrderCreated, "o7", "u5", "P1", 1, 800, at(9, 30))
		order(events.OrderRefunded, "o2", "u2", "P1", 2, 1600, at(11, 0))
		order(events.OrderCreated, "o6", "u2", "P2", 1, 2000, at(12, 30)) // from the replay
		order(events.OrderPaid, "o6", "u2", "P2", 1, 2000, at(12, 40))
		r.rows("review_orders", room, 13)
		r.rows("review_cards", room, 5)
		replay := func(kind, viewer, p string, when time.Time) events.AudienceEvent {
			return events.AudienceEvent{Room: room, Kind: kind, Viewer: viewer, ProductID: p, Replay: true, At: when}
		}
		r.audience(replay(events.AudienceJoined, "r1", "", at(12, 10)), replay(events.AudienceChapter, "r1", "P2", at(12, 11)),
			replay(events.AudienceJoined, "r2", "", at(13, 0)), replay(events.AudienceChapter, "r2", "P2", at(13, 1)),
			replay(events.AudienceChapter, "r2", "P1", at(13, 5)), replay(events.AudienceJoined, "r1", "", at(14, 0)))
		r.clock.set(at(15, 0))
		r.audience(state("ended", at(12, 0)))

		var hook hookCall
		for hook.body == nil {
			select {
			case h := <-hooks:
				var head struct{ Show Show }
				if json.Unmarshal(h.body, &head); head.Show.ID == sh.ID {
					hook = h
				}
			case <-time.After(20 * time.Second):
				t.Fatal("no webhook after the show ended")
			}
		}
		if err := Verify(secret, hook.header, hook.body, r.clock.Now(), 5*time.Minute); err != nil {
			t.Fatalf("webhook: %v", err)
		}
		var sent Report
		if err := json.Unmarshal(hook.body, &sent); err != nil {
			t.Fatal(err)
		}
		final, err := r.svc.Report(context.Background(), sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := handReport(sh, t0, at)
		for name, got := range map[string]Report{"webhook": sent, "final": final} {
			g, w := normalize(t, got), normalize(t, want)
			if !reflect.DeepEqual(g, w) {
				gb, _ := json.MarshalIndent(g, "", " ")
				wb, _ := json.MarshalIndent(w, "", " ")
				t.Errorf("%s report differs from the hand-computed one:\n got %s\nwant %s", name, gb, wb)
			}
		}
		if hook.header.Get(HeaderEvent) != "show.report" {
			t.Errorf("webhook event header %q", hook.header.Get(HeaderEvent))
		}
	})
}

// normalize turns a report into its JSON form (times compared as text).
func normalize(t *testing.T, r Report) map[string]any {
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// handReport is the scripted show's report, worked out by hand.
func handReport(sh Show, t0 time.Time, at func(int, int) time.Time) Report {
	sh.EndedAt = at(12, 0)
	ch1 := Chapter{ProductID: "P1", Title: "Tea", PriceMinor: 1000, LivePriceMinor: 800, Currency: "CNY", Start: at(1, 0), End: at(4, 0), OffsetMS: 60_000, DurationMS: 180_000}
	ch2 := Chapter{ProductID: "P2", Title: "Cup", PriceMinor: 2000, Currency: "CNY", Start: at(6, 0), End: at(9, 0), OffsetMS: 360_000, DurationMS: 180_000}
	return Report{
		Show: sh, Final: true, DurationMS: 720_000, Currency: "CNY", AfterMinutes: 5,
		Audience: Audience{
			Curve: []Point{{at(0, 0), 1}, {at(1, 0), 2}, {at(2, 0), 3}, {at(3, 0), 4}, {at(4, 0), 3}, {at(5, 0), 2}, {at(6, 0), 3},
				{at(8, 0), 2}, {at(10, 0), 1}, {at(11, 30), 2}, {at(11, 40), 1}},
			Peak: 4, PeakAt: at(3, 0), UniqueViewers: 5,
			// u1 10:00, u2 3:00+2:00, anon3 2:00–5:00, u4 3:00–12:00, u5 0:10
			AvgWatchMS: (600_000 + 300_000 + 180_000 + 540_000 + 10_000) / 5, MedianWatchMS: 300_000,
			WatchBuckets: []Bucket{{0, 60_000, 1}, {60_000, 300_000, 1}, {300_000, 900_000, 3}, {900_000, 1_800_000, 0}, {1_800_000, 0, 0}},
			NewViewers:   4, ReturningViewers: 1,
			Sources: []Source{{"direct", 2}, {"share-1", 2}, {"https://host.example/shop", 1}},
		},
		Interaction: Interaction{
			Danmaku: 3, Likes: 8, Gifts: 2,
			DanmakuByMinute: []int{1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			LikesByMinute:   []int{0, 0, 5, 3, 0, 0, 0, 0, 0, 0, 0, 0},
			GiftsByMinute:   []int{0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0},
			Interacted:      4, Rate: 0.8,
		},
		Chapters: []Chapter{ch1, ch2},
		Products: []Window{
			{Chapter: ch1, Impressions: 4, Clicks: 3, Carts: 1, Sales: Sales{2, 3, 2400}, PaidOrders: 2, PaidGMV: 2400, Conversion: 0.5, After: Sales{1, 1, 800}},
			{Chapter: ch2, Impressions: 3, Clicks: 2, Carts: 2, Sales: Sales{2, 4, 8000}, PaidOrders: 1, PaidGMV: 6000, Conversion: 2.0 / 3, After: Sales{1, 1, 2000}},
		},
		Money: Money{
			Sales: Sales{6, 9, 12000}, PaidOrders: 4, PaidGMV: 9200, AOV: 2300, Refunds: 1, RefundedMinor: 1600,
			ByProduct: []ProductMoney{
				{ProductID: "P1", Sales: Sales{4, 5, 4000}, PaidOrders: 3, PaidGMV: 3200, Refunds: 1, RefundedMinor: 1600},
				{ProductID: "P2", Sales: Sales{2, 4, 8000}, PaidOrders: 1, PaidGMV: 6000},
			},
			GMVByMinute:  []int64{0, 800, 0, 1600, 0, 800, 2000, 0, 6000, 800, 0, 0},
			PaidByMinute: []int64{0, 800, 0, 1600, 0, 800, 0, 0, 6000, 0, 0, 0},
		},
		Replay: Replay{Views: 3, UniqueViewers: 2, ChapterPlays: 3, PlaysByProd: map[string]int{"P1": 1, "P2": 2},
			Sales: Sales{1, 1, 2000}, PaidOrders: 1, PaidGMV: 2000},
	}
}

type hookCall struct {
	header http.Header
	body   []byte
}

// webhookServer is a loopback receiver of report webhooks.
func webhookServer(t *testing.T, calls chan<- hookCall) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		select {
		case calls <- hookCall{r.Header.Clone(), body}:
		default:
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/hook"
}
