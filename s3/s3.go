// Package s3 implements navette.BlobStore on an S3-compatible object store
// run by the operator (MinIO, Ceph RGW, Garage, versitygw), so that several
// stateless nodes share the blobs: everything an upload needs to go on is in
// the object store, and an upload started through one node continues
// through another.
//
// # Layout
//
// Under the configured prefix P, a blob key k has these objects:
//
//	P blobs/k                finished blob, one object, read with Range GETs
//	P uploads/k.json         state of the unfinished blob: its commit record
//	P uploads/k.tail.ID      committed bytes not yet in a part (ID is random)
//
// An unfinished blob is an S3 multipart upload of P blobs/k. Parts must be
// at least 5 MiB but a Commit may come after any number of bytes, so the
// state object lists the parts committed so far (number, ETag, size) and
// names a tail object holding the committed bytes that follow them (fewer
// than 5 MiB). A writer buffers up to PartSize bytes; each full buffer is
// uploaded as a part while the next fills, so a writer holds at most two
// buffers (see Memory). Commit uploads the buffer as a part if it holds at least 5 MiB,
// else writes it as a new tail object, then writes the state object: that
// write is the commit point. A crash before it leaves the previous state,
// whose parts and tail are untouched, so uncommitted bytes are simply
// forgotten. The tail of the commit before the previous one is deleted
// after each commit; the state keeps a summary of the previous commit, so
// that a caller that never heard back from a Commit which did reach the
// store can still resume at the offset it had before.
//
// Append reads the state and the tail back; Finish has the object store
// copy the tail as the last part (UploadPartCopy; where the store cannot,
// it reads the tail back and uploads it) and completes the upload (or,
// with no part, writes the tail in place with one PUT), checks the size of
// the final object, then removes the tail and state objects. Each step is idempotent, so a Finish interrupted
// anywhere is completed by the next one.
//
// Callers must not run two writers, or a writer and Finish, on the same key
// at once; navette's metadata locks serialize them across nodes.
//
// Parts a writer uploaded but did not commit stay in the multipart upload
// until the next writer uploads parts of the same numbers or Finish
// completes the upload without them. A multipart upload left behind by a
// crash between making it and recording it is aborted by Delete. Operators may also give the bucket a
// lifecycle rule aborting incomplete multipart uploads after some days
// (more than the longest pause of an upload).
//
// # Memory
//
// The part buffers of all the writers of a Store, and of Finish, come from
// one pool of at most Config.PartBuffers buffers (DefaultPartBuffers). A
// writer takes one only once bytes arrive for it, the committed tail being
// read back then, and never waits for another writer: when no buffer is
// free it waits for its own part in flight, if it has one in a buffer, and
// reuses that buffer; else the part goes to a spool file of
// Config.SpoolDir (bytes the caller sealed), and is uploaded from there.
// So a client that stalls holds at most one buffer or one file, and the
// others go on; memory stays bounded whatever the number of uploads. A
// spool file is unnamed as soon as it is made: its space is freed when its
// part is uploaded, when the writer closes or when the process dies, and
// New removes those a crash between making and unnaming one left.
package s3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"navette"
	"navette/internal/httpfile"
)

const (
	// PartSize is the size of the parts a writer uploads, and of each of
	// its (at most two) buffers.
	PartSize = 8 << 20
	// minPart is the smallest part S3 accepts but for the last one. A
	// Commit uploads its buffer as a part once it holds this much.
	minPart = 5 << 20
	// maxParts is the most parts a multipart upload may have, which makes
	// the largest blob at least 10000 × 5 MiB (about 48 GiB).
	maxParts = 10000
	// maxStateSize bounds the state object read back.
	maxStateSize = 4 << 20
	// stateVersion is the version of the state object's format.
	stateVersion = 1
)

// Store is a navette.BlobStore on an S3 bucket. It is safe for concurrent
// use, and any number of Stores, in any number of processes, may share a
// bucket and prefix.
type Store struct {
	core   *minio.Core
	tr     *http.Transport
	bucket string
	prefix string
	bufs   *partPool

	noPartCopy atomic.Bool // the service answered UploadPartCopy NotImplemented
}

var _ navette.BlobStore = (*Store)(nil)

