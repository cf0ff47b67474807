package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"

	"navette"
)

// state is what the state object of an unfinished blob records: the
// committed bytes are the parts, in order, then the first TailSize bytes of
// the tail object.
type state struct {
	Version  int     `json:"v"`
	Upload   string  `json:"upload,omitempty"` // multipart upload id, once one is made
	Parts    []part  `json:"parts,omitempty"`  // numbered 1, 2, … in order
	Tail     string  `json:"tail,omitempty"`   // id of the tail object
	TailSize int64   `json:"tail_size,omitempty"`
	Size     int64   `json:"size"`           // committed length
	Prev     *commit `json:"prev,omitempty"` // the commit before this one, to go back to
	// Prev2 is the commit before Prev: a writer that checkpoints commits
	// the next state while the offset of the one before is still being
	// recorded, so that the recorded offset can be two commits back.
	Prev2 *commit `json:"prev2,omitempty"`
}

// part is an uploaded part.
type part struct {
	N    int    `json:"n"`
	ETag string `json:"etag"`
	Size int64  `json:"size"`
}

// commit summarizes a previous state: its first Parts parts (the same as
// now) and its tail.
type commit struct {
	Parts    int    `json:"parts"`
	Tail     string `json:"tail,omitempty"`
	TailSize int64  `json:"tail_size,omitempty"`
	Size     int64  `json:"size"`
}

func (st *state) partsEnd() int64 {
	return st.partsSize(len(st.Parts))
}

// partsSize is the length of the first n parts.
func (st *state) partsSize(n int) int64 {
	var size int64
	for _, p := range st.Parts[:n] {
		size += p.Size
	}
	return size
}

// valid checks what the code relies on.
func (st *state) valid() bool {
	if st.Version != stateVersion || st.Size < 0 || len(st.Parts) > maxParts || !validTail(st.Tail, st.TailSize) {
		return false
	}
	if !st.consistent() {
		return false
	}
	if st.Prev2 != nil && (st.Prev == nil || st.Prev2.Parts > st.Prev.Parts || st.Prev2.Size > st.Prev.Size) {
		return false
	}
	return (st.Prev == nil || st.validPrev(st.Prev)) && (st.Prev2 == nil || st.validPrev(st.Prev2))
}

// consistent checks that st's parts are numbered, belong to an upload, and
// with its tail add up to its size.
func (st *state) consistent() bool {
	return (len(st.Parts) == 0 || st.Upload != "") && st.validParts() && st.partsEnd()+st.TailSize == st.Size
}

// validTail checks a tail of size bytes in the object id: shorter than a
// part, and named by a valid id if it has bytes or a name.
func validTail(id string, size int64) bool {
	if size < 0 || size >= minPart {
		return false
	}
	if id != "" {
		return navette.ValidID(id)
	}
	return size == 0
}

// validParts checks that the parts are numbered 1, 2, … and not empty.
func (st *state) validParts() bool {
	for i, p := range st.Parts {
		if p.N != i+1 || p.Size <= 0 || p.ETag == "" {
			return false
		}
	}
	return true
}

// validPrev checks that pv can be a commit before st: a prefix of its parts
// then a tail.
func (st *state) validPrev(pv *commit) bool {
	if pv.Parts < 0 || pv.Parts > len(st.Parts) || !validTail(pv.Tail, pv.TailSize) {
		return false
	}
	return st.partsSize(pv.Parts)+pv.TailSize == pv.Size
}

// errNoState reports that a blob has no state object.
var errNoState = errors.New("no state object")

// readState returns the state of the unfinished blob key, or errNoState.
func (s *Store) readState(ctx context.Context, key string) (*state, error) {
	body, _, _, err := s.core.GetObject(ctx, s.bucket, s.stateName(key), minio.GetObjectOptions{})
	if isNotFound(err) {
		return nil, errNoState
	} else if err != nil {
		return nil, err
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, maxStateSize+1))
	if err != nil {
		return nil, err
	}
	var st state
	if len(b) > maxStateSize || json.Unmarshal(b, &st) != nil || !st.valid() {
		return nil, corrupt(key, "the upload state is corrupt")
	}
	return &st, nil
}

