// Package e2e holds the end-to-end interaction tests: a whole node built by
// server.New on 127.0.0.1, an anchor publishing over WHIP and viewers
// playing over WHEP with real Pion peers on loopback, chatting over their
// sessions' "livesell" data channels and over the room WebSocket. It has
// no non-test code.
package e2e
