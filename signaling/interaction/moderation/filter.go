package moderation

import (
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"unicode/utf8"
)

// Limits of a blocked-word list.
const (
	MaxWords     = 20000
	MaxWordRunes = 64
)

// ErrBadWordList means a word list is over the limits.
var ErrBadWordList = errors.New("moderation: bad word list")

// Filter refuses text containing any blocked word, compared after
// Normalize. Its list can be replaced at any time (Set) while other
// goroutines call Blocked.
type Filter struct {
	cur atomic.Pointer[filterList]
}

type filterList struct {
	words   []string // as given, deduplicated, sorted
	matcher *Matcher // over normalized words
	norm    []string
}

// NewFilter returns a filter of words.
func NewFilter(words []string) (*Filter, error) {
	f := &Filter{}
	if err := f.Set(words); err != nil {
		return nil, err
	}
	return f, nil
}

// Set replaces the list. Words are trimmed of nothing but must be 1 to
// MaxWordRunes runes and normalize to something; at most MaxWords.
func (f *Filter) Set(words []string) error {
	if len(words) > MaxWords {
		return fmt.Errorf("%w: %d words, at most %d", ErrBadWordList, len(words), MaxWords)
	}
	seen := make(map[string]bool, len(words))
	l := &filterList{}
	for _, w := range words {
		if !utf8.ValidString(w) || utf8.RuneCountInString(w) > MaxWordRunes {
			return fmt.Errorf("%w: %q must be UTF-8 of at most %d characters", ErrBadWordList, truncateRunes(w, 20), MaxWordRunes)
		}
		n := Normalize(w)
		if n == "" {
			return fmt.Errorf("%w: %q has no letters or digits", ErrBadWordList, truncateRunes(w, 20))
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		l.words = append(l.words, w)
	}
	sort.Strings(l.words)
	for _, w := range l.words {
		l.norm = append(l.norm, Normalize(w))
	}
	l.matcher = NewMatcher(l.norm)
	f.cur.Store(l)
	return nil
}

// Words returns the current list (a copy).
func (f *Filter) Words() []string {
	l := f.cur.Load()
	if l == nil {
		return []string{}
	}
	return append([]string{}, l.words...)
}

// Blocked reports whether text contains a blocked word, and which (as
// listed).
func (f *Filter) Blocked(text string) (string, bool) {
	l := f.cur.Load()
	if l == nil || len(l.words) == 0 {
		return "", false
	}
	var buf [512]byte
	i, ok := l.matcher.Find(AppendNormalized(buf[:0], text))
	if !ok {
		return "", false
	}
	return l.words[i], true
}

func truncateRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}
