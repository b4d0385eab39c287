package procstat

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    time.Duration
		wantErr bool
	}{
		{"plain", "42 (livesell) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0", 3 * time.Second, false},
		{"name with spaces and parens", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0", 30 * time.Millisecond, false},
		{"no parens", "7 livesell R", 0, true},
		{"short", "7 (x) R 1 2", 0, true},
		{"not numbers", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 a b", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.raw))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseStat = %v, %v; want %v (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestCPUOfThisProcess(t *testing.T) {
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) { // burn a little CPU
	}
	d, err := CPU(os.Getpid())
	if err != nil || d <= 0 {
		t.Fatalf("CPU(self) = %v, %v; want a positive time", d, err)
	}
	if _, err := CPU(0); err == nil {
		t.Fatal("CPU(0) did not fail")
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("42 (livesell) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if d, err := parseStat(raw); err == nil && d < 0 {
			t.Fatalf("negative CPU time %v", d)
		}
	})
}
