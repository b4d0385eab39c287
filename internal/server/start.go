package server

import (
	"context"
	"fmt"
	"net"
	"time"
)

// Start serves s on a new listener at addr (use "127.0.0.1:0" for a free
// loopback port) in the background. It returns the node's base URL and a
// stop function that shuts the node down gracefully and waits for it,
// reporting an error if that takes longer than wait.
func (s *Server) Start(addr string, wait time.Duration) (baseURL string, stop func() error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Close(context.Background())
		return "", nil, fmt.Errorf("server: listen %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	stop = func() error {
		cancel()
		select {
		case err := <-served:
			return err
		case <-time.After(wait):
			return fmt.Errorf("server: did not stop within %s", wait)
		}
	}
	return "http://" + ln.Addr().String(), stop, nil
}
