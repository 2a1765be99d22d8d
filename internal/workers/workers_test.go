package workers

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// Every iteration runs once, never more than workers at a time.
func TestRunRunsEachIterationOnceWithinTheBound(t *testing.T) {
	const n, workers = 50, 4
	var ran [n]atomic.Int32
	var now, peak atomic.Int32
	err := Run(context.Background(), n, workers, func(ctx context.Context, i int) error {
		c := now.Add(1)
		for p := peak.Load(); c > p && !peak.CompareAndSwap(p, c); p = peak.Load() {
		}
		time.Sleep(time.Millisecond)
		now.Add(-1)
		ran[i].Add(1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range ran {
		if ran[i].Load() != 1 {
			t.Errorf("iteration %d ran %d times", i, ran[i].Load())
		}
	}
	if p := peak.Load(); p > workers || p < 2 {
		t.Errorf("%d iterations at once, want 2 to %d", p, workers)
	}
	if err := Run(context.Background(), 0, workers, nil); err != nil {
		t.Errorf("no iterations: %v", err)
	}
}

// A failure stops what has not started and cancels what runs; the error is the real failure,
// not the cancellation it caused, and a failure that is itself a cancellation is not lost.
func TestRunReturnsTheFailureNotTheCancellation(t *testing.T) {
	boom := errors.New("boom")
	var started atomic.Int32
	err := Run(context.Background(), 100, 2, func(ctx context.Context, i int) error {
		started.Add(1)
		if i == 1 {
			return boom
		}
		<-ctx.Done()
		return fmt.Errorf("iteration %d: %w", i, ctx.Err())
	})
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want boom", err)
	}
	if s := started.Load(); s > 3 {
		t.Errorf("%d iterations started after the failure cancelled the run", s)
	}
	err = Run(context.Background(), 3, 2, func(ctx context.Context, i int) error {
		if i == 2 {
			return fmt.Errorf("a request of its own cancelled: %w", context.Canceled)
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a failure that is a cancellation was lost: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, 3, 2, func(ctx context.Context, i int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("ended ctx: %v", err)
	}
}
