package client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"

	"navette"
	"navette/api"
)

// tusVersion is the tus protocol version the client speaks.
const tusVersion = "1.0.0"

// Upload sends size bytes read from src as the file name of the draft
// deposit depositID, using tus: it creates the upload, then streams the data
// in one PATCH. When the connection drops, or the server answers with a
// transient error or an offset conflict, it waits (see RetryPolicy), asks
// the server how much it holds and goes on from there; it never sends again
// what the server has. progress, if not nil, is called with the number of
// bytes sent so far (which goes back when the server lost some); calls are
// never concurrent and none happens after Upload returns.
//
// It returns the file's id, the last segment of the upload's URL.
func (c *Client) Upload(ctx context.Context, depositID, name string, src io.ReaderAt, size int64, progress func(done int64)) (fileID string, err error) {
	if size < 0 {
		return "", fmt.Errorf("invalid size %d", size)
	}
	loc, err := c.createUpload(ctx, depositID, name, size)
	if err != nil {
		return "", err
	}
	id := path.Base(loc.Path)
	if err := c.transfer(ctx, loc, src, size, progress, 0, true); err != nil {
		return id, err
	}
	return id, nil
}

// ResumeUpload continues the upload at uploadURL (as given by the server's
// Location, absolute or relative to the server URL), which an earlier
// process created for size bytes, sending what the server lacks of src. The
// server's offset is the truth: nothing it holds is sent again.
func (c *Client) ResumeUpload(ctx context.Context, uploadURL string, src io.ReaderAt, size int64, progress func(done int64)) error {
	loc, err := c.resolveUpload(uploadURL)
	if err != nil {
		return err
	}
	return c.transfer(ctx, loc, src, size, progress, 0, false)
}

// CreateUpload creates the upload of a file of size bytes named name in the
// draft deposit depositID, sending none of it, and returns its absolute URL
// for ResumeUpload: a caller that records the URL first can go on with the
// upload after a crash, in another process.
func (c *Client) CreateUpload(ctx context.Context, depositID, name string, size int64) (string, error) {
	if size < 0 {
		return "", fmt.Errorf("invalid size %d", size)
	}
	loc, err := c.createUpload(ctx, depositID, name, size)
	if err != nil {
		return "", err
	}
	return loc.String(), nil
}

// UploadOffset asks the server how many bytes of the upload at uploadURL
// (as ResumeUpload takes it), created for size bytes, it holds, retrying
// as a transfer does. A request still writing the upload is made to let
// go first, so the answer holds all it received.
func (c *Client) UploadOffset(ctx context.Context, uploadURL string, size int64) (int64, error) {
	loc, err := c.resolveUpload(uploadURL)
	if err != nil {
		return 0, err
	}
	b := backoff{p: c.retry}
	return c.serverOffset(ctx, loc, size, &b)
}

