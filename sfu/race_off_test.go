//go:build !race

package sfu

// raceDetector is true when the tests run under -race, which multiplies
// the cost of every PeerConnection several times.
const raceDetector = false
