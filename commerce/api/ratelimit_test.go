package api

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := newLimiter(3, time.Second)
	now := time.Now()
	for i := 0; i < 3; i++ {
		if !l.allow("u", now) {
			t.Fatalf("attempt %d refused", i)
		}
	}
	if l.allow("u", now) {
		t.Fatal("4th attempt in the window allowed")
	}
	if !l.allow("v", now) {
		t.Fatal("another user refused")
	}
	if !l.allow("u", now.Add(time.Second)) {
		t.Fatal("next window refused")
	}
}
