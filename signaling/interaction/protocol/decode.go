package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Error is a refusal with a stable code, sent back to the client as an
// error event.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of an *Error in err's chain, or CodeInternal.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Decode parses and checks one inbound message. Every failure is an *Error
// with code invalid_message (or too_long for an oversized message); the Ref of
// a message that was readable enough is returned with it so that the error
// event can echo it.
func Decode(data []byte) (Inbound, error) {
	var m Inbound
	if len(data) > MaxMessageBytes {
		return m, Errorf(CodeTooLong, "message is %d bytes, at most %d", len(data), MaxMessageBytes)
	}
	if !utf8.Valid(data) {
		return m, Errorf(CodeInvalidMessage, "message is not UTF-8")
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return Inbound{}, Errorf(CodeInvalidMessage, "message is not a JSON object of the protocol")
	}
	if len(m.Ref) > MaxIDLength {
		m.Ref = ""
		return m, Errorf(CodeInvalidMessage, "ref is longer than %d bytes", MaxIDLength)
	}
	if m.V != Version {
		return m, Errorf(CodeInvalidMessage, "unsupported protocol version %d (want %d)", m.V, Version)
	}
	switch m.Type {
	case TypeHello:
		if len(m.Token) > MaxTokenLength || len(m.PushKey) > MaxTokenLength {
			return m, Errorf(CodeInvalidMessage, "token is too long")
		}
	case TypeDanmaku, TypePin:
		// Length is checked after trimming, by the room (too_long).
		if m.Type == TypeDanmaku && m.Text == "" {
			return m, Errorf(CodeInvalidMessage, "danmaku needs text")
		}
	case TypeLike:
		if m.Count == 0 {
			m.Count = 1
		}
		if m.Count < 1 || m.Count > MaxLikeCount {
			return m, Errorf(CodeInvalidMessage, "like count must be 1 to %d", MaxLikeCount)
		}
	case TypeClick, TypeWant:
		if !ValidID(m.ProductID) {
			return m, Errorf(CodeInvalidMessage, "product_id must be 1 to %d characters of A-Z a-z 0-9 _ - . :", MaxIDLength)
		}
	case TypeDelete:
		if !ValidID(m.MessageID) {
			return m, Errorf(CodeInvalidMessage, "message_id is missing or malformed")
		}
	case TypeMute, TypeBan:
		if m.UserID == "" || len(m.UserID) > MaxIDLength {
			return m, Errorf(CodeInvalidMessage, "user_id must be 1 to %d bytes", MaxIDLength)
		}
		if m.Duration < 0 || m.Duration > MaxSanctionSeconds {
			return m, Errorf(CodeInvalidMessage, "duration must be 0 to %d seconds", MaxSanctionSeconds)
		}
	case TypePing:
	case "":
		return m, Errorf(CodeInvalidMessage, "type is missing")
	default:
		return m, Errorf(CodeInvalidMessage, "unknown message type %q", truncate(m.Type, 32))
	}
	return m, nil
}

// ValidID reports whether s is a usable id: 1 to MaxIDLength characters of
// A-Z a-z 0-9 _ - . : (safe in NATS subjects' payloads, Redis keys and logs).
func ValidID(s string) bool {
	if s == "" || len(s) > MaxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
