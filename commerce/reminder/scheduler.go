package reminder

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livesell/livesell/commerce/notify"
	"github.com/livesell/livesell/internal/sqldb"
)

// Show is what the scheduler needs to know of a show.
type Show struct {
	Title    string
	StartsAt time.Time
}

// Shows looks up a show (a scheduled room); the composer implements it
// over the room store. A room it does not know is a zero Show and no
// error (the confirmation still goes out); an error is retried.
type Shows interface {
	Show(ctx context.Context, room string) (Show, error)
}

// Contacts looks up how a user is reached (notify.Contacts implements it).
type Contacts interface {
	Lookup(ctx context.Context, userID string) (notify.Recipient, error)
}

// Options configure a Scheduler.
type Options struct {
	DB *sqldb.DB
	// Notifiers deliver each message; every one of them is tried.
	Notifiers []notify.Notifier
	Contacts  Contacts
	Shows     Shows
	// Before lists when start reminders go out (default 24h and 1h).
	Before []time.Duration
	// Lease is how long (real time) a claimed job is held before another
	// node may take it (default 2m); a send gets at most Lease minus 10%
	// to finish, so a job is never taken while it is still being sent.
	Lease time.Duration
	// Poll is how often due jobs are looked for (default 1s).
	Poll time.Duration
	// Batch is the most jobs claimed at once (default 16).
	Batch int
	// MaxAttempts gives a job up as failed (default 10), retrying after
	// notify.Backoff(attempt, RetryBase, RetryMax) of real time.
	MaxAttempts int
	RetryBase   time.Duration // default 30s
	RetryMax    time.Duration // default 1h
	// StaleAfter is how old a grant or cancel event may be and still
	// notify at once (default 24h): a node that starts consuming a stream
	// with history does not confirm last month's tickets. Start reminders
	// are planned from old grants all the same.
	StaleAfter time.Duration
	// Owner names this node in leases (default random).
	Owner string
	// Clock decides what is due (default the system clock); tests move it.
	Clock  Clock
	Logger *slog.Logger
	// Metrics, when set, receives the livesell_reminder_* collectors.
	Metrics prometheus.Registerer
}

// Scheduler plans and sends reminders.
type Scheduler struct {
	opt Options
	db  *sqldb.DB
	log *slog.Logger
	m   *metrics
}

