package interaction

import (
	"testing"
	"time"

	"github.com/livesell/livesell/internal/config"
)

func TestLimitsPerUserAndIP(t *testing.T) {
	c := config.Default().Chat // 1 danmaku/s (burst 3) per user, 20/s (burst 60) per IP
	now := time.Unix(1000, 0)
	tests := []struct {
		name    string
		users   int
		ip      string
		each    int
		allowed int
	}{
		{"one user, burst of 3", 1, "203.0.113.9", 5, 3},
		{"many users behind one IP share its bucket", 30, "203.0.113.10", 3, 60},
		{"no IP (loopback: this host's proxy) has no IP limit", 30, "", 3, 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimits(c)
			got := 0
			for u := 0; u < tt.users; u++ {
				for i := 0; i < tt.each; i++ {
					if ok, _ := l.allow("danmaku", string(rune('a'+u)), tt.ip, now); ok {
						got++
					}
				}
			}
			if got != tt.allowed {
				t.Fatalf("allowed %d, want %d", got, tt.allowed)
			}
		})
	}
}

func TestWebSocketsPerIP(t *testing.T) {
	s := &wsServer{perIP: map[string]int{}}
	for i := 0; i < MaxWebSocketsPerIP; i++ {
		s.count("203.0.113.7", 1)
	}
	if n := s.count("203.0.113.7", 0); n != MaxWebSocketsPerIP {
		t.Fatalf("count = %d", n)
	}
	for i := 0; i < MaxWebSocketsPerIP; i++ {
		s.count("203.0.113.7", -1)
	}
	if n := s.count("203.0.113.7", 0); n != 0 || len(s.perIP) != 0 {
		t.Fatalf("count after close = %d, map %v", n, s.perIP)
	}
}