// Open returns a Store for a URL of the form described at ParseURL, with
// credentials from the environment (see CredentialsFromEnv). It checks that
// the bucket exists. Returns EINVALID for a malformed URL, missing
// credentials, an unreadable CA file, refused credentials or a missing
// bucket, and EUNAVAILABLE if the service cannot be reached.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	if cfg.Credentials, err = CredentialsFromEnv(); err != nil {
		return nil, err
	}
	return New(ctx, cfg)
}

// OpenSpooling is Open with spoolDir as Config.SpoolDir.
func OpenSpooling(ctx context.Context, url, spoolDir string) (*Store, error) {
	cfg, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	if cfg.Credentials, err = CredentialsFromEnv(); err != nil {
		return nil, err
	}
	cfg.SpoolDir = spoolDir
	return New(ctx, cfg)
}

// New returns a Store for cfg and checks that its bucket exists. Errors are
// those of Open.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	bufs, err := newPartPoolIn(cfg)
	if err != nil {
		return nil, err
	}
	tr, err := transport(cfg)
	if err != nil {
		return nil, err
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	creds := cfg.Credentials
	core, err := minio.NewCore(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(creds.AccessKey, creds.SecretKey, creds.SessionToken),
		Secure:       cfg.Secure,
		Transport:    tr,
		Region:       region,
		BucketLookup: bucketLookup(cfg.Addressing),
	})
	if err != nil {
		return nil, navette.WrapError(navette.EINVALID, err, "Invalid S3 endpoint %s.", cfg.Endpoint)
	}
	s := &Store{core: core, tr: tr, bucket: cfg.Bucket, prefix: cfg.Prefix, bufs: bufs}
	if err := s.checkBucket(ctx, cfg.Endpoint); err != nil {
		if actual, answer := otherRegion(ctx, cfg, tr, region, err); actual != "" {
			err = navette.WrapError(navette.EINVALID, answer, "The S3 bucket %s at %s is in region %s, not %s: set region=%s in the URL, or leave region out.", cfg.Bucket, cfg.Endpoint, actual, region, actual)
		}
		tr.CloseIdleConnections()
		return nil, err
	}
	return s, nil
}

// otherRegion returns the region the bucket of cfg is in if it is not
// region and the lookup failed with err, a bad request: what S3 services
// answer a request signed for another region, which the lookup (a HEAD)
// carries no body to explain. It returns the service's answer with it; ""
// otherwise, or if the service does not tell.
func otherRegion(ctx context.Context, cfg Config, tr http.RoundTripper, region string, err error) (string, error) {
	var answer minio.ErrorResponse
	if !errors.As(err, &answer) || answer.StatusCode != http.StatusBadRequest {
		return "", nil
	}
	creds := cfg.Credentials
	c, cerr := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(creds.AccessKey, creds.SecretKey, creds.SessionToken),
		Secure:       cfg.Secure,
		Transport:    tr,
		BucketLookup: bucketLookup(cfg.Addressing),
	})
	if cerr != nil {
		return "", nil
	}
	actual, lerr := c.GetBucketLocation(ctx, cfg.Bucket)
	if lerr != nil || actual == region {
		return "", nil
	}
	return actual, answer
}

// checkConfig checks that cfg names a bucket, an endpoint and credentials,
// and cleans its prefix.
func checkConfig(cfg *Config) error {
	if cfg.Bucket == "" || cfg.Endpoint == "" {
		return navette.Errorf(navette.EINVALID, "The S3 blob store needs a bucket and an endpoint.")
	}
	if cfg.Credentials.AccessKey == "" || cfg.Credentials.SecretKey == "" {
		return navette.Errorf(navette.EINVALID, "The S3 blob store needs credentials: set %s and %s.", EnvAccessKey, EnvSecretKey)
	}
	if cfg.Prefix != "" {
		p, ok := cleanPrefix(cfg.Prefix)
		if !ok {
			return navette.Errorf(navette.EINVALID, "Invalid S3 object prefix.")
		}
		cfg.Prefix = p
	}
	return nil
}

