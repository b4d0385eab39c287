package roomid

import (
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	for id, want := range map[string]bool{
		"spring-sale": true, "R_1": true, strings.Repeat("a", 64): true,
		"": false, strings.Repeat("a", 65): false, "a.b": false, "a b": false, "a/b": false, "a*": false, "a>": false, "ü": false,
	} {
		if got := Valid(id); got != want {
			t.Errorf("Valid(%q) = %v, want %v", id, got, want)
		}
	}
}

func FuzzValid(f *testing.F) {
	f.Add("spring-sale")
	f.Add("a.b")
	f.Fuzz(func(t *testing.T, id string) {
		if Valid(id) && (len(id) > MaxLen || strings.ContainsAny(id, ". */>\x00")) {
			t.Fatalf("Valid(%q)", id)
		}
	})
}