// DeleteUpload removes the upload at uploadURL (as ResumeUpload takes it)
// and its file from their draft deposit (tus termination). Returns
// ENOTFOUND if the server has no such upload.
func (c *Client) DeleteUpload(ctx context.Context, uploadURL string) error {
	loc, err := c.resolveUpload(uploadURL)
	if err != nil {
		return err
	}
	req, err := c.newRequest(ctx, http.MethodDelete, loc, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Tus-Resumable", tusVersion)
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer drainClose(resp.Body)
	if resp.StatusCode != http.StatusNoContent {
		return responseError(resp)
	}
	return nil
}

// resolveUpload returns the absolute URL of the upload at uploadURL,
// absolute or relative to the server URL, checked by uploadLocation.
func (c *Client) resolveUpload(uploadURL string) (*url.URL, error) {
	ref, err := url.Parse(uploadURL)
	if err != nil {
		return nil, navette.Errorf(navette.EINVALID, "invalid upload URL: %v", err)
	}
	base := *c.base
	base.Path += "/"
	loc, err := c.uploadLocation(base.ResolveReference(ref))
	if err != nil {
		return nil, navette.Errorf(navette.EINVALID, "the upload URL is not on the server %s", c.ServerURL())
	}
	return loc, nil
}

// createUpload creates a tus upload and returns its absolute URL. It
// retries only failures where the server cannot have created anything
// (refused connections, overloaded proxies), since a second creation would
// leave a stray file in the deposit.
func (c *Client) createUpload(ctx context.Context, depositID, name string, size int64) (*url.URL, error) {
	b := backoff{p: c.retry}
	for {
		loc, err := c.createOnce(ctx, depositID, name, size)
		if err == nil {
			return loc, nil
		}
		if !creationRetryable(ctx, err) {
			return nil, err
		}
		if err := b.wait(ctx, err); err != nil {
			return nil, err
		}
	}
}

// creationRetryable reports whether a creation that failed with err surely
// did not reach the application.
func creationRetryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var se *statusError
	if errors.As(err, &se) {
		switch se.status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

func (c *Client) createOnce(ctx context.Context, depositID, name string, size int64) (*url.URL, error) {
	u := c.endpoint(api.PathUploads, nil)
	req, err := c.newRequest(ctx, http.MethodPost, u, http.NoBody)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Tus-Resumable", tusVersion)
	req.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
	req.Header.Set("Upload-Metadata", metadata(api.MetaDeposit, depositID)+","+metadata(api.MetaFilename, name))
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer drainClose(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return nil, responseError(resp)
	}
	ref, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return nil, protocolError("no valid Location for the new upload")
	}
	loc, err := c.uploadLocation(u.ResolveReference(ref))
	if err != nil {
		return nil, err
	}
	return loc, nil
}

// uploadLocation checks the absolute URL of an upload. The token goes to
// the server's host only: a URL on another host is refused. A URL on the
// server's host with another scheme or port is moved to the server's own
// origin: a server behind a TLS-terminating proxy often builds its Location
// as http://host/…, and following it would send the token in clear.
func (c *Client) uploadLocation(loc *url.URL) (*url.URL, error) {
	if !strings.EqualFold(loc.Hostname(), c.base.Hostname()) || loc.User != nil {
		return nil, protocolError("the upload URL is not on the server's host")
	}
	if id := path.Base(loc.Path); id == "" || id == "." || id == "/" || id == ".." {
		return nil, protocolError("the upload URL names no upload")
	}
	out := *loc
	out.Scheme, out.Host, out.Fragment = c.base.Scheme, c.base.Host, ""
	return &out, nil
}

// metadata returns one pair of a tus Upload-Metadata header.
func metadata(key, value string) string {
	if value == "" {
		return key
	}
	return key + " " + base64.StdEncoding.EncodeToString([]byte(value))
}

// transfer sends src from offset to the upload at loc until the server holds
// size bytes. known says whether offset is the server's; if not, it asks.
func (c *Client) transfer(ctx context.Context, loc *url.URL, src io.ReaderAt, size int64, progress func(int64), offset int64, known bool) error {
	report := func(n int64) {
		if progress != nil {
			progress(n)
		}
	}
	b := backoff{p: c.retry}
	confirmed := offset // the highest offset the server acknowledged
	conflicted := false // the last PATCH got 409
	for {
		if !known {
			off, err := c.serverOffset(ctx, loc, size, &b)
			if err != nil {
				return err
			}
			if off > confirmed {
				b.progressed()
				confirmed = off
			}
			offset, known = off, true
			report(offset)
		}
		if offset >= size {
			return nil
		}
		off, err := c.patch(ctx, loc, src, offset, size, progress)
		if err == nil {
			b.progressed()
			offset, confirmed, conflicted = off, max(confirmed, off), false
			report(offset)
			continue
		}
		known = false
		if conflicted, err = patchRetry(ctx, &b, err, conflicted); err != nil {
			return err
		}
	}
}

// serverOffset asks the server how many bytes of the upload it holds,
// retrying within the policy of b.
func (c *Client) serverOffset(ctx context.Context, loc *url.URL, size int64, b *backoff) (int64, error) {
	for {
		off, err := c.head(ctx, loc, size)
		if err == nil {
			return off, nil
		}
		if !retryable(ctx, err, false) {
			return 0, err
		}
		if err := b.wait(ctx, err); err != nil {
			return 0, err
		}
	}
}

// patchRetry decides what follows a PATCH that failed with err: the error
// to return, or a retry. An offset conflict is cured by asking at once; a
// second one in a row (another process at work?) waits like any failure.
// conflicted says whether the previous PATCH had a conflict; conflict says
// whether this one has.
func patchRetry(ctx context.Context, b *backoff, err error, conflicted bool) (conflict bool, _ error) {
	if !retryable(ctx, err, true) {
		return false, err
	}
	var se *statusError
	if errors.As(err, &se) && se.status == http.StatusConflict && !conflicted {
		return true, nil
	}
	return false, b.wait(ctx, err)
}

// head asks the server how many bytes of the upload it holds.
func (c *Client) head(ctx context.Context, loc *url.URL, size int64) (int64, error) {
	rctx, wd := newWatchdog(ctx, c.stall)
	defer wd.stop()
	req, err := c.newRequest(rctx, http.MethodHead, loc, nil)
	if err != nil {
		return 0, permanent(err)
	}
	req.Header.Set("Tus-Resumable", tusVersion)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, requestError(ctx, rctx, err)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return 0, responseError(resp)
	}
	return headOffset(resp.Header, size)
}