// newPartPoolIn returns the part pool of cfg, removing the spool files a
// process that died left in its spool directory.
func newPartPoolIn(cfg Config) (*partPool, error) {
	if cfg.SpoolDir != "" {
		if err := removeSpools(cfg.SpoolDir); err != nil {
			return nil, navette.WrapError(navette.EINVALID, err, "Cannot use %s as the S3 spool directory.", cfg.SpoolDir)
		}
	}
	p := newPartPool(cfg.PartBuffers, cfg.SpoolDir)
	p.unsigned = cfg.Secure
	return p, nil
}

// transport returns the HTTP transport of the client, trusting the CA file
// of cfg if it names one.
func transport(cfg Config) (*http.Transport, error) {
	tr, err := minio.DefaultTransport(cfg.Secure)
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "Cannot set up the S3 client.")
	}
	if cfg.CAFile == "" {
		return tr, nil
	}
	if !cfg.Secure {
		return nil, navette.Errorf(navette.EINVALID, "An S3 CA file needs secure=true.")
	}
	pem, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return nil, navette.WrapError(navette.EINVALID, err, "Cannot read the S3 CA file %s.", cfg.CAFile)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, navette.Errorf(navette.EINVALID, "The S3 CA file %s holds no PEM certificate.", cfg.CAFile)
	}
	tr.TLSClientConfig.RootCAs = pool
	return tr, nil
}

// bucketLookup is the minio bucket lookup of an addressing style.
func bucketLookup(a Addressing) minio.BucketLookupType {
	switch a {
	case AddressPath:
		return minio.BucketLookupPath
	case AddressVirtualHost:
		return minio.BucketLookupDNS
	}
	return minio.BucketLookupAuto
}

// checkBucket checks that the bucket exists, telling why not.
func (s *Store) checkBucket(ctx context.Context, endpoint string) error {
	ok, err := s.core.BucketExists(ctx, s.bucket)
	if err != nil {
		return bucketError(err, endpoint, s.bucket)
	}
	if !ok {
		return navette.Errorf(navette.EINVALID, "The S3 bucket %s does not exist at %s.", s.bucket, endpoint)
	}
	return nil
}

// bucketError tells why looking up the bucket at endpoint failed with err.
func bucketError(err error, endpoint, bucket string) error {
	switch {
	case isUntrusted(err):
		return navette.WrapError(navette.EINVALID, err, "The TLS certificate of the S3 service at %s is not trusted (see ca=).", endpoint)
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return navette.WrapError(navette.EINVALID, err, "The S3 service at %s answers plain HTTP (see secure=false).", endpoint)
	case isDenied(err):
		return navette.WrapError(navette.EINVALID, err, "The S3 service at %s refused the credentials for bucket %s.", endpoint, bucket)
	case errorCode(err) == navette.EUNAVAILABLE:
		return navette.WrapError(navette.EUNAVAILABLE, err, "Cannot reach the S3 service at %s.", endpoint)
	}
	return navette.WrapError(navette.EINVALID, err, "The S3 service at %s refused to look up bucket %s.", endpoint, bucket)
}

// Close releases the idle connections of the store's client. A Store needs
// no closing otherwise; one used after Close makes new connections.
func (s *Store) Close() error {
	s.tr.CloseIdleConnections()
	return nil
}

// Bucket returns the store's bucket.
func (s *Store) Bucket() string { return s.bucket }

// Prefix returns the prefix of the store's object names.
func (s *Store) Prefix() string { return s.prefix }

func (s *Store) blobName(key string) string  { return s.prefix + "blobs/" + key }
func (s *Store) stateName(key string) string { return s.prefix + "uploads/" + key + ".json" }
func (s *Store) tailName(key, id string) string {
	return s.prefix + "uploads/" + key + ".tail." + id
}

// errorCode classifies an error of the S3 client: EUNAVAILABLE for what
// may pass (network, cancellation, overload, server faults), ENOSPACE for
// a store that says it is full, EINTERNAL for the rest.
func errorCode(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return navette.EUNAVAILABLE
	case errors.Is(err, syscall.ENOSPC): // the spool directory's disk
		return navette.ENOSPACE
	}
	r := minio.ToErrorResponse(err)
	if r.Code == "XMinioStorageFull" || r.StatusCode == http.StatusInsufficientStorage {
		return navette.ENOSPACE
	}
	switch r.Code {
	case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "NoSuchBucket",
		"XMinioServerNotInitialized", "OperationAborted":
		return navette.EUNAVAILABLE
	}
	if r.StatusCode >= 500 || r.StatusCode == http.StatusTooManyRequests {
		return navette.EUNAVAILABLE
	}
	return navette.EINTERNAL
}

