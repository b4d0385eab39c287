package moderation

import (
	"reflect"
	"strings"
	"testing"
)

func TestMatcher(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		text     string
		all      [][2]int
	}{
		{"none", []string{"abc"}, "xyz", nil},
		{"empty set", nil, "abc", nil},
		{"classic", []string{"he", "she", "his", "hers"}, "ushers", [][2]int{{1, 4}, {0, 4}, {3, 6}}},
		{"overlap", []string{"a", "aa"}, "aaa", [][2]int{{0, 1}, {1, 2}, {0, 2}, {1, 3}, {0, 3}}},
		{"fail chain", []string{"abcd", "bc"}, "abce", [][2]int{{1, 3}}},
		{"utf8", []string{"垃圾", "骗子"}, "你是骗子吗", [][2]int{{1, 12}}},
		{"prefix of other", []string{"abc", "b"}, "ab", [][2]int{{1, 2}}},
		{"empty pattern ignored", []string{"", "x"}, "yx", [][2]int{{1, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMatcher(tt.patterns)
			got := m.FindAll([]byte(tt.text))
			if !reflect.DeepEqual(got, tt.all) {
				t.Fatalf("FindAll = %v, want %v", got, tt.all)
			}
			i, ok := m.Find([]byte(tt.text))
			if ok != (len(tt.all) > 0) {
				t.Fatalf("Find = %d,%v with all %v", i, ok, tt.all)
			}
			if ok && !strings.Contains(tt.text, tt.patterns[i]) {
				t.Fatalf("Find = %q, not in text", tt.patterns[i])
			}
		})
	}
}

// The matcher agrees with a naive search.
func FuzzMatcher(f *testing.F) {
	f.Add("ab,bc,c", "abcabc")
	f.Add("he,she,his,hers", "ushers")
	f.Fuzz(func(t *testing.T, pats, text string) {
		ps := strings.Split(pats, ",")
		if len(ps) > 50 {
			ps = ps[:50]
		}
		m := NewMatcher(ps)
		want := false
		for _, p := range ps {
			if p != "" && strings.Contains(text, p) {
				want = true
			}
		}
		i, ok := m.Find([]byte(text))
		if ok != want {
			t.Fatalf("Find(%q in %q) = %v, want %v", ps, text, ok, want)
		}
		if ok && !strings.Contains(text, ps[i]) {
			t.Fatalf("Find reported %q, not in %q", ps[i], text)
		}
		n := 0
		for _, h := range m.FindAll([]byte(text)) {
			p := ps[h[0]]
			if h[1] < len(p) || text[h[1]-len(p):h[1]] != p {
				t.Fatalf("FindAll hit %v (%q) is not at its offset in %q", h, p, text)
			}
			n++
		}
		if want && n == 0 {
			t.Fatalf("FindAll found nothing in %q", text)
		}
	})
}
