// Package sfu is livesell's media plane: a selective forwarding unit built on
// Pion. One publisher per room sends Opus audio and up to three simulcast
// video layers; every subscriber receives one layer, chosen from its
// bandwidth estimate or pinned by the viewer, with sequence numbers,
// timestamps, SSRCs and VP8 picture IDs rewritten so that layer switches are
// seamless to the decoder.
//
// The package knows nothing of HTTP, rooms' business rules or commerce: the
// signaling package turns WHIP/WHEP requests into calls on an Engine.
//
// Contract used by package signaling (keep it stable):
//
//	eng, err := sfu.NewEngine(sfu.Config{...})
//	sess, err := eng.Publish(ctx, sfu.PublishRequest{Room, OfferSDP, OnDataChannel})
//	sess, err := eng.Subscribe(ctx, sfu.SubscribeRequest{Room, OfferSDP, Layer, OnDataChannel})
//	sess.ID(), sess.Room(), sess.AnswerSDP()
//	sess.AddRemoteCandidate(webrtc.ICECandidateInit) error
//	sess.RestartICE(ctx, remoteUfrag, remotePwd) (sfu.ICEParams, error)
//	sess.SetLayer(layer) error      // subscribers only; "" = automatic
//	sess.Close() error; <-sess.Done()
//	eng.RoomLive(room) bool; eng.Close() error
//
// Errors are the exported sentinels (ErrRoomBusy, ErrNotLive, ErrCapacity,
// ErrInvalidOffer, ErrUnsupportedMedia, ErrSessionClosed), wrapped with
// detail and checked with errors.Is. SetLayer may also return
// ErrInvalidLayer (an unknown layer name, or a publisher session); an
// unknown SubscribeRequest.Layer falls back to automatic selection instead.
//
// # The path of a packet
//
// A publisher's track is a layer (one per simulcast rid, ranked low to high
// by rid naming scheme or offer order) read by one goroutine (layer.run). It
// parses the payload descriptor once, hands the packet to every subscriber
// of the room (fanout.go: split across worker goroutines for large rooms),
// then appends it to the layer's keyframe cache. Each subscriber's
// videoForwarder passes only its current layer, switches to its target
// layer on that layer's keyframe, and has its munger rewrite sequence
// numbers, timestamps and VP8 picture IDs before its downTrack writes the
// packet with the subscriber's SSRC. A viewer that joins starts from the
// cache, catching up with the live edge eight packets per live packet with
// its cached frames stamped with the time they are sent (so that a
// browser's jitter buffer neither stalls nor lags); keyframe requests (PLI) go to
// the awaited layer's media SSRC, at most one per layer per 500 ms, and are
// repeated by the engine's 100 ms tick until the keyframe comes. A layer
// silent for 600 ms is treated as stopped: its viewers move to a live layer
// at once and ask for a keyframe there.
//
// Engine.Close waits for every goroutine the engine started and for the
// Pion callbacks running on its behalf; after it returns nothing logs
// through Config.Logger.
//
// Viewers in automatic mode (Layer "") get a GCC send-side bandwidth
// estimator fed by TWCC; viewers pinned to a layer do not (it costs about a
// quarter of the per-packet CPU), and fall back to a loss-based choice if
// they later ask for automatic selection.
package sfu
