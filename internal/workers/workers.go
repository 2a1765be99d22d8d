// Package workers runs the iterations of a loop side by side on a bounded number of goroutines:
// the snapshot's reads by id and filter, and a concurrent forEach of the replay engine.
package workers

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// Run runs do(ctx, 0) … do(ctx, n-1) on up to workers goroutines (at least one), taking the
// iterations in order. The first failure cancels the ctx given to the iterations not yet done,
// and none starts after it; Run returns when all that started have ended. Its error is ctx's
// own when ctx ended, else the failure of the lowest i, leaving out what the cancelling itself
// made fail (context.Canceled) unless nothing else failed.
func Run(ctx context.Context, n, workers int, do func(ctx context.Context, i int) error) error {
	if n <= 0 {
		return nil
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(workers, 1), n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := do(ctx, i); err != nil {
					errs[i] = err
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		return err
	}
	var canceled error
	for _, err := range errs {
		switch {
		case err == nil:
		case !errors.Is(err, context.Canceled):
			return err
		case canceled == nil:
			canceled = err
		}
	}
	return canceled
}
