package main

import (
	"context"
	"io"
	"testing"
)

func TestRequireLoopback(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://localhost:8080", true},
		{"http://[::1]:8080", true},
		{"https://127.0.0.2", true},
		{"http://10.0.0.1:8080", false},
		{"http://example.com", false},
		{"ftp://127.0.0.1", false},
		{"127.0.0.1:8080", false},
	}
	for _, tt := range tests {
		if err := requireLoopback(tt.url); (err == nil) != tt.ok {
			t.Errorf("requireLoopback(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}

func TestBenchChatFlagBounds(t *testing.T) {
	for _, args := range [][]string{
		{"--viewers", "0"},
		{"--viewers", "20001"},
		{"--viewers", "10", "--senders", "11"},
		{"--rate", "-1"},
		{"--duration", "11m"},
		{"--transport", "dc", "--viewers", "501"},
		{"--transport", "carrier-pigeon"},
		{"--server", "http://192.0.2.1:8080"},
	} {
		if err := benchChat(context.Background(), args, io.Discard); err == nil {
			t.Errorf("bench chat %v: want an error", args)
		}
	}
}
