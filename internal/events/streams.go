package events

import (
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// OrdersStreamConfig is the one configuration of the order events stream:
// every capability that creates it (commerce's outbox relay, the
// interaction layer's ticker) uses this, so whoever starts first makes the
// same stream. Duplicates is the window in which a republished outbox row
// (same Nats-Msg-Id) is dropped.
func OrdersStreamConfig(ns string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:       OrdersStream(ns),
		Subjects:   []string{OrderSubject(ns, ">")},
		Storage:    jetstream.FileStorage,
		Duplicates: 10 * time.Minute,
		MaxAge:     30 * 24 * time.Hour,
	}
}

// CardsStreamConfig is the one configuration of the product-card stream:
// the last card of each room is kept, so a viewer who joins sees it.
func CardsStreamConfig(ns string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              CardsStream(ns),
		Subjects:          []string{CardSubject(ns, "*")},
		MaxMsgsPerSubject: 1,
		Storage:           jetstream.FileStorage,
	}
}

// EntitlementsStreamConfig is the one configuration of the entitlement
// events stream (written by the presale outbox, read by the admission
// caches and the reminder scheduler); Duplicates drops a republished
// outbox row.
func EntitlementsStreamConfig(ns string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:       EntitlementsStream(ns),
		Subjects:   []string{EntitlementSubject(ns, "*")},
		Storage:    jetstream.FileStorage,
		Duplicates: 10 * time.Minute,
		MaxAge:     30 * 24 * time.Hour,
	}
}

// ShowsStreamConfig is the one configuration of the show events stream
// (published by signaling when a scheduled room is rescheduled or
// cancelled, read by the reminder scheduler and the presale refunds).
func ShowsStreamConfig(ns string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:       ShowsStream(ns),
		Subjects:   []string{ShowSubject(ns, "*")},
		Storage:    jetstream.FileStorage,
		Duplicates: 10 * time.Minute,
		MaxAge:     30 * 24 * time.Hour,
	}
}
