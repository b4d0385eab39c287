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
// detail and checked with errors.Is.
package sfu