// wrap turns an error into a navette error, once: navette errors pass as
// they are.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var ne *navette.Error
	if errors.As(err, &ne) {
		return err
	}
	switch errorCode(err) {
	case navette.EUNAVAILABLE:
		return navette.WrapError(navette.EUNAVAILABLE, err, "The blob store is unavailable.")
	case navette.ENOSPACE:
		return navette.WrapError(navette.ENOSPACE, err, "The server's storage is full; try again later.")
	}
	return navette.WrapError(navette.EINTERNAL, err, "Blob storage failed.")
}

// isUntrusted reports whether err is the failure to verify a TLS
// certificate.
func isUntrusted(err error) bool {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
	)
	return errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verify)
}

func isNotFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.Code == minio.NoSuchKey || r.Code == "NotFound" || r.Code == "" && r.StatusCode == http.StatusNotFound
}

func isInvalidRange(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.Code == "InvalidRange" || r.StatusCode == http.StatusRequestedRangeNotSatisfiable
}

func isNotImplemented(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.Code == "NotImplemented" || r.StatusCode == http.StatusNotImplemented
}

func isNoSuchUpload(err error) bool {
	return minio.ToErrorResponse(err).Code == minio.NoSuchUpload
}

func isDenied(err error) bool {
	switch minio.ToErrorResponse(err).Code {
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken":
		return true
	}
	return false
}

// corrupt reports a blob whose objects contradict each other; the details
// are for the log.
func corrupt(key, format string, args ...any) error {
	return navette.WrapError(navette.EINTERNAL, fmt.Errorf("blob %s: "+format, append([]any{key}, args...)...), "Blob storage failed.")
}

// Append opens the unfinished blob key for writing at off, its committed
// length; off 0 creates the blob if needed. If off is less than the
// committed length, the blob is cut to off at once, which is possible at
// the end of any part, anywhere in the committed tail, and at the length of
// the previous commit (so that a caller that saw a Commit fail may resume
// where it was); elsewhere Append returns ECONFLICT. Returns ECONFLICT if
// the blob is finished, or missing or shorter than off; EINVALID for a
// malformed key or a negative offset; EUNAVAILABLE if the store cannot be
// reached.
//
// The writer's requests keep ctx's values but not its cancellation or
// deadline, so that what a cut connection delivered can still be committed;
// Close cancels them.
func (s *Store) Append(ctx context.Context, key string, off int64) (navette.BlobWriter, error) {
	if err := navette.CheckBlobCall(ctx, key, off); err != nil {
		return nil, err
	}
	w, err := s.append(ctx, key, off)
	if err != nil {
		return nil, wrap(err)
	}
	return w, nil
}

func (s *Store) append(ctx context.Context, key string, off int64) (*writer, error) {
	if _, ok, err := s.finalSize(ctx, key); err != nil {
		return nil, err
	} else if ok {
		return nil, navette.Errorf(navette.ECONFLICT, "The blob is finished.")
	}
	st, err := s.readState(ctx, key)
	if err == errNoState {
		if off != 0 {
			return nil, navette.Errorf(navette.ECONFLICT, "The blob is shorter than the offset.")
		}
		return s.newWriter(ctx, key, &state{Version: stateVersion}, true), nil
	} else if err != nil {
		return nil, err
	}
	if off > st.Size {
		return nil, navette.Errorf(navette.ECONFLICT, "The blob is shorter than the offset.")
	}
	if off < st.Size {
		if st, err = s.rewind(ctx, key, st, off); err != nil {
			return nil, err
		}
	}
	return s.newWriter(ctx, key, st, false), nil
}

// rewind cuts the committed state old of key to off < old.Size, commits
// the cut state and returns it.
func (s *Store) rewind(ctx context.Context, key string, old *state, off int64) (*state, error) {
	st, err := cut(old, off)
	if err != nil {
		return nil, err
	}
	if err := s.writeState(ctx, key, st); err != nil {
		return nil, err
	}
	s.removeUnnamedTails(ctx, key, st, old.Tail, old.Prev.tail(), old.Prev2.tail())
	return st, nil
}

