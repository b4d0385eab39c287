// Package durable runs the durable JetStream consumers of commerce (the
// order-event followers of coupons, gifts and tags): one consumer
// configuration, and a consume loop whose stop waits for the handler in
// flight.
package durable

import (
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Config is a durable consumer named name of the subjects matching filter:
// every message from the first, each acknowledged explicitly (redelivered
// after 30 s unacknowledged), at most 1000 in flight.
func Config(name, filter string) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       name,
		FilterSubject: filter,
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
		AckWait:       30 * time.Second,
	}
}

// Consume runs handle on each message of cons. The returned stop ends the
// delivery and waits until the handlers in flight have returned; no
// handler starts after it (a message that arrives meanwhile is left
// unacknowledged, so it is redelivered).
func Consume(cons jetstream.Consumer, handle jetstream.MessageHandler) (stop func(), err error) {
	// Handlers register under mu, so that stop can wait for the running
	// ones without racing a handler that starts meanwhile.
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		stopped bool
	)
	enter := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return false
		}
		wg.Add(1)
		return true
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		if !enter() {
			return
		}
		defer wg.Done()
		handle(m)
	})
	if err != nil {
		return nil, fmt.Errorf("consume: %w", err)
	}
	return func() {
		cc.Stop()
		mu.Lock()
		stopped = true
		mu.Unlock()
		wg.Wait()
	}, nil
}
