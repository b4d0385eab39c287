package moderation

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Normalize folds s for keyword matching: compatibility (NFKC) and width
// folding (full-width Ｌａｔｉｎ and digits become ASCII, half-width katakana
// become full-width), lower case, and every space, punctuation mark, symbol
// joiner or control character dropped, so that "Ｂ-Ａ d" and "bad" compare
// equal. The result is only for matching; the text shown is never altered.
func Normalize(s string) string {
	return string(AppendNormalized(make([]byte, 0, len(s)), s))
}

// AppendNormalized appends the normalized form of s to dst.
func AppendNormalized(dst []byte, s string) []byte {
	s = width.Fold.String(norm.NFKC.String(s))
	for _, r := range s {
		if r == utf8.RuneError || skipRune(r) {
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

func skipRune(r rune) bool {
	switch {
	case unicode.IsSpace(r), unicode.IsPunct(r), unicode.IsControl(r):
		return true
	case unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me): // zero-width joiners, combining marks
		return true
	case r == '_' || r == '*' || r == '~' || r == '^' || r == '`' || r == '|' || r == '+' || r == '=':
		return true
	}
	return false
}
