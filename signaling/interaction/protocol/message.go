package protocol

import "github.com/livesell/livesell/internal/apierr"

// Version is the protocol version every message carries as "v".
const Version = 1

// Inbound message types (viewer, anchor or admin → room).
const (
	TypeHello   = "hello"
	TypeDanmaku = "danmaku"
	TypeLike    = "like"
	TypeClick   = "click"
	TypeWant    = "want"
	TypePin     = "pin"
	TypeDelete  = "delete"
	TypeMute    = "mute"
	TypeBan     = "ban"
	TypePing    = "ping"
)

// Outbound message types (room → client).
const (
	TypeWelcome = "welcome"
	TypeBatch   = "batch"
	TypeCard    = "card"
	TypeTicker  = "ticker"
	TypeState   = "state"
	TypePinned  = "pinned"
	TypeError   = "error"
	TypeAck     = "ack"
	TypePong    = "pong"
)

// Limits of inbound messages.
const (
	// MaxMessageBytes bounds one inbound message before decoding.
	MaxMessageBytes = 4 << 10
	// MaxLikeCount bounds the count of one like message.
	MaxLikeCount = 100
	// MaxIDLength bounds product, message and user ids and refs.
	MaxIDLength = 128
	// MaxTokenLength bounds a token or push key in a hello message.
	MaxTokenLength = 8 << 10
	// MaxSanctionSeconds bounds a mute or ban duration (30 days).
	MaxSanctionSeconds = 30 * 24 * 3600
)

// Error codes sent in error events (and, where they apply, in HTTP error
// bodies): the interaction entries of the one error catalogue.
const (
	CodeInvalidMessage = string(apierr.CodeInvalidMessage)
	CodeTooLong        = string(apierr.CodeTooLong)
	CodeBlockedWord    = string(apierr.CodeBlockedWord)
	CodeRateLimited    = string(apierr.CodeRateLimited)
	CodeMuted          = string(apierr.CodeMuted)
	CodeBanned         = string(apierr.CodeBanned)
	CodeLoginRequired  = string(apierr.CodeLoginRequired)
	CodeForbidden      = string(apierr.CodeForbidden)
	CodeInvalidToken   = string(apierr.CodeInvalidToken)
	CodeInternal       = string(apierr.CodeInternal)
	// CodeTicketRequired: the room is for ticket holders (or this tier may
	// not comment); CodeTicketCheckUnavailable: the ticket could not be
	// checked, retry.
	CodeTicketRequired         = string(apierr.CodeTicketRequired)
	CodeTicketCheckUnavailable = string(apierr.CodeTicketCheckUnavailable)
)

// Inbound is one decoded client message. Only the fields of its Type are
// meaningful; Decode has checked them.
type Inbound struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	// Ref is an optional client reference echoed in the ack or error.
	Ref string `json:"ref,omitempty"`
	// Text of a danmaku or pin (not yet trimmed or filtered).
	Text string `json:"text,omitempty"`
	// Count of a like.
	Count int `json:"count,omitempty"`
	// ProductID of a click or want.
	ProductID string `json:"product_id,omitempty"`
	// MessageID of a delete.
	MessageID string `json:"message_id,omitempty"`
	// UserID of a mute or ban.
	UserID string `json:"user_id,omitempty"`
	// Duration of a mute or ban in seconds; 0 means the default.
	Duration int `json:"duration,omitempty"`
	// Token is a user JWT (or the admin token) in a hello.
	Token string `json:"token,omitempty"`
	// PushKey is the room's push key in an anchor's hello.
	PushKey string `json:"push_key,omitempty"`
}

// Danmaku is one accepted comment, as relayed between nodes and shown to
// viewers. Text is plain text: clients must render it as text, never HTML.
type Danmaku struct {
	ID   string `json:"id"`
	User string `json:"user"`
	Name string `json:"name,omitempty"`
	Text string `json:"text"`
	// At is the acceptance time in unix milliseconds.
	At int64 `json:"at"`
	// VIP marks a danmaku of a ticket tier that highlights its comments.
	VIP bool `json:"vip,omitempty"`
}

// Ticker is a purchase notice without personal data.
type Ticker struct {
	ProductTitle string `json:"product_title"`
	City         string `json:"city,omitempty"`
	Quantity     int    `json:"quantity"`
}

// You describes the receiving client in a welcome.
type You struct {
	UserID    string `json:"user_id"`
	Name      string `json:"name,omitempty"`
	Anonymous bool   `json:"anonymous,omitempty"`
	Anchor    bool   `json:"anchor,omitempty"`
	Admin     bool   `json:"admin,omitempty"`
	CanChat   bool   `json:"can_chat"`
}

// Pinned is the anchor's announcement; empty Text means none.
type Pinned struct {
	Text string `json:"text"`
	At   int64  `json:"at"`
}