// writeState writes st as the state of key: a commit point.
func (s *Store) writeState(ctx context.Context, key string, st *state) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return s.putObject(ctx, s.stateName(key), b, "application/json")
}

// putObject writes data as the object name, signed with its SHA-256 so that
// the service checks what it receives (one pass over data, where the
// streaming signature of plain HTTP would sign every 64 KiB).
func (s *Store) putObject(ctx context.Context, name string, data []byte, contentType string) error {
	sum := sha256.Sum256(data)
	return s.putReader(ctx, name, bytes.NewReader(data), int64(len(data)), hex.EncodeToString(sum[:]), contentType)
}

// putReader writes the size bytes of r, of SHA-256 sum (hex), as the
// object name, like putObject; with sum "", unsigned (see uploadPart).
func (s *Store) putReader(ctx context.Context, name string, r io.Reader, size int64, sum, contentType string) error {
	_, err := s.core.PutObject(ctx, s.bucket, name, r, size, "", sum,
		minio.PutObjectOptions{ContentType: contentType, DisableContentSha256: true})
	return err
}

// readTail reads the first n bytes of the tail object id of key into c.
func (s *Store) readTail(ctx context.Context, key, id string, n int64, c *chunk) error {
	if n == 0 {
		return nil
	}
	if n > c.room() {
		return corrupt(key, "a tail of %d bytes", n)
	}
	opts := minio.GetObjectOptions{}
	opts.Set("Range", fmt.Sprintf("bytes=0-%d", n-1))
	body, _, _, err := s.core.GetObject(ctx, s.bucket, s.tailName(key, id), opts)
	if isNotFound(err) {
		return corrupt(key, "tail object %s is missing", id)
	} else if err != nil {
		return err
	}
	defer body.Close()
	if err := c.fill(body, n); err == io.ErrUnexpectedEOF {
		return corrupt(key, "tail object %s is shorter than %d bytes", id, n)
	} else if err != nil {
		return err
	}
	return nil
}

// putTail writes the n bytes of r, of SHA-256 sum (hex, or "" unsigned),
// as the tail object id of key.
func (s *Store) putTail(ctx context.Context, key, id string, r io.Reader, n int64, sum string) error {
	return s.putReader(ctx, s.tailName(key, id), r, n, sum, "application/octet-stream")
}

// putChunk writes the bytes of c as the object name, like putObject.
func (s *Store) putChunk(ctx context.Context, name string, c *chunk) error {
	body, sum := c.body()
	return s.putReader(ctx, name, body, c.n, sum, "application/octet-stream")
}

// removeTail deletes the tail object id of key; a missing one is fine.
func (s *Store) removeTail(ctx context.Context, key, id string) error {
	if id == "" {
		return nil
	}
	return s.core.RemoveObject(ctx, s.bucket, s.tailName(key, id), minio.RemoveObjectOptions{})
}

// uploadPart uploads the bytes of c as part n of the upload of key,
// signed with their SHA-256 like putObject over plain HTTP. Over HTTPS
// they go unsigned (UNSIGNED-PAYLOAD, as the AWS SDKs send them there):
// TLS already checks every byte in transit, and they are sealed, so that
// navette checks them again when it reads them; a second SHA-256 of every
// byte, on navette's side and the service's, would only cost CPU.
func (s *Store) uploadPart(ctx context.Context, key, upload string, n int, c *chunk) (part, error) {
	body, sum := c.body()
	p, err := s.core.PutObjectPart(ctx, s.bucket, s.blobName(key), upload, n, body, c.n,
		minio.PutObjectPartOptions{Sha256Hex: sum, DisableContentSha256: true})
	if err != nil {
		return part{}, err
	}
	if p.ETag == "" {
		return part{}, fmt.Errorf("part %d of %s: no ETag", n, key)
	}
	return part{N: n, ETag: p.ETag, Size: c.n}, nil
}

// finalSize returns the size of the finished blob key, and whether there is
// one.
func (s *Store) finalSize(ctx context.Context, key string) (int64, bool, error) {
	info, err := s.core.StatObject(ctx, s.bucket, s.blobName(key), minio.StatObjectOptions{})
	if isNotFound(err) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, err
	}
	return info.Size, true, nil
}
