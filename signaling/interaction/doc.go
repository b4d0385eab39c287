// Package interaction is livesell's live room interaction: danmaku
// (comments), likes, product cards, the purchase ticker, the pinned
// announcement and online counts, moderated, delivered in batches over the
// "livesell" WebRTC data channel or a WebSocket, and shared across livesell
// nodes over NATS.
//
// A Hub is one node's view of every room with local viewers. Each room runs
// one goroutine that encodes, once per batch interval, one batch of the
// danmaku, like total and online count it learned, and hands the same bytes
// to every member's queue; each member has one writer goroutine that sends
// them. Reliable frames (cards, state, pins, deletes, errors) bypass
// batching. The wire format is package protocol (docs/protocol.md); abuse
// controls are package moderation; the per-viewer queue is package queue.
//
// Across nodes (one subject tree per room, all under the namespace):
//
//	<ns>.room.<room>.chat.danmaku   accepted danmaku (JetStream <NS>_CHAT keeps the last N per room)
//	<ns>.room.<room>.chat.likes     like total after a node's periodic flush
//	<ns>.room.<room>.chat.ctl       delete, pinned, state, kick (ban)
//	<ns>.room.<room>.card           product cards (JetStream <NS>_CARDS, from commerce)
//	<ns>.order.paid                 purchase ticker (JetStream <NS>_ORDERS, from commerce)
//	<ns>.moderation.words           blocked-word list changed
//
// Redis holds online counts (per node, with expiry), the peak, counters,
// the viewers-over-time series, mutes and bans, pinned text and room state.
package interaction