// removeUnnamedTails deletes the tail objects ids of key that st does not
// name, as its tail or one of its previous commits': they are garbage.
// Finish and Delete remove any that this misses.
func (s *Store) removeUnnamedTails(ctx context.Context, key string, st *state, ids ...string) {
	for _, id := range ids {
		if id != "" && id != st.Tail && id != st.Prev.tail() && id != st.Prev2.tail() {
			_ = s.removeTail(ctx, key, id)
		}
	}
}

// tail returns the id of c's tail object; "" for none or a nil c.
func (c *commit) tail() string {
	if c == nil {
		return ""
	}
	return c.Tail
}

// cut returns st cut to off < st.Size, or ECONFLICT if off falls inside a
// part of st that neither of the two commits before it ended.
func cut(st *state, off int64) (*state, error) {
	for _, pv := range []*commit{st.Prev, st.Prev2} {
		if pv != nil && pv.Size == off {
			return &state{Version: stateVersion, Upload: st.Upload, Parts: st.Parts[:pv.Parts:pv.Parts], Tail: pv.Tail, TailSize: pv.TailSize, Size: off}, nil
		}
	}
	end := int64(0)
	for i, p := range st.Parts {
		if end == off {
			return &state{Version: stateVersion, Upload: st.Upload, Parts: st.Parts[:i:i], Size: off}, nil
		}
		end += p.Size
	}
	if off >= end {
		ns := &state{Version: stateVersion, Upload: st.Upload, Parts: st.Parts, Tail: st.Tail, TailSize: off - end, Size: off}
		if ns.TailSize == 0 {
			ns.Tail = ""
		}
		return ns, nil
	}
	return nil, navette.Errorf(navette.ECONFLICT, "The blob cannot be cut at offset %d, inside a stored part.", off)
}

// Finish makes the unfinished blob key final: one object, readable by Open.
// Finishing a blob that is already finished does nothing but clear what a
// Finish interrupted after completing it left behind, so that a retried
// Finish succeeds. Returns ENOTFOUND if there is no blob key, EINVALID for
// a malformed key, EUNAVAILABLE if the store cannot be reached.
func (s *Store) Finish(ctx context.Context, key string) error {
	if err := navette.CheckBlobCall(ctx, key, 0); err != nil {
		return err
	}
	return wrap(s.finish(ctx, key))
}

func (s *Store) finish(ctx context.Context, key string) error {
	st, err := s.readState(ctx, key)
	if err == errNoState {
		return s.checkFinished(ctx, key)
	} else if err != nil {
		return err
	}
	if size, ok, err := s.finalSize(ctx, key); err != nil {
		return err
	} else if ok {
		// An earlier Finish made the blob and was interrupted before it
		// cleared the upload: Append refuses a finished blob, so the state
		// cannot be newer than the final object.
		if size != st.Size {
			return corrupt(key, "the finished blob has %d bytes, its upload state %d", size, st.Size)
		}
		return s.clearUpload(ctx, key, st, len(st.Parts) == 0)
	}
	if len(st.Parts) == 0 {
		return s.finishTail(ctx, key, st)
	}
	return s.finishMultipart(ctx, key, st)
}

// checkFinished answers a Finish of a blob with no state: done if it is
// finished, ENOTFOUND if there is no such blob.
func (s *Store) checkFinished(ctx context.Context, key string) error {
	if _, ok, err := s.finalSize(ctx, key); err != nil {
		return err
	} else if !ok {
		return navette.Errorf(navette.ENOTFOUND, "No such unfinished blob.")
	}
	return nil
}

// finishTail finishes a blob that is all tail with one PUT, read into a
// chunk of the pool (it is shorter than a part).
func (s *Store) finishTail(ctx context.Context, key string, st *state) error {
	c, err := s.bufs.get()
	if err != nil {
		return err
	}
	defer s.bufs.put(c)
	if err := s.readTail(ctx, key, st.Tail, st.TailSize, c); err != nil {
		return err
	}
	if err := s.putChunk(ctx, s.blobName(key), c); err != nil {
		return err
	}
	return s.clearUpload(ctx, key, st, true)
}

