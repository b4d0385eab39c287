package presale

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Guest is one line of a guest list: a user to entitle, at a tier ("":
// the offer's first tier).
type Guest struct {
	Line   int    `json:"line"`
	UserID string `json:"user_id"`
	Tier   string `json:"tier,omitempty"`
}

// LineError says why one line of a guest list was refused.
type LineError struct {
	Line    int    `json:"line"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Guest-list line error codes.
const (
	LineBadUser    = "invalid_user_id"
	LineBadFields  = "invalid_fields"
	LineBadTier    = "unknown_tier"
	LineDuplicate  = "duplicate"
	LineBadText    = "invalid_text"
	MaxGuestLines  = 50_000
	maxUserIDBytes = 128
)

// ParseGuestList reads a guest list: one "user_id[,tier]" per line, an
// optional header line "user_id[,tier]", blank lines and lines starting
// with '#' skipped, fields optionally in double quotes. Each refused line
// gets its own error (its 1-based number, a code, a message); the others
// are returned. ok is false when the whole list is unreadable (too many lines).
func ParseGuestList(body []byte) (guests []Guest, errs []LineError, ok bool) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")) // a spreadsheet's BOM
	seen := map[string]int{}
	n := 0
	for len(body) > 0 {
		n++
		if n > MaxGuestLines {
			return nil, nil, false
		}
		var line []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			line, body = body, nil
		}
		text := strings.TrimSpace(strings.TrimSuffix(string(line), "\r"))
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if !utf8.ValidString(text) {
			errs = append(errs, LineError{n, LineBadText, "the line is not UTF-8 text"})
			continue
		}
		fields := strings.Split(text, ",")
		for i, f := range fields {
			f = strings.TrimSpace(f)
			if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
				f = strings.TrimSpace(f[1 : len(f)-1])
			}
			fields[i] = f
		}
		if len(guests) == 0 && len(errs) == 0 && strings.EqualFold(fields[0], "user_id") {
			continue // the header
		}
		if len(fields) > 2 {
			errs = append(errs, LineError{n, LineBadFields, "a line is user_id or user_id,tier (" + strconv.Itoa(len(fields)) + " fields)"})
			continue
		}
		user := fields[0]
		if msg := badUserID(user); msg != "" {
			errs = append(errs, LineError{n, LineBadUser, msg})
			continue
		}
		tier := ""
		if len(fields) == 2 {
			tier = fields[1]
			if !tierName.MatchString(tier) {
				errs = append(errs, LineError{n, LineBadTier, "the tier is 1 to 32 of a-z 0-9 _ -"})
				continue
			}
		}
		if first, dup := seen[user]; dup {
			errs = append(errs, LineError{n, LineDuplicate, "the user is listed already on line " + strconv.Itoa(first)})
			continue
		}
		seen[user] = n
		guests = append(guests, Guest{Line: n, UserID: user, Tier: tier})
	}
	return guests, errs, true
}

// badUserID says what is wrong with a user id ("" when nothing).
func badUserID(u string) string {
	switch {
	case u == "":
		return "the user id is empty"
	case len(u) > maxUserIDBytes:
		return "the user id is longer than 128 bytes"
	}
	for _, r := range u {
		if r < 0x20 || r == 0x7f || r == '"' {
			return "the user id holds a control character or a quote"
		}
	}
	return ""
}

// ImportResult is what a guest-list import did.
type ImportResult struct {
	Granted int         `json:"granted"`
	Already int         `json:"already"`
	Errors  []LineError `json:"errors"`
}

// ImportGuests entitles every valid guest of body to room (source
// guest_list), one transaction and one event per new line; refused lines
// are reported with their reasons.
func (s *Entitlements) ImportGuests(ctx context.Context, room string, body []byte) (ImportResult, bool, error) {
	off, err := s.offer(ctx, room)
	if err != nil {
		return ImportResult{}, true, err
	}
	guests, errs, ok := ParseGuestList(body)
	if !ok {
		return ImportResult{}, false, nil
	}
	res := ImportResult{Errors: append([]LineError{}, errs...)}
	now := s.now()
	for _, g := range guests {
		tier := g.Tier
		if tier == "" {
			tier = off.Tiers[0].Name
		}
		if _, ok := off.Tier(tier); !ok {
			res.Errors = append(res.Errors, LineError{g.Line, LineBadTier, "the offer has no tier " + strconv.Quote(tier)})
			continue
		}
		fresh, err := s.store.Grant(ctx, Entitlement{Room: room, UserID: g.UserID, Tier: tier, Source: "guest_list"}, now)
		if err != nil {
			return res, true, err
		}
		if s.passes != nil {
			s.passes.drop(room, g.UserID)
		}
		if fresh {
			res.Granted++
		} else {
			res.Already++
		}
	}
	sortLineErrors(res.Errors)
	return res, true, nil
}

func sortLineErrors(es []LineError) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].Line < es[j-1].Line; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// Grant entitles user to room's tier by the operator or the shop's backend (source api).
func (s *Entitlements) Grant(ctx context.Context, room, user, tier, source string) (Entitlement, error) {
	off, err := s.offer(ctx, room)
	if err != nil {
		return Entitlement{}, err
	}
	if tier == "" {
		tier = off.Tiers[0].Name
	}
	if _, ok := off.Tier(tier); !ok {
		return Entitlement{}, ErrNoTier
	}
	if msg := badUserID(user); msg != "" {
		return Entitlement{}, invalid("%s", msg)
	}
	e := Entitlement{Room: room, UserID: user, Tier: tier, Source: source, GrantedAt: s.now()}
	if _, err := s.store.Grant(ctx, e, e.GrantedAt); err != nil {
		return Entitlement{}, err
	}
	if s.passes != nil {
		s.passes.drop(room, user)
	}
	return e, nil
}

// Revoke ends user's entitlement to room (tier "" = every tier) by the operator.
func (s *Entitlements) Revoke(ctx context.Context, room, user, tier string) error {
	if err := s.store.Revoke(ctx, room, user, tier, "operator", s.now()); err != nil {
		return err
	}
	if s.passes != nil {
		s.passes.drop(room, user)
	}
	return nil
}
