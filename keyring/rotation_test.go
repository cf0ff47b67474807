package keyring

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"navette"
)

// TestRefresh checks that a running keyring sees the keys another process
// adds, activates and retires, and does nothing when nothing changed.
func TestRefresh(t *testing.T) {
	server, dir := openNew(t)
	admin, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := server.ActiveID()
	if changed, err := server.Refresh(); changed || err != nil {
		t.Fatalf("Refresh with nothing new = %v, %v", changed, err)
	}

	staged, err := admin.Create(false)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := server.Refresh(); !changed || err != nil {
		t.Fatalf("Refresh after a key was added = %v, %v", changed, err)
	}
	if server.ActiveID() != old || !slices.Contains(server.IDs(), staged) {
		t.Fatalf("after a staged key: active %s, keys %v; want %s active and %s known", server.ActiveID(), server.IDs(), old, staged)
	}
	w, err := server.Wrap(dataKey(1), "deposit:a")
	if err != nil || w.KeyID != old {
		t.Fatalf("Wrap while staged: %v, %v; want under %s", w.KeyID, err, old)
	}

	if err := admin.Activate(staged); err != nil {
		t.Fatal(err)
	}
	if changed, err := server.Refresh(); !changed || err != nil {
		t.Fatalf("Refresh after activation = %v, %v", changed, err)
	}
	w2, err := server.Wrap(dataKey(2), "deposit:b")
	if err != nil || w2.KeyID != staged {
		t.Fatalf("Wrap after activation: %v, %v; want under %s", w2.KeyID, err, staged)
	}
	if err := admin.Activate("0123456789abcdef"); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("Activate(unknown) = %v, want ENOTFOUND", err)
	}

	if err := admin.Retire(old); err != nil {
		t.Fatal(err)
	}
	if changed, err := server.Refresh(); !changed || err != nil {
		t.Fatalf("Refresh after a retirement = %v, %v", changed, err)
	}
	if slices.Contains(server.IDs(), old) {
		t.Errorf("a retired key is still held: %v", server.IDs())
	}
}

// TestWatch checks that Watch picks up a rotation made by another process,
// and logs it.
func TestWatch(t *testing.T) {
	server, dir := openNew(t)
	var logs syncBuffer
	server.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		server.Watch(ctx, 5*time.Millisecond)
	}()
	admin, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	id, err := admin.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	for server.ActiveID() != id {
		select {
		case <-t.Context().Done():
			t.Fatal("the rotation was never picked up")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	<-done
	if !strings.Contains(logs.String(), "key ring reloaded") || !strings.Contains(logs.String(), id) {
		t.Errorf("logs = %q, want the reload and the new key", logs.String())
	}
}

// TestMissingKey checks that a data key wrapped by a key this node lacks
// is refused as unavailable, naming the key, and logged once.
func TestMissingKey(t *testing.T) {
	elsewhere, _ := openNew(t)
	w, err := elsewhere.Wrap(dataKey(3), "file:x")
	if err != nil {
		t.Fatal(err)
	}
	k, dir := openNew(t)
	var logs syncBuffer
	k.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	for range 3 {
		_, err = k.Unwrap(w, "file:x")
		if !navette.IsCode(err, navette.EUNAVAILABLE) || !errors.Is(err, ErrMissing) || !strings.Contains(navette.ErrorMessage(err), w.KeyID) {
			t.Fatalf("Unwrap under a missing key = %v, want EUNAVAILABLE naming %s", err, w.KeyID)
		}
	}
	if n := strings.Count(logs.String(), "lacks"); n != 1 {
		t.Errorf("logged %d times, want once: %q", n, logs.String())
	}
	// The operator copies the key file: it is used at once.
	raw, err := os.ReadFile(filepath.Join(elsewhere.dir, w.KeyID+keySuffix))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, w.KeyID+keySuffix), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := k.Unwrap(w, "file:x")
	if err != nil || !bytes.Equal(got, dataKey(3)) {
		t.Fatalf("Unwrap once the key was copied = %x, %v", got, err)
	}
}

// TestRewrap checks that Rewrap moves a data key under the active key,
// bound to the same object, and leaves one already there.
func TestRewrap(t *testing.T) {
	k, _ := openNew(t)
	w, err := k.Wrap(dataKey(4), "deposit:d")
	if err != nil {
		t.Fatal(err)
	}
	if same, err := k.Rewrap(w, "deposit:d"); err != nil || same.KeyID != w.KeyID || !bytes.Equal(same.Data, w.Data) {
		t.Fatalf("Rewrap under the active key = %v, %v; want it unchanged", same, err)
	}
	id, err := k.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	nw, err := k.Rewrap(w, "deposit:d")
	if err != nil || nw.KeyID != id {
		t.Fatalf("Rewrap = %v, %v; want under %s", nw.KeyID, err, id)
	}
	if got, err := k.Unwrap(nw, "deposit:d"); err != nil || !bytes.Equal(got, dataKey(4)) {
		t.Errorf("Unwrap(rewrapped) = %x, %v", got, err)
	}
	if _, err := k.Unwrap(nw, "deposit:e"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a rewrapped key opened for another object: %v", err)
	}
	if _, err := k.Rewrap(w, "deposit:e"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Rewrap for another object = %v, want ErrCorrupt", err)
	}
}

// TestRetire checks that the active key and unknown keys are refused, and
// that a retired key's file is gone.
func TestRetire(t *testing.T) {
	k, dir := openNew(t)
	old := k.ActiveID()
	if err := k.Retire(old); !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("Retire(active) = %v, want ECONFLICT", err)
	}
	for _, id := range []string{"0123456789abcdef", "../active", ""} {
		if err := k.Retire(id); !navette.IsCode(err, navette.ENOTFOUND) {
			t.Errorf("Retire(%q) = %v, want ENOTFOUND", id, err)
		}
	}
	w, err := k.Wrap(dataKey(5), "file:f")
	if err != nil {
		t.Fatal(err)
	}
	// Another process rotated: Retire goes by the directory, not by what
	// this keyring last loaded.
	other, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := k.Retire(old); err != nil {
		t.Fatalf("Retire(old) = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, old+keySuffix)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the retired key file is still there: %v", err)
	}
	if _, err := k.Unwrap(w, "file:f"); !navette.IsCode(err, navette.EUNAVAILABLE) {
		t.Errorf("Unwrap under a retired key = %v, want EUNAVAILABLE", err)
	}
	if reopened, err := Open(dir); err != nil || slices.Contains(reopened.IDs(), old) {
		t.Errorf("reopened: %v, %v", reopened.IDs(), err)
	}
}

// syncBuffer is a buffer that a logger and the test may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
