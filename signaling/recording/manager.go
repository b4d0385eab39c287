package recording

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/sfu/record"
)

// Tapper is what the manager records from: *sfu.Engine.
type Tapper interface {
	Tap(room string, queue int) (*sfu.Tap, error)
}

// RoomInfo is what the manager needs to know of a room.
type RoomInfo struct {
	Record  bool // the room's record setting
	Private bool
	Ended   bool
}

// Rooms reads rooms; an unknown room is ErrUnknownRoom.
type Rooms interface {
	RecordInfo(ctx context.Context, room string) (RoomInfo, error)
}

// ErrUnknownRoom is what Rooms returns (wrapped) for a room that does not exist.
var ErrUnknownRoom = errors.New("recording: unknown room")

// Options configure a Manager; zero durations take the defaults.
type Options struct {
	Store  Store
	Engine Tapper
	Rooms  Rooms
	Auth   *auth.Authenticator
	// Tickets decides who may watch a ticketed room's replays; nil: none is.
	Tickets auth.Tickets
	// Retention is how long a finished recording is kept (0: forever).
	Retention time.Duration
	// PauseTimeout ends a recording whose publisher stayed away this long
	// (default 10 minutes): a shorter absence is a pause, one recording
	// with a gap.
	PauseTimeout time.Duration
	// SegmentTarget is the recorder's segment length (default 4 s).
	SegmentTarget time.Duration
	// QueuePackets is the tap's queue (default 8192 packets).
	QueuePackets int
	// SweepEvery is how often retention and pauses are checked (default 1 min).
	SweepEvery time.Duration
	Logger     *slog.Logger
}

// Manager records rooms and serves their recordings.
type Manager struct {
	opt Options
	log *slog.Logger

	mu     sync.Mutex
	active map[string]*active // by room
	closed bool
	wg     sync.WaitGroup
	stop   chan struct{}
}

// active is one recording in progress.
type active struct {
	sink      *sink
	tap       *sfu.Tap
	cancel    context.CancelFunc
	done      chan struct{}
	live      bool
	awaySince time.Time
}

// New returns a manager; Close stops it.
func New(o Options) (*Manager, error) {
	if o.Store == nil || o.Engine == nil || o.Rooms == nil || o.Auth == nil {
		return nil, errors.New("recording: Store, Engine, Rooms and Auth are required")
	}
	if o.Tickets == nil {
		o.Tickets = auth.NoTickets{}
	}
	if o.PauseTimeout <= 0 {
		o.PauseTimeout = 10 * time.Minute
	}
	if o.QueuePackets <= 0 {
		o.QueuePackets = 8192
	}
	if o.SweepEvery <= 0 {
		o.SweepEvery = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{opt: o, log: o.Logger, active: map[string]*active{}, stop: make(chan struct{})}
	m.wg.Add(1)
	go m.sweepLoop()
	return m, nil
}

// RoomLive follows the room's publisher (signaling's RoomEvents): a room
// going live starts a recording when its setting says so, or resumes the
// paused one; a publisher gone from an ended room ends it.
func (m *Manager) RoomLive(room string, live bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m.follow(ctx, room, live)
	}()
}

func (m *Manager) follow(ctx context.Context, room string, live bool) {
	info, err := m.opt.Rooms.RecordInfo(ctx, room)
	if err != nil {
		m.log.Warn("recording: room not read", "room", room, "err", err)
		return
	}
	m.mu.Lock()
	a := m.active[room]
	if a != nil {
		a.live = live
		if !live {
			a.awaySince = time.Now()
		}
	}
	m.mu.Unlock()
	switch {
	case a != nil && !live && info.Ended:
		m.Stop(room)
	case a == nil && live && info.Record && !info.Ended:
		if err := m.Start(room); err != nil && !errors.Is(err, sfu.ErrTapped) {
			m.log.Warn("recording: not started", "room", room, "err", err)
		}
	}
}