// finishMultipart uploads the tail of st as its last part and completes
// its multipart upload.
func (s *Store) finishMultipart(ctx context.Context, key string, st *state) error {
	err := s.completeUpload(ctx, key, st)
	if isNoSuchUpload(err) {
		return s.finishedElsewhere(ctx, key, st, err)
	} else if err != nil {
		return err
	}
	size, ok, err := s.finalSize(ctx, key)
	if err != nil {
		return err
	} else if !ok || size != st.Size {
		return corrupt(key, "completing the upload made %d bytes (found: %t), want %d", size, ok, st.Size)
	}
	return s.clearUpload(ctx, key, st, false)
}

// completeUpload uploads the tail of st as its last part and completes its
// multipart upload.
func (s *Store) completeUpload(ctx context.Context, key string, st *state) error {
	parts, err := s.uploadTailPart(ctx, key, st)
	if err != nil {
		return err
	}
	complete := make([]minio.CompletePart, len(parts))
	for i, p := range parts {
		complete[i] = minio.CompletePart{PartNumber: p.N, ETag: p.ETag}
	}
	_, err = s.core.CompleteMultipartUpload(ctx, s.bucket, s.blobName(key), st.Upload, complete, minio.PutObjectOptions{})
	return err
}

// uploadTailPart returns the parts of st followed by its tail, made one
// more part if it has bytes: copied by the object store from the tail
// object, or, where it cannot copy parts, read back and uploaded.
func (s *Store) uploadTailPart(ctx context.Context, key string, st *state) ([]part, error) {
	parts := st.Parts
	if st.TailSize == 0 {
		return parts, nil
	}
	if len(parts) == maxParts {
		return nil, navette.Errorf(navette.ETOOLARGE, "The blob has too many parts.")
	}
	p, err := s.tailPart(ctx, key, st, len(parts)+1)
	if err != nil {
		return nil, err
	}
	return append(parts[:len(parts):len(parts)], p), nil
}

// tailPart makes the tail of st part n of its upload: copied by the object
// store, else, once the store has said it cannot copy parts, sent.
func (s *Store) tailPart(ctx context.Context, key string, st *state, n int) (part, error) {
	if !s.noPartCopy.Load() {
		p, err := s.copyTailPart(ctx, key, st, n)
		if !isNotImplemented(err) {
			return p, err
		}
		s.noPartCopy.Store(true)
	}
	return s.sendTailPart(ctx, key, st, n)
}

// copyTailPart has the object store copy the tail of st as part n of its
// upload: the tail's bytes do not travel back and forth.
func (s *Store) copyTailPart(ctx context.Context, key string, st *state, n int) (part, error) {
	cp, err := s.core.CopyObjectPart(ctx, s.bucket, s.tailName(key, st.Tail), s.bucket, s.blobName(key), st.Upload, n, 0, st.TailSize, nil)
	switch {
	case isNotFound(err):
		return part{}, corrupt(key, "tail object %s is missing", st.Tail)
	case isInvalidRange(err):
		return part{}, corrupt(key, "tail object %s is shorter than %d bytes", st.Tail, st.TailSize)
	case err != nil:
		return part{}, err
	case cp.ETag == "":
		return part{}, fmt.Errorf("part %d of %s: no ETag", n, key)
	}
	return part{N: n, ETag: cp.ETag, Size: st.TailSize}, nil
}

// sendTailPart reads the tail of st into a chunk of the pool and uploads
// it as part n of its upload.
func (s *Store) sendTailPart(ctx context.Context, key string, st *state, n int) (part, error) {
	c, err := s.bufs.get()
	if err != nil {
		return part{}, err
	}
	defer s.bufs.put(c)
	if err := s.readTail(ctx, key, st.Tail, st.TailSize, c); err != nil {
		return part{}, err
	}
	return s.uploadPart(ctx, key, st.Upload, n, c)
}

