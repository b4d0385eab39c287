//go:build browser

package web_test

import (
	"context"
	"sync"

	"github.com/chromedp/chromedp"
)

// logBuffer keeps the console output of a page, for failure messages.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) add(line string) {
	b.mu.Lock()
	if len(b.lines) < 400 {
		b.lines = append(b.lines, line)
	}
	b.mu.Unlock()
}

func (b *logBuffer) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lines...)
}

// listenConsole records the page's console messages and uncaught exceptions
// until ctx ends; the returned channel closes when the reader has stopped.
func listenConsole(ctx context.Context, name string, buf *logBuffer) <-chan struct{} {
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			buf.add("[" + name + "] " + m.String())
		}
	}()
	return done
}