// headOffset returns the offset a HEAD answer gives, checking that the
// upload has the file's size.
func headOffset(h http.Header, size int64) (int64, error) {
	if l := h.Get("Upload-Length"); l != "" {
		if n, err := strconv.ParseInt(l, 10, 64); err != nil || n != size {
			return 0, permanent(navette.Errorf(navette.ECONFLICT, "the upload on the server is %s bytes long, the file %d: not the same file", l, size))
		}
	}
	off, err := strconv.ParseInt(h.Get("Upload-Offset"), 10, 64)
	if err != nil || off < 0 || off > size {
		return 0, protocolError("invalid Upload-Offset %q", h.Get("Upload-Offset"))
	}
	return off, nil
}

// patch sends src[offset:size] in one request and returns the server's new
// offset.
func (c *Client) patch(ctx context.Context, loc *url.URL, src io.ReaderAt, offset, size int64, progress func(int64)) (int64, error) {
	rctx, wd := newWatchdog(ctx, c.stall)
	defer wd.stop()
	body := &bodyReader{r: io.NewSectionReader(src, offset, size-offset), done: offset, end: size, progress: progress, wd: wd}
	req, err := c.newRequest(rctx, http.MethodPatch, loc, body)
	if err != nil {
		return 0, permanent(err)
	}
	req.ContentLength = size - offset
	req.Header.Set("Tus-Resumable", tusVersion)
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	// Lets the server refuse (offset conflict, unknown upload, too large)
	// before gigabytes are sent.
	req.Header.Set("Expect", "100-continue")
	resp, err := c.hc.Do(req)
	if srcErr := body.close(); srcErr != nil {
		if resp != nil {
			drainClose(resp.Body)
		}
		return 0, permanent(srcErr)
	}
	if err != nil {
		return 0, requestError(ctx, rctx, err)
	}
	defer drainClose(resp.Body)
	return patchOffset(resp, offset, size)
}

// patchOffset returns the server's new offset from the answer to a PATCH
// sent at offset.
func patchOffset(resp *http.Response, offset, size int64) (int64, error) {
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return 0, responseError(resp)
	}
	off, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || off <= offset || off > size {
		// Retryable: a HEAD will tell where the upload stands.
		return 0, fmt.Errorf("unexpected answer from the server: Upload-Offset %q after a PATCH at %d", resp.Header.Get("Upload-Offset"), offset)
	}
	return off, nil
}

// bodyReader is the body of a PATCH: it reports progress, feeds the
// watchdog, and stops reading the source once closed, since the transport
// may still read a request body after Do returned.
type bodyReader struct {
	mu       sync.Mutex
	r        io.Reader
	done     int64 // offset of the next byte
	end      int64
	progress func(int64)
	wd       *watchdog
	closed   bool
	err      error // a failure of the source, which retrying cannot cure
}

// Read reads the next bytes of the file, reporting progress.
func (b *bodyReader) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, errors.New("request finished")
	}
	n, err := b.r.Read(p)
	if n > 0 {
		b.done += int64(n)
		b.wd.kick()
		if b.progress != nil {
			b.progress(b.done)
		}
	}
	if b.done >= b.end {
		b.wd.pause()
	}
	switch {
	case err == io.EOF && b.done < b.end:
		b.err = fmt.Errorf("reading the file: it shrank to %d bytes while being sent", b.done)
		err = b.err
	case err != nil && err != io.EOF:
		b.err = fmt.Errorf("reading the file: %w", err)
		err = b.err
	}
	return n, err
}

// Close is called by the transport; the body stays usable until close.
func (b *bodyReader) Close() error { return nil }

// close ends the body and returns the source's failure, if any.
func (b *bodyReader) close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return b.err
}
