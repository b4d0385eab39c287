package protocol

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string. <, > and & are escaped too, so
// the output is safe even inside HTML; invalid UTF-8 becomes U+FFFD.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendHead(b []byte, typ string) []byte {
	b = append(b, `{"v":1,"type":"`...)
	b = append(b, typ...)
	return append(b, '"')
}

// AppendDanmaku appends d as a JSON object.
func AppendDanmaku(b []byte, d *Danmaku) []byte {
	b = append(b, `{"id":`...)
	b = AppendString(b, d.ID)
	b = append(b, `,"user":`...)
	b = AppendString(b, d.User)
	if d.Name != "" {
		b = append(b, `,"name":`...)
		b = AppendString(b, d.Name)
	}
	b = append(b, `,"text":`...)
	b = AppendString(b, d.Text)
	b = append(b, `,"at":`...)
	b = strconv.AppendInt(b, d.At, 10)
	if d.VIP {
		b = append(b, `,"vip":true`...)
	}
	return append(b, '}')
}

// BatchHeader is the shared part of a batch.
type BatchHeader struct {
	Online     int64
	LikesTotal int64
	// Dropped counts danmaku the room itself dropped this interval.
	Dropped int
}

// AppendBatchStart appends the start of a batch up to the danmaku array's
// opening bracket; append danmaku objects (comma-separated) with
// AppendDanmaku, then finish with AppendBatchEnd.
func AppendBatchStart(b []byte, h BatchHeader) []byte {
	b = appendHead(b, TypeBatch)
	b = append(b, `,"online":`...)
	b = strconv.AppendInt(b, h.Online, 10)
	b = append(b, `,"likes_total":`...)
	b = strconv.AppendInt(b, h.LikesTotal, 10)
	return append(b, `,"danmaku":[`...)
}

// AppendBatchEnd closes a batch started by AppendBatchStart and returns the
// offset at which the dropped count starts, for WithDropped.
func AppendBatchEnd(b []byte, dropped int) ([]byte, int) {
	b = append(b, `],"dropped":`...)
	at := len(b)
	b = strconv.AppendInt(b, int64(dropped), 10)
	return append(b, '}'), at
}

// WithDropped appends to dst a copy of the batch frame whose dropped count
// starts at offset at, with that count replaced by dropped. It lets every
// viewer share one encoded batch and only a viewer that lost danmaku pay
// for a private copy (into a buffer it reuses).
func WithDropped(dst, frame []byte, at, dropped int) []byte {
	dst = append(dst, frame[:at]...)
	dst = strconv.AppendInt(dst, int64(dropped), 10)
	return append(dst, '}')
}

// AppendError appends an error event.
func AppendError(b []byte, code, message, ref string) []byte {
	b = appendHead(b, TypeError)
	b = append(b, `,"code":`...)
	b = AppendString(b, code)
	b = append(b, `,"message":`...)
	b = AppendString(b, message)
	if ref != "" {
		b = append(b, `,"ref":`...)
		b = AppendString(b, ref)
	}
	return append(b, '}')
}

// AppendAck appends the acknowledgement of an accepted message.
func AppendAck(b []byte, ref, id string) []byte {
	b = appendHead(b, TypeAck)
	if ref != "" {
		b = append(b, `,"ref":`...)
		b = AppendString(b, ref)
	}
	if id != "" {
		b = append(b, `,"id":`...)
		b = AppendString(b, id)
	}
	return append(b, '}')
}

// AppendPong answers a ping.
func AppendPong(b []byte, ref string) []byte {
	b = appendHead(b, TypePong)
	if ref != "" {
		b = append(b, `,"ref":`...)
		b = AppendString(b, ref)
	}
	return append(b, '}')
}

// AppendState appends a room state change (live, paused, ended, idle).
func AppendState(b []byte, state string) []byte {
	b = appendHead(b, TypeState)
	b = append(b, `,"state":`...)
	b = AppendString(b, state)
	return append(b, '}')
}

// AppendDelete appends the removal of a danmaku.
func AppendDelete(b []byte, messageID string) []byte {
	b = appendHead(b, TypeDelete)
	b = append(b, `,"message_id":`...)
	b = AppendString(b, messageID)
	return append(b, '}')
}

// AppendPinned appends the anchor's announcement (empty text unpins).
func AppendPinned(b []byte, p Pinned) []byte {
	b = appendHead(b, TypePinned)
	b = append(b, `,"text":`...)
	b = AppendString(b, p.Text)
	b = append(b, `,"at":`...)
	b = strconv.AppendInt(b, p.At, 10)
	return append(b, '}')
}

// AppendTicker appends a purchase notice.
func AppendTicker(b []byte, t Ticker) []byte {
	b = appendHead(b, TypeTicker)
	b = append(b, `,"product_title":`...)
	b = AppendString(b, t.ProductTitle)
	if t.City != "" {
		b = append(b, `,"city":`...)
		b = AppendString(b, t.City)
	}
	b = append(b, `,"quantity":`...)
	b = strconv.AppendInt(b, int64(t.Quantity), 10)
	return append(b, '}')
}

// AppendCard appends a product card event; card is the JSON of an
// events.ProductCard (already validated by the caller).
func AppendCard(b []byte, card json.RawMessage) []byte {
	b = appendHead(b, TypeCard)
	b = append(b, `,"card":`...)
	b = append(b, card...)
	return append(b, '}')
}

// Welcome is what a client receives when it joins a room.
type Welcome struct {
	Room       string
	You        You
	State      string
	Card       json.RawMessage // nil when no card is shown
	Recent     [][]byte        // encoded danmaku objects, oldest first
	Pinned     Pinned
	Online     int64
	LikesTotal int64
}

// AppendWelcome appends a welcome.
func AppendWelcome(b []byte, w *Welcome) []byte {
	b = appendHead(b, TypeWelcome)
	b = append(b, `,"room":`...)
	b = AppendString(b, w.Room)
	you, _ := json.Marshal(w.You)
	b = append(b, `,"you":`...)
	b = append(b, you...)
	b = append(b, `,"state":`...)
	b = AppendString(b, w.State)
	b = append(b, `,"card":`...)
	if len(w.Card) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, w.Card...)
	}
	b = append(b, `,"recent":[`...)
	for i, d := range w.Recent {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, d...)
	}
	b = append(b, `],"pinned":`...)
	if w.Pinned.Text == "" {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"text":`...)
		b = AppendString(b, w.Pinned.Text)
		b = append(b, `,"at":`...)
		b = strconv.AppendInt(b, w.Pinned.At, 10)
		b = append(b, '}')
	}
	b = append(b, `,"online":`...)
	b = strconv.AppendInt(b, w.Online, 10)
	b = append(b, `,"likes_total":`...)
	b = strconv.AppendInt(b, w.LikesTotal, 10)
	return append(b, '}')
}
