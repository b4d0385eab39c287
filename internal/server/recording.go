package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/gofiber/fiber/v2"
	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/signaling"
	"github.com/livesell/livesell/signaling/recording"
	"github.com/livesell/livesell/signaling/room"
)

// mountRecording builds the recordings manager on the engine's taps, mounts
// its API and returns the room events that also tell it when rooms go live
// or away (wrapping events).
func (s *Server) mountRecording(ctx context.Context, r fiber.Router, eng *sfu.Engine, events signaling.RoomEvents) (signaling.RoomEvents, error) {
	cfg := s.cfg.Recording
	st, err := recording.Open(ctx, cfg.Store, filepath.Join(s.cfg.DataDir, "recordings"), cfg.StoreAccessKey, cfg.StoreSecretKey)
	if err != nil {
		return nil, err
	}
	m, err := recording.New(recording.Options{
		Store: st, Engine: eng, Rooms: recordRooms{s.rooms}, Auth: s.auth, Tickets: s.admission,
		Retention: cfg.Retention, PauseTimeout: cfg.PauseTimeout, Logger: s.log.With("component", "recording"),
	})
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	s.addCloser(m.Close) // closers run in reverse: recordings end before the engine closes
	m.Mount(r)
	return recordingEvents{RoomEvents: events, rec: m}, nil
}

// recordRooms gives the recordings manager the room record it needs.
type recordRooms struct{ rooms *room.Store }

func (rr recordRooms) RecordInfo(ctx context.Context, id string) (recording.RoomInfo, error) {
	rm, err := rr.rooms.Get(ctx, id)
	if errors.Is(err, room.ErrNotFound) {
		return recording.RoomInfo{}, fmt.Errorf("%w: %w", recording.ErrUnknownRoom, err)
	}
	if err != nil {
		return recording.RoomInfo{}, err
	}
	return recording.RoomInfo{Record: rm.Record, Private: rm.Private, Ended: rm.State == room.StateEnded}, nil
}

// recordingEvents passes the room events on and tells the recordings
// manager when a room goes live or away.
type recordingEvents struct {
	signaling.RoomEvents
	rec *recording.Manager
}

func (e recordingEvents) RoomLive(room string, live bool) {
	if e.RoomEvents != nil {
		e.RoomEvents.RoomLive(room, live)
	}
	e.rec.RoomLive(room, live)
}

func (e recordingEvents) ViewerJoined(room string, who auth.Identity) (left func()) {
	if e.RoomEvents == nil {
		return func() {}
	}
	return e.RoomEvents.ViewerJoined(room, who)
}

func (e recordingEvents) AttachDataChannel(room string, who auth.Identity, anchor bool, dc *webrtc.DataChannel) {
	if e.RoomEvents != nil {
		e.RoomEvents.AttachDataChannel(room, who, anchor, dc)
	}
}

// ViewerJoinedFrom passes a viewer's referrer on (signaling.ReferredEvents),
// for the after-show report's sources.
func (e recordingEvents) ViewerJoinedFrom(room string, who auth.Identity, referrer string) (left func()) {
	if from, ok := e.RoomEvents.(signaling.ReferredEvents); ok {
		return from.ViewerJoinedFrom(room, who, referrer)
	}
	return e.ViewerJoined(room, who)
}
