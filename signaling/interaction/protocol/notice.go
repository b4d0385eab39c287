package protocol

import (
	"encoding/json"
	"time"
)

// TypeNotice is an outbound room notice (a coupon pushed live, a draw
// opened, a red packet launched, a large gift): see docs/protocol.md.
const TypeNotice = "notice"

// Limits of a room notice relayed from another capability.
const (
	// MaxNoticeKind bounds a notice's kind ("coupon.pushed").
	MaxNoticeKind = 64
	// MaxNoticeData bounds a notice's JSON body.
	MaxNoticeData = 8 << 10
)

// Notice is a room notice as clients receive it. Data is valid JSON (the
// caller has checked it) passed through unchanged; Until is zero for a
// notice without an end.
type Notice struct {
	ID       string
	Kind     string
	Data     json.RawMessage
	Reliable bool
	Until    time.Time
	At       time.Time
}

// AppendNotice appends a notice message.
func AppendNotice(b []byte, n *Notice) []byte {
	b = appendHead(b, TypeNotice)
	b = append(b, `,"id":`...)
	b = AppendString(b, n.ID)
	b = append(b, `,"kind":`...)
	b = AppendString(b, n.Kind)
	b = append(b, `,"data":`...)
	if len(n.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, n.Data...)
	}
	b = append(b, `,"reliable":`...)
	if n.Reliable {
		b = append(b, "true"...)
	} else {
		b = append(b, "false"...)
	}
	if !n.Until.IsZero() {
		b = append(b, `,"until":`...)
		b = AppendString(b, n.Until.UTC().Format(time.RFC3339Nano))
	}
	b = append(b, `,"at":`...)
	b = AppendString(b, n.At.UTC().Format(time.RFC3339Nano))
	return append(b, '}')
}
