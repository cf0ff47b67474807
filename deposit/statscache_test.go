package deposit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"navette"
)

// TestStatsCache: visits at once share one count; a quick count is made
// again at the next visit; a slow one is kept StatsKeep, then counted
// again; a failed one is never kept.
func TestStatsCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c statsCache
		clock := navette.SystemClock{}
		var counts atomic.Int64
		took := time.Duration(0)
		fail := false
		count := func(context.Context) (*Stats, error) {
			counts.Add(1)
			time.Sleep(took)
			if fail {
				return nil, navette.Errorf(navette.EUNAVAILABLE, "down")
			}
			return &Stats{CountedAt: clock.Now()}, nil
		}
		visit := func(n int) {
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					if _, err := c.get(t.Context(), "", clock, count); err != nil && !fail {
						t.Errorf("get: %v", err)
					}
				})
			}
			wg.Wait()
		}
		tests := []struct {
			name       string
			took       time.Duration
			fail       bool
			wait       time.Duration
			visits     int
			wantCounts int64
		}{
			{"five visits at once, quick", time.Millisecond, false, 0, 5, 1},
			{"next visit, quick: counted again", time.Millisecond, false, 0, 1, 2},
			{"slow count", 2 * StatsSlow, false, 0, 1, 3},
			{"a minute later: kept", time.Millisecond, false, time.Minute, 3, 3},
			{"past StatsKeep: counted again", time.Millisecond, false, StatsKeep, 1, 4},
			{"a slow failure", 2 * StatsSlow, true, 0, 1, 5},
			{"after a failure: counted again", time.Millisecond, false, 0, 1, 6},
		}
		for _, tc := range tests {
			took, fail = tc.took, tc.fail
			time.Sleep(tc.wait)
			visit(tc.visits)
			if got := counts.Load(); got != tc.wantCounts {
				t.Errorf("%s: got %d counts in all, want %d", tc.name, got, tc.wantCounts)
			}
		}
	})
}
