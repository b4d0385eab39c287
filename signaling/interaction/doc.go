// Package interaction is livesell's live room interaction: danmaku
// (comments), likes, product cards, the purchase ticker, the pinned
// announcement and online counts, moderated, delivered in batches over the
// "livesell" WebRTC data channel (package datachannel) or a WebSocket, and
// shared across livesell nodes.
//
// The rooms, by reason to change:
//
//   - Room (room.go, room_events.go, sanctions.go): one room's state on this
//     node and its fan-out. One goroutine per room encodes, once per batch
//     interval, one batch of the danmaku, like total and online count it
//     learned, and hands the same bytes to every member's queue (package
//     queue); each member (member.go) has one writer goroutine that sends
//     them. Reliable frames (cards, state, pins, deletes, errors) bypass
//     batching. Inbound messages are handled in handle.go.
//   - Hub (hub.go, join.go, background.go): the rooms with local members,
//     joining a client (Join, JoinLossy), counters and presence.
//   - Bus (bus.go): a room's events between nodes. LocalBus (one node) calls
//     the room in the sender's goroutine, no network hop; NATSBus
//     (several nodes) uses the subjects below.
//   - store (store.go, presence.go, keys.go): what Redis keeps.
//   - feed (feed.go): commerce's cards and paid orders in, viewer activity
//     out, over NATS.
//   - Moderator (moderator.go): delete, pin, mute, ban, blocked words.
//   - api and wsServer (http.go, websocket.go): the HTTP routes and the
//     WebSocket transport. Credentials are checked by Options.Credentials
//     (internal/auth), never here; errors are internal/apierr's catalogue.
//
// The wire format is package protocol (docs/protocol.md); abuse controls
// are package moderation. Viewers see each other under per-room
// pseudonyms (text.go); the anchor and the operator see real user ids.
//
// Across nodes (NATSBus; one subject tree per room, all under the namespace):
//
//	<ns>.room.<room>.chat.danmaku   accepted danmaku (JetStream <NS>_CHAT keeps the last N per room)
//	<ns>.room.<room>.chat.likes     like total after a node's periodic flush
//	<ns>.room.<room>.chat.ctl       delete, pinned, state, sanction, kick (ban)
//	<ns>.moderation.words           blocked-word list changed
//
// From and to commerce (always NATS):
//
//	<ns>.room.<room>.card           product cards (JetStream <NS>_CARDS)
//	<ns>.order.paid                 purchase ticker (JetStream <NS>_ORDERS)
//	<ns>.user.activity              watched, clicked, want
//
// Redis holds online counts (per node, with expiry), the peak, counters,
// the viewers-over-time series, mutes and bans, pinned text and room state.
package interaction
