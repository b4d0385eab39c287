package loadtool

import (
	"context"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	for url, ok := range map[string]bool{
		"http://127.0.0.1:8080": true, "http://[::1]:80": true, "http://localhost:1": true,
		"http://10.0.0.1": false, "https://example.com": false, "ftp://127.0.0.1": false, "127.0.0.1": false,
	} {
		if err := CheckLoopback(url); (err == nil) != ok {
			t.Errorf("%s: %v", url, err)
		}
	}
}

func TestToPayAndTwice(t *testing.T) {
	status := []int{201, 409, 201, -1, 201, 201, 500, 201}
	for _, tc := range []struct {
		share float64
		want  int
	}{{0, 0}, {0.5, 2}, {1, 5}} {
		got := ToPay(status, tc.share)
		if len(got) != tc.want {
			t.Fatalf("share %v: %d to pay, want %d", tc.share, len(got), tc.want)
		}
		seen := map[int]bool{}
		for _, i := range got {
			if status[i] != 201 || seen[i] {
				t.Fatalf("share %v: %v picks a failed or repeated attempt", tc.share, got)
			}
			seen[i] = true
		}
	}
	sends := Twice(4)
	count := map[int]int{}
	for _, k := range sends {
		count[k]++
	}
	if len(sends) != 8 || len(count) != 4 || count[0] != 2 || count[3] != 2 {
		t.Fatalf("Twice(4) = %v", sends)
	}
}

func TestRunRaceAndPercentile(t *testing.T) {
	r := RunRace(context.Background(), 50, 4, func(i int) (int, error) {
		if i%10 == 0 {
			return 0, context.DeadlineExceeded
		}
		return 201, nil
	})
	failed := 0
	for i, st := range r.Status {
		if st == -1 {
			failed++
		} else if st != 201 {
			t.Fatalf("attempt %d: status %d", i, st)
		}
	}
	if failed != 5 || r.Took <= 0 {
		t.Fatalf("%d transport failures (want 5), took %s", failed, r.Took)
	}
	d := []time.Duration{5, 1, 4, 2, 3}
	if p50, p99 := Percentile(d, 0.5), Percentile(d, 0.99); p50 != 3 || p99 != 4 {
		t.Fatalf("p50 %d p99 %d", p50, p99)
	}
	if Percentile(nil, 0.5) != 0 {
		t.Fatal("percentile of nothing")
	}
}
