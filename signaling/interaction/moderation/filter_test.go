package moderation

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hello", "hello"},
		{"ＢＡＤ", "bad"},
		{"Ｂ-Ａ d", "bad"},
		{"ｂａｄ！", "bad"},
		{"b\u200bad", "bad"},
		{"ｶﾀｶﾅ", "カタカナ"},
		{"垃 圾", "垃圾"},
		{"①", "1"},
		{"ﬁne", "fine"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFilter(t *testing.T) {
	f, err := NewFilter([]string{"Scam", "垃圾", "ｆｒｅｅ money"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text    string
		blocked string
	}{
		{"this is a SCAM!", "Scam"},
		{"ｓｃａｍ", "Scam"},
		{"s.c.a.m", "Scam"},
		{"什么垃圾", "垃圾"},
		{"垃 圾", "垃圾"},
		{"FREE MONEY here", "ｆｒｅｅ money"},
		{"freemoney", "ｆｒｅｅ money"},
		{"lovely dress", ""},
		{"", ""},
	}
	for _, tt := range tests {
		w, ok := f.Blocked(tt.text)
		if ok != (tt.blocked != "") || w != tt.blocked {
			t.Errorf("Blocked(%q) = %q,%v; want %q", tt.text, w, ok, tt.blocked)
		}
	}
	if err := f.Set([]string{"dress"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Blocked("scam"); ok {
		t.Fatal("old list still applies after Set")
	}
	if w, ok := f.Blocked("Lovely DRESS"); !ok || w != "dress" {
		t.Fatalf("new list not applied: %q %v", w, ok)
	}
	if got := f.Words(); len(got) != 1 || got[0] != "dress" {
		t.Fatalf("Words = %v", got)
	}
	for _, bad := range [][]string{{"!!!"}, {strings.Repeat("x", MaxWordRunes+1)}, make([]string, MaxWords+1)} {
		if err := f.Set(bad); !errors.Is(err, ErrBadWordList) {
			t.Errorf("Set(%.20q) = %v, want ErrBadWordList", bad, err)
		}
	}
	if w, ok := f.Blocked("dress"); !ok || w != "dress" {
		t.Fatal("a refused Set changed the list")
	}
}

func FuzzFilter(f *testing.F) {
	f.Add("scam", "this is a ＳＣＡＭ")
	f.Add("垃圾", "垃\u200b圾")
	f.Fuzz(func(t *testing.T, word, text string) {
		flt, err := NewFilter([]string{word})
		if err != nil {
			return
		}
		_, got := flt.Blocked(text)
		want := strings.Contains(Normalize(text), Normalize(word))
		if got != want {
			t.Fatalf("Blocked(%q) with %q = %v, want %v", text, word, got, want)
		}
		// The word itself, and its full-width or upper-case form, is always blocked.
		if _, ok := flt.Blocked(word); !ok {
			t.Fatalf("word %q does not block itself", word)
		}
	})
}

func BenchmarkFilterBlocked(b *testing.B) {
	words := make([]string, 5000)
	for i := range words {
		words[i] = "blocked" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('A'+i/26%26))
	}
	words = append(words, "垃圾", "骗子")
	f, err := NewFilter(words)
	if err != nil {
		b.Fatal(err)
	}
	text := "这件衣服多少钱？ Is the ＳＩＬＫ scarf still available in red, size M?"
	b.ReportAllocs()
	for b.Loop() {
		f.Blocked(text)
	}
}