// Start records room now (whatever its setting), until Stop.
func (m *Manager) Start(room string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errors.New("recording: manager closed")
	}
	if m.active[room] != nil {
		return nil
	}
	tap, err := m.opt.Engine.Tap(room, m.opt.QueuePackets)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &active{sink: newSink(m.opt.Store, room, time.Now()), tap: tap, cancel: cancel, done: make(chan struct{}), live: true}
	m.active[room] = a
	rec := record.New(tap, a.sink, record.Options{SegmentTarget: m.opt.SegmentTarget, Logger: m.log})
	m.log.Info("recording started", "room", room, "recording", a.sink.rec.ID)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(a.done)
		err := rec.Run(ctx)
		tap.Close()
		fctx, fcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer fcancel()
		if ferr := a.sink.finish(fctx, time.Now()); err == nil {
			err = ferr
		}
		if err != nil {
			m.log.Error("recording failed", "room", room, "recording", a.sink.rec.ID, "err", err)
		} else {
			m.log.Info("recording ended", "room", room, "recording", a.sink.rec.ID, "duration_ms", a.sink.rec.DurationMs,
				"bytes", a.sink.rec.Bytes, "dropped_packets", tap.Dropped(),
				"stored_bytes", a.sink.uploaded.Load(), "store_seconds", time.Duration(a.sink.putNanos.Load()).Seconds())
		}
		m.mu.Lock()
		if m.active[room] == a {
			delete(m.active, room)
		}
		m.mu.Unlock()
	}()
	return nil
}

// Stop ends room's recording and waits until its last segment is stored.
func (m *Manager) Stop(room string) {
	m.mu.Lock()
	a := m.active[room]
	m.mu.Unlock()
	if a != nil {
		a.cancel()
		<-a.done
	}
}

// Recording returns the id of room's recording in progress ("" for none).
func (m *Manager) Recording(room string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a := m.active[room]; a != nil {
		return a.sink.rec.ID
	}
	return ""
}

// Close ends every recording (keeping what was recorded) and stops the
// manager.
func (m *Manager) Close(context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	rooms := make([]string, 0, len(m.active))
	for r := range m.active {
		rooms = append(rooms, r)
	}
	m.mu.Unlock()
	for _, r := range rooms {
		m.Stop(r)
	}
	close(m.stop)
	m.wg.Wait()
	return nil
}

func (m *Manager) sweepLoop() {
	defer m.wg.Done()
	sweep := time.NewTicker(m.opt.SweepEvery)
	defer sweep.Stop()
	away := time.NewTicker(pausedCheck)
	defer away.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-away.C:
			m.endAbandoned(time.Now())
			continue
		case <-sweep.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), m.opt.SweepEvery)
		if n, err := m.Sweep(ctx, time.Now()); err != nil {
			m.log.Warn("recording: retention sweep", "err", err)
		} else if n > 0 {
			m.log.Info("recording: expired recordings deleted", "recordings", n)
		}
		cancel()
	}
}

// pausedCheck is how often paused recordings are looked at: ended while
// their publisher was away, or away past the pause timeout.
const pausedCheck = 2 * time.Second

// endAbandoned ends the recordings whose publisher is away and whose room
// was ended meanwhile, or that stayed away past the pause timeout.
func (m *Manager) endAbandoned(now time.Time) {
	m.mu.Lock()
	away := map[string]time.Time{}
	for r, a := range m.active {
		if !a.live {
			away[r] = a.awaySince
		}
	}
	m.mu.Unlock()
	for r, since := range away {
		ended := now.Sub(since) > m.opt.PauseTimeout
		if !ended {
			ctx, cancel := context.WithTimeout(context.Background(), pausedCheck)
			info, err := m.opt.Rooms.RecordInfo(ctx, r)
			cancel()
			ended = errors.Is(err, ErrUnknownRoom) || err == nil && info.Ended
		}
		if ended {
			m.Stop(r)
		}
	}
}
