package apierr

import (
	"net/http"
	"sort"
	"time"
)

// Code is a stable, machine-readable error code. Every code the API can
// answer is declared once below, in the catalogue, with its HTTP status and
// default message; handlers name a code and never a status.
//
// Naming: a malformed input is invalid_<thing>, a missing resource is
// <thing>_not_found, a missing credential is missing_token.
type Code string

// Entry is one row of the catalogue.
type Entry struct {
	Code    Code
	Status  int
	Message string
	// RetryAfter, when positive, is sent as Retry-After unless the error
	// sets its own.
	RetryAfter time.Duration
}

// The catalogue. Keep it sorted by area; docs/errors.md and the OpenAPI
// document (components.schemas.Error) list the same codes, and
// TestCatalogueDocumented keeps the three equal.
const (
	// Requests in general.
	CodeInvalidRequest       Code = "invalid_request"
	CodeInvalidJSON          Code = "invalid_json"
	CodeBodyTooLarge         Code = "body_too_large"
	CodeUnsupportedMediaType Code = "unsupported_media_type"
	CodeNotFound             Code = "not_found"
	CodeMethodNotAllowed     Code = "method_not_allowed"
	CodeRequestTimeout       Code = "request_timeout"
	CodeRateLimited          Code = "rate_limited"
	CodeInternal             Code = "internal"
	CodeShuttingDown         Code = "shutting_down"
	CodeNotReady             Code = "not_ready"
	CodeTimeout              Code = "timeout"

	// Credentials.
	CodeMissingToken      Code = "missing_token"
	CodeInvalidToken      Code = "invalid_token"
	CodeInvalidPushKey    Code = "invalid_push_key"
	CodePushKeyRevoked    Code = "push_key_revoked"
	CodeCredentialInQuery Code = "credential_in_query"
	CodeTooManyFailures   Code = "too_many_failures"
	CodeAdminOnly         Code = "admin_only"
	CodePushKeyRequired   Code = "push_key_required"
	CodeForbidden         Code = "forbidden"
	CodeRoomForbidden     Code = "room_forbidden"
	CodeNotYourSession    Code = "not_your_session"
	CodeBuyerOnly         Code = "buyer_only"
	CodeLoginRequired     Code = "login_required"

	// Rooms.
	CodeInvalidRoomID        Code = "invalid_room_id"
	CodeInvalidRoom          Code = "invalid_room"
	CodeRoomNotFound         Code = "room_not_found"
	CodeRoomExists           Code = "room_exists"
	CodeRoomEnded            Code = "room_ended"
	CodeTooManyKeys          Code = "too_many_keys"
	CodeRoomBusy             Code = "room_busy"
	CodeNotLive              Code = "not_live"
	CodeCapacity             Code = "capacity"
	CodeOwnershipUnavailable Code = "ownership_unavailable"
	CodeTooManyConnections   Code = "too_many_connections"
	CodeWebSocketRequired    Code = "websocket_required"

	// WHIP/WHEP media sessions.
	CodeInvalidSDP           Code = "invalid_sdp"
	CodeUnsupportedMedia     Code = "unsupported_media"
	CodeInvalidLayer         Code = "invalid_layer"
	CodeUnknownLayer         Code = "unknown_layer"
	CodeSessionNotFound      Code = "session_not_found"
	CodeIfMatchRequired      Code = "if_match_required"
	CodeETagMismatch         Code = "etag_mismatch"
	CodeInvalidSDPFrag       Code = "invalid_sdpfrag"
	CodeICERestartFailed     Code = "ice_restart_failed"
	CodeUnsupportedCandidate Code = "unsupported_candidate"
	CodeUnknownMid           Code = "unknown_mid"

	// Room interaction (also the codes of `error` frames on the data channel
	// and WebSocket, see docs/protocol.md).
	CodeInvalidMessage Code = "invalid_message"
	CodeTooLong        Code = "too_long"
	CodeBlockedWord    Code = "blocked_word"
	CodeMuted          Code = "muted"
	CodeBanned         Code = "banned"
	CodeInvalidUserID  Code = "invalid_user_id"

	// Commerce.
	CodeInvalidProduct       Code = "invalid_product"
	CodeProductNotFound      Code = "product_not_found"
	CodeOrderNotFound        Code = "order_not_found"
	CodePaymentNotFound      Code = "payment_not_found"
	CodeProviderNotFound     Code = "provider_not_found"
	CodeSoldOut              Code = "sold_out"
	CodeLimitReached         Code = "limit_reached"
	CodeSaleNotStarted       Code = "sale_not_started"
	CodeStateConflict        Code = "state_conflict"
	CodeIdempotencyKeyReused Code = "idempotency_key_reused"
	CodeAmountMismatch       Code = "amount_mismatch"
	CodeStockBelowHeld       Code = "stock_below_held"
	CodeInvalidImage         Code = "invalid_image"
	CodePaymentRefused       Code = "payment_refused"
	CodeUnpaidLimit          Code = "unpaid_limit"
	CodeStoreUnavailable     Code = "store_unavailable"
	CodePriceBelowFloor      Code = "price_below_floor"
	CodeProductNotInRoom     Code = "product_not_in_room"
)

