package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// signalWatch keeps SIGINT and SIGTERM from killing the gate outright. While the suite runs,
// Ginkgo's own handler sees the same signals: the first interrupts the running spec and runs
// its cleanups (DeferCleanup, AfterSuite), a second skips them, a third bails out. The watch
// only records what arrived, so the gate can say so, still remove the run's containers after
// the suite returns, and give up that last cleanup if yet another signal comes.
type signalWatch struct {
	ch    chan os.Signal
	mu    sync.Mutex
	first os.Signal
	count int
	later chan struct{} // closed by the first signal after cleanupContext is called
	armed bool
	done  chan struct{}
	// stopped is closed once the first signal is recorded (see context).
	stopped chan struct{}
}

func watchSignals() *signalWatch {
	w := &signalWatch{ch: make(chan os.Signal, 8), later: make(chan struct{}), done: make(chan struct{}), stopped: make(chan struct{})}
	signal.Notify(w.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		for {
			select {
			case s := <-w.ch:
				w.mu.Lock()
				if w.first == nil {
					w.first = s
					close(w.stopped)
				}
				w.count++
				if w.armed {
					w.armed = false
					close(w.later)
				}
				w.mu.Unlock()
			case <-w.done:
				return
			}
		}
	}()
	return w
}

// received is the first signal that arrived (nil: none).
func (w *signalWatch) received() os.Signal {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.first
}

// context is cancelled by the first signal, and only after received() reports it: a command
// that stops on the signal can then always say which one stopped it.
func (w *signalWatch) context() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-w.stopped:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// cleanupContext bounds the last cleanup by d and by the next signal.
func (w *signalWatch) cleanupContext(d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	w.mu.Lock()
	w.armed = true
	later := w.later
	w.mu.Unlock()
	go func() {
		select {
		case <-later:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

func (w *signalWatch) stop() {
	signal.Stop(w.ch)
	close(w.done)
}

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}