// finishedElsewhere handles a multipart upload found gone while finishing:
// fine if a concurrent Finish completed it, corruption otherwise.
func (s *Store) finishedElsewhere(ctx context.Context, key string, st *state, cause error) error {
	size, ok, err := s.finalSize(ctx, key)
	if err != nil {
		return err
	}
	if !ok || size != st.Size {
		return navette.WrapError(navette.EINTERNAL, fmt.Errorf("blob %s: its multipart upload is gone: %w", key, cause), "Blob storage failed.")
	}
	return s.clearUpload(ctx, key, st, false)
}

// clearUpload removes what remains of the upload of a finished blob: the
// multipart upload if abort (it was not completed), the tail objects, then
// the state object, last so that the blob stays listed as unfinished until
// all is gone.
func (s *Store) clearUpload(ctx context.Context, key string, st *state, abort bool) error {
	if abort && st.Upload != "" {
		if err := s.core.AbortMultipartUpload(ctx, s.bucket, s.blobName(key), st.Upload); err != nil && !isNoSuchUpload(err) {
			return err
		}
	}
	return s.removeUploadObjects(ctx, key)
}

// removeUploadObjects removes the tail objects of key, then its state
// object.
func (s *Store) removeUploadObjects(ctx context.Context, key string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var names []string
	for obj := range s.core.Client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + "uploads/" + key + ".tail.", Recursive: true}) {
		if obj.Err != nil {
			return obj.Err
		}
		names = append(names, obj.Key)
	}
	for _, name := range append(names, s.stateName(key)) {
		if err := s.core.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
			return err
		}
	}
	return nil
}

// Open returns a reader of n bytes (n < 0: to the end) of the finished blob
// key from off, fetched with one ranged GET. If the blob ends before off+n,
// the reader returns io.ErrUnexpectedEOF after the bytes there are. Returns
// ENOTFOUND if there is no finished blob key, EINVALID for a malformed key
// or a negative offset, EUNAVAILABLE if the store cannot be reached. The
// reader stops when ctx is canceled.
func (s *Store) Open(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := navette.CheckBlobCall(ctx, key, off); err != nil {
		return nil, err
	}
	r, err := s.open(ctx, key, off, n)
	if err != nil {
		return nil, wrap(err)
	}
	return r, nil
}

func (s *Store) open(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if n == 0 {
		return s.openEnd(ctx, key, off, false)
	}
	body, info, h, err := s.core.GetObject(ctx, s.bucket, s.blobName(key), rangeOptions(off, n))
	if isNotFound(err) {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such blob.")
	}
	if isInvalidRange(err) {
		// off is at or past the end.
		return s.openEnd(ctx, key, off, n > 0)
	}
	if err != nil {
		return nil, err
	}
	if n > 0 || off > 0 {
		return rangeReader(key, body, off, n, info.Size, h.Get("Content-Range"))
	}
	return bodyReader(body, info.Size, io.EOF), nil
}

// rangeOptions returns the options of a GET of n bytes (n < 0: to the end)
// from off.
func rangeOptions(off, n int64) minio.GetObjectOptions {
	opts := minio.GetObjectOptions{}
	if n > 0 {
		opts.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	} else if off > 0 {
		opts.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	return opts
}

// openEnd returns the reader of a read of the blob key at off that is at or
// past its end: ErrUnexpectedEOF if off is past the end or short, EOF
// otherwise.
func (s *Store) openEnd(ctx context.Context, key string, off int64, short bool) (io.ReadCloser, error) {
	size, ok, err := s.finalSize(ctx, key)
	if err != nil {
		return nil, err
	} else if !ok {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such blob.")
	}
	return endReader(off > size || short), nil
}

// rangeReader returns the reader of body, the answer to a ranged GET of n
// bytes (n < 0: to the end) from off, after checking its Content-Range.
func rangeReader(key string, body io.ReadCloser, off, n, size int64, contentRange string) (io.ReadCloser, error) {
	start, _, total, ok := httpfile.ParseContentRange(contentRange)
	if !ok && off == 0 {
		start, total, ok = 0, size, true // the whole blob: fine from 0
	}
	if !ok || start != off {
		body.Close()
		return nil, fmt.Errorf("blob %s: asked for bytes from %d, got Content-Range %q", key, off, contentRange)
	}
	if n > 0 && off+n > total {
		// Short blob: read what there is, then ErrUnexpectedEOF.
		return bodyReader(body, total-off, io.ErrUnexpectedEOF), nil
	}
	if n < 0 {
		n = size
	}
	return bodyReader(body, n, io.EOF), nil
}

// Delete removes the blob key, finished or not: it aborts the multipart
// upload, removes the finished object, the tails and the state. A missing
// blob is not an error. Returns EINVALID for a malformed key, EUNAVAILABLE
// if the store cannot be reached.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := navette.CheckBlobCall(ctx, key, 0); err != nil {
		return err
	}
	return wrap(s.delete(ctx, key))
}

