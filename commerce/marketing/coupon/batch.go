package coupon

import (
	"context"
	"sync"
	"time"
)

// maxBatch bounds the claims written in one transaction.
const maxBatch = 256

// batcher writes the claims of a rush in few transactions (group commit):
// a claim joins the pending batch; the first writer to find no flush
// running writes every pending claim in one transaction, again while
// more arrived meanwhile, and each waiting claim gets its batch's result.
// No goroutine of its own: the writer is one of the callers.
type batcher struct {
	mu       sync.Mutex
	pending  []pendingClaim
	flushing bool
}

type pendingClaim struct {
	n    newClaim
	done chan error
}

// write stores n (with the claims pending beside it) and returns when it
// is committed.
func (b *batcher) write(ctx context.Context, st store, n newClaim) error {
	p := pendingClaim{n: n, done: make(chan error, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, p)
	if b.flushing {
		b.mu.Unlock()
		select {
		case err := <-p.done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	b.flushing = true
	for len(b.pending) > 0 {
		batch := b.pending
		if len(batch) > maxBatch {
			batch = batch[:maxBatch]
		}
		b.pending = b.pending[len(batch):]
		b.mu.Unlock()
		// The batch carries others' claims: not bound to this caller's ctx.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		rows := make([]newClaim, len(batch))
		for i, q := range batch {
			rows[i] = q.n
		}
		err := st.insertClaims(wctx, rows)
		cancel()
		for _, q := range batch {
			q.done <- err
		}
		b.mu.Lock()
	}
	b.flushing = false
	b.pending = nil
	b.mu.Unlock()
	return <-p.done
}
