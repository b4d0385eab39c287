// Package claim records which livesell node holds each room's publisher, in
// Redis, so that the other nodes can send WHEP viewers there.
//
// There is no consensus of our own: a claim is one Redis key per room,
// <ns>:media:room:{<room>}, whose value names the owner (node id and public
// base URL). A node takes it with a conditional SET and a short TTL when a
// publisher goes live, refreshes it while the publisher stays, and deletes it
// (compare-and-delete, so never another node's claim) when the publisher
// leaves. A crashed node's claim expires after the TTL and the room can go
// live elsewhere.
package claim