func (s *Store) delete(ctx context.Context, key string) error {
	name := s.blobName(key)
	uploads, err := s.uploadsOf(ctx, key, name)
	if err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(uploads)) {
		if err := s.core.AbortMultipartUpload(ctx, s.bucket, name, id); err != nil && !isNoSuchUpload(err) {
			return err
		}
	}
	if err := s.core.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
		return err
	}
	return s.removeUploadObjects(ctx, key)
}

// uploadsOf returns the ids of the multipart uploads of the blob key, of
// object name: the one its state records, and those no state records,
// made by a writer that died before it could write one.
func (s *Store) uploadsOf(ctx context.Context, key, name string) (map[string]bool, error) {
	st, err := s.readState(ctx, key)
	var ne *navette.Error
	if err != nil && err != errNoState && !errors.As(err, &ne) {
		return nil, err // a corrupt state is deleted like any other
	}
	uploads := map[string]bool{}
	if st != nil && st.Upload != "" {
		uploads[st.Upload] = true
	}
	if err := s.listUploads(ctx, name, uploads); err != nil {
		return nil, err
	}
	return uploads, nil
}

// listUploads adds to uploads the ids of the multipart uploads of the
// object name, none if the service cannot list them.
func (s *Store) listUploads(ctx context.Context, name string, uploads map[string]bool) error {
	var keyMarker, idMarker string
	for {
		res, err := s.core.ListMultipartUploads(ctx, s.bucket, name, keyMarker, idMarker, "", 1000)
		if err != nil && isNotImplemented(err) {
			return nil
		} else if err != nil {
			return err
		}
		addUploads(uploads, res.Uploads, name)
		if !res.IsTruncated || res.NextKeyMarker == "" && res.NextUploadIDMarker == "" {
			return nil
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
}

// addUploads adds to uploads the ids of the multipart uploads of the object
// name in list.
func addUploads(uploads map[string]bool, list []minio.ObjectMultipartInfo, name string) {
	for _, u := range list {
		if u.Key == name {
			uploads[u.UploadID] = true
		}
	}
}

// Unfinished returns the keys of the unfinished blobs, sorted: those with a
// state or a tail object (a tail without state is left by a writer that died
// before its first commit). Names that are not keys are left out.
func (s *Store) Unfinished(ctx context.Context) ([]string, error) {
	if err := navette.CheckBlobContext(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dir := s.prefix + "uploads/"
	seen := map[string]bool{}
	for obj := range s.core.Client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: dir, Recursive: true}) {
		if obj.Err != nil {
			return nil, wrap(obj.Err)
		}
		if key, ok := uploadKey(strings.TrimPrefix(obj.Key, dir)); ok {
			seen[key] = true
		}
	}
	keys := slices.Sorted(maps.Keys(seen))
	if keys == nil {
		keys = []string{}
	}
	return keys, nil
}

// uploadKey returns the key of the blob an object of the uploads directory,
// named <key>.<suffix>, belongs to, if its name starts with a key.
func uploadKey(name string) (string, bool) {
	if len(name) > navette.IDLen && name[navette.IDLen] == '.' && navette.ValidID(name[:navette.IDLen]) {
		return name[:navette.IDLen], true
	}
	return "", false
}

// Ping checks that the bucket can be reached. Returns EUNAVAILABLE if not.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.core.BucketExists(ctx, s.bucket)
	if err != nil {
		return navette.WrapError(navette.EUNAVAILABLE, err, "The blob store cannot be reached.")
	}
	if !ok {
		return navette.Errorf(navette.EUNAVAILABLE, "The blob store's bucket %s is gone.", s.bucket)
	}
	return nil
}
