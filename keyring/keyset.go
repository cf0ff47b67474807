package keyring

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// keySet is what a Keyring and MACKeys hold alike: the keys of one kind
// (files) in a key directory, by id, and the id of the active one. It is
// safe for concurrent use.
type keySet[K any] struct {
	dir   string
	files keyFiles
	load  func(dir string) (map[string]K, string, error) // reads the keys and the active id of dir

	mu     sync.RWMutex
	keys   map[string]K // by key id
	active string
}

// open makes the key directory (mode 0700) if there is none, and loads its
// keys; the active id stays "" if the directory names none.
func (s *keySet[K]) open() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return loadError(fmt.Errorf("keyring: %w", err))
	}
	keys, active, err := s.load(s.dir)
	if err != nil {
		return loadError(err)
	}
	s.keys, s.active = keys, active
	return nil
}

// reload rereads the key directory, which must name an active key. On
// failure the set keeps what it had.
func (s *keySet[K]) reload() error {
	keys, active, err := s.load(s.dir)
	if err == nil && active == "" {
		err = fmt.Errorf("keyring: %s: no active %s", filepath.Join(s.dir, s.files.active), s.files.what)
	}
	if err != nil {
		return loadError(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys, s.active = keys, active
	return nil
}

// activeID returns the id of the active key.
func (s *keySet[K]) activeID() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.active
}

// key returns the key id, or the zero K if there is none.
func (s *keySet[K]) key(id string) K {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.keys[id]
}
