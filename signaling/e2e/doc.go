// Package e2e holds the end-to-end WHIP/WHEP tests: a server built by
// server.New on 127.0.0.1 and real Pion peers on loopback. It has no
// non-test code.
package e2e
