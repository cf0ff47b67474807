package deposit

import (
	"context"
	"sync"

	"navette"
)

// groupCommit makes the commits of concurrent uploads share their cost
// (group commit): the commits that come due while one batch runs wait for
// it to end and then run together as the next batch, whose blob syncs run
// side by side (the file system folds them into few journal commits) and
// whose records are written in one store transaction (one commit of the
// database). A commit is still acknowledged only once its bytes are
// durable and its record written. The zero value is ready; no goroutine
// runs while no commit is due.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*commitReq
	leading bool // a goroutine is running the batches
}

// commitReq is one commit in a group: sync (if not nil) makes the bytes of
// upload fileID durable, then fn updates its record, as in UpdateFile.
type commitReq struct {
	ctx    context.Context
	sync   func() error
	fileID string
	fn     func(f *navette.FileRecord) ([]navette.Event, error)
	err    error
	done   chan struct{}
}

// commit runs sync, then fn on file fileID, in the next batch of the
// service's group commit, and returns the error of sync, fn or the store.
// fn runs in a store transaction shared with other uploads' records: it
// must only change f.
func (s *Service) commit(ctx context.Context, sync func() error, fileID string, fn func(f *navette.FileRecord) ([]navette.Event, error)) error {
	r := &commitReq{ctx: ctx, sync: sync, fileID: fileID, fn: fn, done: make(chan struct{})}
	g := &s.commits
	g.mu.Lock()
	g.queue = append(g.queue, r)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if lead {
		s.leadCommits()
	}
	<-r.done
	return r.err
}

// leadCommits runs the commits queued as one batch, then, if more came
// meanwhile, hands the next batch to a goroutine of its own, so that the
// caller that started it waits for no batch but its own.
func (s *Service) leadCommits() {
	g := &s.commits
	g.mu.Lock()
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()
	s.runBatch(batch)
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) == 0 {
		g.leading = false
		return
	}
	go s.leadCommits()
}

// runBatch syncs the blobs of batch side by side, then records those whose
// sync succeeded in one transaction, and tells each request its outcome.
func (s *Service) runBatch(batch []*commitReq) {
	syncAll(batch)
	var ids []string
	var synced []*commitReq
	for _, r := range batch {
		if r.err == nil {
			ids = append(ids, r.fileID)
			synced = append(synced, r)
		}
	}
	if len(synced) > 0 {
		ctx := context.WithoutCancel(synced[0].ctx)
		errs, err := s.Meta.UpdateFiles(ctx, ids, func(i int, f *navette.FileRecord) ([]navette.Event, error) {
			return synced[i].fn(f)
		})
		for i, r := range synced {
			if err != nil {
				r.err = err
			} else {
				r.err = errs[i]
			}
		}
	}
	for _, r := range batch {
		close(r.done)
	}
}

// syncAll runs the syncs of batch, each on its own goroutine but the last,
// and records their errors.
func syncAll(batch []*commitReq) {
	var wg sync.WaitGroup
	var last *commitReq
	for _, r := range batch {
		if r.sync == nil {
			continue
		}
		if last != nil {
			wg.Add(1)
			go func(r *commitReq) {
				defer wg.Done()
				r.err = r.sync()
			}(last)
		}
		last = r
	}
	if last != nil {
		last.err = last.sync()
	}
	wg.Wait()
}