// New returns a Scheduler over opt.DB (migrated by Migrate).
func New(opt Options) (*Scheduler, error) {
	if opt.DB == nil {
		return nil, errors.New("reminder: no database")
	}
	if opt.Before == nil {
		opt.Before = []time.Duration{24 * time.Hour, time.Hour}
	}
	for _, b := range opt.Before {
		if b <= 0 {
			return nil, fmt.Errorf("reminder: a reminder %s before the start is not before it", b)
		}
	}
	if opt.Lease <= 0 {
		opt.Lease = 2 * time.Minute
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.Batch <= 0 {
		opt.Batch = 16
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 10
	}
	if opt.RetryBase <= 0 {
		opt.RetryBase = 30 * time.Second
	}
	if opt.RetryMax <= 0 {
		opt.RetryMax = time.Hour
	}
	if opt.StaleAfter <= 0 {
		opt.StaleAfter = 24 * time.Hour
	}
	if opt.Owner == "" {
		var b [6]byte
		rand.Read(b[:])
		opt.Owner = "node-" + hex.EncodeToString(b[:])
	}
	if opt.Clock == nil {
		opt.Clock = SystemClock{}
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	m, err := newMetrics(opt.Metrics)
	if err != nil {
		return nil, err
	}
	return &Scheduler{opt: opt, db: opt.DB, log: opt.Logger.With("component", "reminder", "node", opt.Owner), m: m}, nil
}

// Plan schedules jobs, once per (user, room, kind): a job not sent yet is
// moved to the new due time and payload; one already sent is left alone.
func (s *Scheduler) Plan(ctx context.Context, jobs ...Job) error {
	for i, j := range jobs {
		if err := j.validate(); err != nil {
			return err
		}
		// A start reminder moves with the show: its kind names how long
		// before the start it is due.
		if b, ok := startOffset(j.Kind); ok {
			jobs[i].before = b
			if j.StartsAt.IsZero() {
				jobs[i].StartsAt = j.DueAt.Add(b)
			}
		}
	}
	now := s.opt.Clock.Now()
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, j := range jobs {
			if err := upsert(ctx, tx, j, statePending, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// Cancel drops the unsent jobs of userID in room of kind ("" = every kind).
func (s *Scheduler) Cancel(ctx context.Context, room, userID, kind string) error {
	if room == "" || userID == "" {
		return errors.New("reminder: cancel needs a room and a user")
	}
	_, err := cancelJobs(ctx, s.db, room, userID, kind, "", s.opt.Clock.Now())
	return err
}

// Run sends due jobs every Poll until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.opt.Poll)
	defer t.Stop()
	for {
		for {
			n, err := s.SendDue(ctx)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("sending due reminders", "err", err)
			}
			if n < s.opt.Batch || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// SendDue claims one batch of due jobs and sends them; it returns how
// many it claimed.
func (s *Scheduler) SendDue(ctx context.Context) (int, error) {
	now := s.opt.Clock.Now()
	jobs, err := claim(ctx, s.db, s.opt.Owner, now, time.Now(), s.opt.Lease, s.opt.Batch)
	if err != nil {
		return 0, err
	}
	// Each send finishes well inside its lease, so no other node takes a
	// job that is still being sent.
	sctx, cancel := context.WithTimeout(ctx, s.opt.Lease-s.opt.Lease/10)
	defer cancel()
	var errs []error
	for _, j := range jobs {
		if err := s.send(sctx, j); err != nil {
			errs = append(errs, err)
		}
		if sctx.Err() != nil {
			break // the rest are retried after their lease
		}
	}
	return len(jobs), errors.Join(errs...)
}

// send delivers one claimed job on every channel not yet done and ends its lease.
func (s *Scheduler) send(ctx context.Context, j claimed) error {
	now := s.opt.Clock.Now()
	log := s.log.With("job", j.id, "kind", j.kind, "room", j.room, "user", j.userID)
	if j.before > 0 {
		skip, why := !j.startsAt.IsZero() && !j.startsAt.After(now), "the show has started"
		if !skip {
			closer, err := closerDue(ctx, s.db, j, now)
			if err != nil {
				return err
			}
			skip, why = closer, "a reminder closer to the start is due"
		}
		if skip {
			_, err := finish(ctx, s.db, j.id, s.opt.Owner, stateSkipped, why, now)
			log.Debug("reminder skipped", "reason", why)
			return err
		}
	}
	done, err := delivered(ctx, s.db, j.id)
	if err != nil {
		return err
	}
	m := notify.Message{ID: j.id, Kind: j.kind, Room: j.room, UserID: j.userID, StartsAt: j.startsAt, Data: j.payload}
	if s.opt.Contacts != nil {
		if m.To, err = s.opt.Contacts.Lookup(ctx, j.userID); err != nil {
			return s.retry(ctx, j, err, log)
		}
	}
	var failed []error
	for _, n := range s.opt.Notifiers {
		if done[n.Name()] {
			continue
		}
		err := n.Send(ctx, m)
		switch {
		case err == nil:
			s.m.delivery(n.Name(), "sent")
			err = recordDelivery(ctx, s.db, j.id, n.Name(), "sent", "", s.opt.Clock.Now())
			log.Info("reminder delivered", "channel", n.Name())
		case errors.Is(err, notify.ErrPermanent):
			s.m.delivery(n.Name(), "skipped")
			log.Info("reminder not deliverable on this channel", "channel", n.Name(), "err", err)
			err = recordDelivery(ctx, s.db, j.id, n.Name(), "skipped", err.Error(), s.opt.Clock.Now())
		default:
			s.m.delivery(n.Name(), "failed")
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", n.Name(), err))
		}
	}
	if len(failed) > 0 {
		return s.retry(ctx, j, errors.Join(failed...), log)
	}
	ok, err := finish(ctx, s.db, j.id, s.opt.Owner, stateSent, "", s.opt.Clock.Now())
	if err == nil && ok {
		s.m.sent(j.kind, s.opt.Clock.Now().Sub(j.dueAt).Seconds())
	}
	if err == nil && !ok {
		log.Warn("reminder lease lost before it was marked sent")
	}
	return err
}

// retry ends the lease with the next attempt due after the backoff, or
// gives the job up after MaxAttempts.
func (s *Scheduler) retry(ctx context.Context, j claimed, cause error, log *slog.Logger) error {
	now := s.opt.Clock.Now()
	if ctx.Err() != nil {
		// Cut short (shutdown or the send budget): the lease runs out and
		// the job is taken again.
		return cause
	}
	if j.attempts+1 >= s.opt.MaxAttempts {
		log.Warn("reminder given up", "attempts", j.attempts+1, "err", cause)
		_, err := finish(ctx, s.db, j.id, s.opt.Owner, stateFailed, cause.Error(), now)
		return errors.Join(cause, err)
	}
	at := time.Now().Add(notify.Backoff(j.attempts+1, s.opt.RetryBase, s.opt.RetryMax))
	log.Info("reminder will be retried", "attempt", j.attempts+1, "at", at, "err", cause)
	return errors.Join(cause, retryLater(ctx, s.db, j.id, s.opt.Owner, cause.Error(), at, now))
}
