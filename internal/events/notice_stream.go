package events

import (
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// NoticesStream is the JetStream stream keeping recent room notices, so
// that a node starting a room later still shows the reliable notices that
// are current (a coupon still counting down) to the members who join.
func NoticesStream(ns string) string { return strings.ToUpper(ns) + "_NOTICES" }

// MaxKeptNotices is how many recent notices the stream keeps per room.
const MaxKeptNotices = 16

// NoticesStreamConfig is the one configuration of the notices stream:
// the publisher (commerce) and every interaction node create it alike.
// Duplicates drops a notice republished with the same id (Nats-Msg-Id).
func NoticesStreamConfig(ns string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              NoticesStream(ns),
		Subjects:          []string{NoticeSubject(ns, "*")},
		MaxMsgsPerSubject: MaxKeptNotices,
		MaxAge:            24 * time.Hour,
		Storage:           jetstream.FileStorage,
		Duplicates:        2 * time.Minute,
	}
}
