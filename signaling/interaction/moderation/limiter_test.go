package moderation

import (
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name  string
		rate  float64
		burst float64
		steps []struct {
			at   time.Duration
			cost float64
			ok   bool
		}
	}{
		{"burst then refuse", 1, 3, []struct {
			at   time.Duration
			cost float64
			ok   bool
		}{{0, 1, true}, {0, 1, true}, {0, 1, true}, {0, 1, false}, {time.Second, 1, true}, {time.Second, 1, false}}},
		{"refill capped at burst", 10, 2, []struct {
			at   time.Duration
			cost float64
			ok   bool
		}{{0, 2, true}, {time.Hour, 2, true}, {time.Hour, 1, false}, {time.Hour + 100*time.Millisecond, 1, true}}},
		{"cost larger than burst", 5, 5, []struct {
			at   time.Duration
			cost float64
			ok   bool
		}{{0, 6, false}, {0, 5, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBucket(tt.rate, tt.burst, t0)
			for i, s := range tt.steps {
				if got := b.Allow(t0.Add(s.at), s.cost); got != s.ok {
					t.Fatalf("step %d (%v, cost %v) = %v, want %v", i, s.at, s.cost, got, s.ok)
				}
			}
		})
	}
}

func TestLimiterKeysAndSweep(t *testing.T) {
	l := NewLimiter(Rate{PerSecond: 1, Burst: 1})
	t0 := time.Unix(1000, 0)
	if !l.Allow("u1", t0, 1) || l.Allow("u1", t0, 1) {
		t.Fatal("u1: want one then refused")
	}
	if !l.Allow("u2", t0, 1) {
		t.Fatal("u2 is limited by u1's bucket")
	}
	if l.Len() != 2 {
		t.Fatalf("Len = %d", l.Len())
	}
	// After a minute both buckets are full again and get swept.
	if !l.Allow("u3", t0.Add(2*time.Minute), 1) {
		t.Fatal("u3 refused")
	}
	if l.Len() != 1 {
		t.Fatalf("Len after sweep = %d, want 1", l.Len())
	}
	if NewLimiter(Rate{}).Allow("x", t0, 1) {
		t.Fatal("zero rate allowed")
	}
}
