// Package synth builds synthetic WebRTC peers for tests and load tools: a
// publisher sending Opus and up to three simulcast layers of VP8 whose
// payloads are not decodable pictures but carry valid VP8 payload
// descriptors and frame headers (so keyframes are detectable), and a viewer
// recording what it receives. Each video payload ends with a Tail telling
// the layer, frame number and send time of the packet.
//
// Peers gather and accept candidates on loopback only when built with
// NewAPI(true).
package synth
