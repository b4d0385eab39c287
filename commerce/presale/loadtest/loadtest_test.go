package loadtest_test

import (
	"testing"

	"github.com/livesell/livesell/commerce/presale/loadtest"
)

func TestCheckLoopback(t *testing.T) {
	for url, ok := range map[string]bool{
		"http://127.0.0.1:8080": true, "http://[::1]:80": true, "http://localhost:1": true,
		"http://10.0.0.1": false, "https://example.com": false, "ftp://127.0.0.1": false, "127.0.0.1": false,
	} {
		if err := loadtest.CheckLoopback(url); (err == nil) != ok {
			t.Errorf("%s: %v", url, err)
		}
	}
}
