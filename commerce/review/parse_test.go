package review

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseReplayEvent: a replay page's report is refused or comes out
// with a known kind, a token viewer, and clean bounded strings.
func FuzzParseReplayEvent(f *testing.F) {
	for _, s := range []string{`{"kind":"view","viewer":"p1"}`, `{"kind":"chapter","viewer":"p1","product_id":"P1"}`, `{"kind":"cart","viewer":"","product_id":"x"}`, `[]`, `{"kind":"click","viewer":"a","product_id":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := ParseReplayEvent(data)
		if err != nil {
			return
		}
		switch ev.Kind {
		case ReplayView, ReplayChapter, ReplayClick, ReplayCart:
		default:
			t.Fatalf("kind %q accepted", ev.Kind)
		}
		if !token(ev.Viewer, 64) || !utf8.ValidString(ev.ProductID) || strings.ContainsAny(ev.ProductID+ev.Referrer, "\x00\n\r") || (ev.Kind != ReplayView && ev.ProductID == "") {
			t.Fatalf("accepted %+v", ev)
		}
	})
}

// FuzzParseCard: a card from NATS is refused or has a valid room and clean fields.
func FuzzParseCard(f *testing.F) {
	for _, s := range []string{`{"room":"r1","shown":true,"product_id":"P1","title":"Tea","version":1,"at":"2026-03-01T10:00:00Z"}`, `{"room":"bad room"}`, `{"room":"r","title":"\u0007"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCard(data)
		if err != nil {
			return
		}
		if c.Room == "" || !clean(c.Title, 512) || !clean(c.ProductID, 128) || c.Variants != nil {
			t.Fatalf("accepted %+v", c)
		}
	})
}

// FuzzParseOrderEvent: an order event is refused or has ids, a time, a
// known type and no negative amounts.
func FuzzParseOrderEvent(f *testing.F) {
	for _, s := range []string{`{"id":"e1","type":"paid","order_id":"o1","room":"r1","product_id":"P1","quantity":1,"amount_minor":800,"at":"2026-03-01T10:00:00Z"}`, `{"id":"e","type":"paid","order_id":"o","amount_minor":-1,"at":"2026-03-01T10:00:00Z"}`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := ParseOrderEvent(data)
		if err != nil {
			return
		}
		if ev.ID == "" || ev.OrderID == "" || ev.At.IsZero() || ev.AmountMinor < 0 || ev.Quantity < 0 {
			t.Fatalf("accepted %+v", ev)
		}
	})
}

// TestParseReplayEvent names what the page may send.
func TestParseReplayEvent(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{`{"kind":"view","viewer":"p1"}`, true},
		{`{"kind":"chapter","viewer":"p1","product_id":"P1"}`, true},
		{`{"kind":"chapter","viewer":"p1"}`, false},
		{`{"kind":"view","viewer":"p 1"}`, false},
		{`{"kind":"view","viewer":""}`, false},
		{`{"kind":"order","viewer":"p1"}`, false},
		{`{"kind":"view","viewer":"p1","referrer":"a\nb"}`, false},
		{`not json`, false},
	} {
		if _, err := ParseReplayEvent([]byte(c.in)); (err == nil) != c.ok {
			t.Errorf("ParseReplayEvent(%s): err %v, want ok %v", c.in, err, c.ok)
		}
	}
}

// TestCSVFormulaSafe: a referrer that looks like a formula is quoted.
func TestCSVFormulaSafe(t *testing.T) {
	r := Report{Audience: Audience{Sources: []Source{{Referrer: "=HYPERLINK(\"x\")", Viewers: 1}}}}
	if out := string(CSV(r)); !strings.Contains(out, `'=HYPERLINK`) {
		t.Fatalf("csv: %s", out)
	}
}