var entries = []Entry{
	{CodeInvalidRequest, http.StatusBadRequest, "the request is not valid", 0},
	{CodeInvalidJSON, http.StatusBadRequest, "the body is not the JSON object this endpoint expects", 0},
	{CodeBodyTooLarge, http.StatusRequestEntityTooLarge, "the body is too large", 0},
	{CodeUnsupportedMediaType, http.StatusUnsupportedMediaType, "the Content-Type is not accepted here", 0},
	{CodeNotFound, http.StatusNotFound, "no such endpoint", 0},
	{CodeMethodNotAllowed, http.StatusMethodNotAllowed, "the method is not allowed here", 0},
	{CodeRequestTimeout, http.StatusRequestTimeout, "the request took too long to arrive", 0},
	{CodeRateLimited, http.StatusTooManyRequests, "too many requests; slow down", time.Second},
	{CodeInternal, http.StatusInternalServerError, "internal server error", 0},
	{CodeShuttingDown, http.StatusServiceUnavailable, "this node is shutting down", 5 * time.Second},
	{CodeNotReady, http.StatusServiceUnavailable, "this node is not ready", time.Second},
	{CodeTimeout, http.StatusServiceUnavailable, "the server did not answer in time", 5 * time.Second},

	{CodeMissingToken, http.StatusUnauthorized, "a bearer token is required", 0},
	{CodeInvalidToken, http.StatusUnauthorized, "the token is not valid", 0},
	{CodeInvalidPushKey, http.StatusUnauthorized, "the push key is not valid for this room", 0},
	{CodePushKeyRevoked, http.StatusUnauthorized, "the push key was revoked", 0},
	{CodeCredentialInQuery, http.StatusBadRequest, "credentials go in the Authorization header, never in the URL", 0},
	{CodeTooManyFailures, http.StatusTooManyRequests, "too many failed authentications; slow down", 2 * time.Second},
	{CodeAdminOnly, http.StatusForbidden, "only the admin token may do this", 0},
	{CodePushKeyRequired, http.StatusForbidden, "publish with a push key of the room, not the admin token", 0},
	{CodeForbidden, http.StatusForbidden, "not allowed", 0},
	{CodeRoomForbidden, http.StatusForbidden, "the token does not admit this room", 0},
	{CodeNotYourSession, http.StatusForbidden, "this session belongs to another viewer", 0},
	{CodeBuyerOnly, http.StatusForbidden, "orders are placed with a user token", 0},
	{CodeLoginRequired, http.StatusUnauthorized, "sign in to do this", 0},

	{CodeInvalidRoomID, http.StatusBadRequest, "a room id is 1 to 64 characters of A-Z a-z 0-9 _ -", 0},
	{CodeInvalidRoom, http.StatusBadRequest, "the room is not valid", 0},
	{CodeRoomNotFound, http.StatusNotFound, "no such room", 0},
	{CodeRoomExists, http.StatusConflict, "a room with this id already exists", 0},
	{CodeRoomEnded, http.StatusConflict, "the live in this room has ended", 0},
	{CodeTooManyKeys, http.StatusConflict, "the room has too many active push keys; revoke one first", 0},
	{CodeRoomBusy, http.StatusConflict, "the room already has a live publisher", 0},
	{CodeNotLive, http.StatusConflict, "the room is not live yet; retry", 2 * time.Second},
	{CodeCapacity, http.StatusServiceUnavailable, "this node is full; retry later", 5 * time.Second},
	{CodeOwnershipUnavailable, http.StatusServiceUnavailable, "the room's owner cannot be checked now; retry", 2 * time.Second},
	{CodeTooManyConnections, http.StatusTooManyRequests, "too many connections from this address", 10 * time.Second},
	{CodeWebSocketRequired, http.StatusBadRequest, "this endpoint must be opened as a WebSocket", 0},

	{CodeInvalidSDP, http.StatusBadRequest, "the SDP offer cannot be used", 0},
	{CodeUnsupportedMedia, http.StatusUnprocessableEntity, "the offer's media cannot be forwarded", 0},
	{CodeInvalidLayer, http.StatusBadRequest, "layer must be q, h, f, low, mid, high, auto or a rid", 0},
	{CodeUnknownLayer, http.StatusUnprocessableEntity, "the room's publisher has no such layer", 0},
	{CodeSessionNotFound, http.StatusNotFound, "no such session", 0},
	{CodeIfMatchRequired, http.StatusPreconditionRequired, "send If-Match with the session's ETag (or *)", 0},
	{CodeETagMismatch, http.StatusPreconditionFailed, "the ICE session changed; its ETag no longer matches", 0},
	{CodeInvalidSDPFrag, http.StatusBadRequest, "the body is not a trickle-ice-sdpfrag", 0},
	{CodeICERestartFailed, http.StatusUnprocessableEntity, "the ICE restart was not accepted", 0},
	{CodeUnsupportedCandidate, http.StatusUnprocessableEntity, "a candidate was not accepted", 0},
	{CodeUnknownMid, http.StatusUnprocessableEntity, "a candidate names a media section the session does not have", 0},

	{CodeInvalidMessage, http.StatusBadRequest, "the message is not valid", 0},
	{CodeTooLong, http.StatusBadRequest, "the message or its text is too long", 0},
	{CodeBlockedWord, http.StatusUnprocessableEntity, "the text contains a blocked word", 0},
	{CodeMuted, http.StatusForbidden, "you are muted in this room", 0},
	{CodeBanned, http.StatusForbidden, "you are banned from this room", 0},
	{CodeInvalidUserID, http.StatusBadRequest, "not a user id", 0},

	{CodeInvalidProduct, http.StatusBadRequest, "the product is not valid", 0},
	{CodeProductNotFound, http.StatusNotFound, "no such product", 0},
	{CodeOrderNotFound, http.StatusNotFound, "no such order", 0},
	{CodePaymentNotFound, http.StatusNotFound, "no such payment", 0},
	{CodeProviderNotFound, http.StatusNotFound, "no such payment provider", 0},
	{CodeSoldOut, http.StatusConflict, "the product is sold out", 0},
	{CodeLimitReached, http.StatusConflict, "the per-user purchase limit is reached", 0},
	{CodeSaleNotStarted, http.StatusConflict, "the flash sale has not started", 0},
	{CodeStateConflict, http.StatusConflict, "the order is not in a state that allows this", 0},
	{CodeIdempotencyKeyReused, http.StatusUnprocessableEntity, "the Idempotency-Key was used with another request", 0},
	{CodeAmountMismatch, http.StatusBadRequest, "the amount does not match the order", 0},
	{CodeStockBelowHeld, http.StatusConflict, "the new stock is below the units orders hold", 0},
	{CodeInvalidImage, http.StatusUnsupportedMediaType, "the image is not a PNG, JPEG or WebP file", 0},
	{CodePaymentRefused, http.StatusConflict, "the payment was refused", 0},
	{CodeUnpaidLimit, http.StatusConflict, "too many units of this product are held unpaid; pay or cancel an order first", 0},
	{CodeStoreUnavailable, http.StatusServiceUnavailable, "the stock store cannot be reached; retry", 2 * time.Second},
	{CodePriceBelowFloor, http.StatusUnprocessableEntity, "the live price is below the floor the admin set for this product", 0},
	{CodeProductNotInRoom, http.StatusConflict, "the product is not bound to this room", 0},
}

// every is the whole catalogue: the rows above and the rows of each area
// that keeps its codes in its own file (catalogue_<area>.go), so that areas
// built side by side never edit the same lines.
var every = concat(entries, presaleEntries, notifyEntries, marketingEntries, replayEntries, cascadeEntries, drainEntries, tiersEntries)

func concat(lists ...[]Entry) []Entry {
	var out []Entry
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

var byCode = func() map[Code]Entry {
	m := make(map[Code]Entry, len(every))
	for _, e := range every {
		if _, dup := m[e.Code]; dup {
			panic("apierr: code declared twice: " + string(e.Code))
		}
		m[e.Code] = e
	}
	return m
}()

// Lookup returns the catalogue entry of code.
func Lookup(code Code) (Entry, bool) {
	e, ok := byCode[code]
	return e, ok
}

// Status is the HTTP status of code (500 for a code not in the catalogue).
func (c Code) Status() int {
	if e, ok := byCode[c]; ok {
		return e.Status
	}
	return http.StatusInternalServerError
}

// Catalogue returns every entry, sorted by code.
func Catalogue() []Entry {
	out := append([]Entry(nil), every...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
