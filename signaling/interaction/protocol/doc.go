// Package protocol is the wire format of livesell's room interaction: the
// versioned JSON messages that viewers, the anchor and the server exchange
// over the "livesell" data channel and the room WebSocket
// (docs/protocol.md describes every type, field, limit and error code).
//
// Inbound messages are decoded once with Decode; outbound messages are
// appended to caller-owned buffers by the Append* functions, so that a
// batch is encoded once per room and interval and the same bytes go to
// every viewer.
package protocol
