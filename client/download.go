package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"navette/api"
	"navette/internal/httpfile"
)

// DownloadInfo describes a downloaded file, from the headers of the answer.
type DownloadInfo struct {
	// Size is the length of the whole file, -1 when the server did not say.
	Size int64
	// SHA256 is the file's digest from the Repr-Digest header (RFC 9530),
	// nil when the server sent none.
	SHA256 []byte
	// ETag is the entity tag of the file, "" if none.
	ETag string
	// Name is the file name from Content-Disposition, as the server sent it:
	// it comes from another user, so sanitize it before using it as a path.
	Name string
}

// ErrChanged is returned by Download when the file changed on the server
// while it was being downloaded: what was written is not one file.
var ErrChanged = errors.New("the file changed on the server during the download")

// Download writes to w the bytes of a deposit's file from offset on (what
// the caller already holds is not sent again: offset > 0 sends a Range
// request). When the connection drops it resumes where it stopped, within
// the retry policy, checking with If-Range that the file did not change. It
// fails if the body ends before its announced length, which is how the
// server signals corruption it detects mid-stream; a resumption the server
// then refuses with its own 500 problem document is not retried. It does
// not check the digest: hash what is written and compare with
// DownloadInfo.SHA256.
//
// An error of w is returned as is and not retried.
func (c *Client) Download(ctx context.Context, depositID, fileID string, w io.Writer, offset int64) (DownloadInfo, error) {
	if offset < 0 {
		return DownloadInfo{Size: -1}, fmt.Errorf("invalid offset %d", offset)
	}
	u := c.endpoint(depositPath(depositID, "files", fileID), nil)
	b := backoff{p: c.retry}
	var info *DownloadInfo // from the first answer
	for {
		got, n, err := c.downloadOnce(ctx, u, w, offset, info)
		if info == nil {
			info = got
		}
		offset += n
		if err == nil {
			return *info, nil
		}
		if n > 0 {
			b.progressed()
		}
		if err := downloadRetry(ctx, &b, err); err != nil {
			return infoOr(info), err
		}
	}
}

// downloadRetry decides what follows a failed download attempt: nil to try
// again, after the backoff's wait, or the error to return. A failure of the
// caller's writer is returned as is.
func downloadRetry(ctx context.Context, b *backoff, err error) error {
	var we *writeError
	if errors.As(err, &we) {
		return we.err
	}
	if !retryable(ctx, err, false) {
		return err
	}
	return b.wait(ctx, err)
}

func infoOr(info *DownloadInfo) DownloadInfo {
	if info == nil {
		return DownloadInfo{Size: -1}
	}
	return *info
}

// writeError marks a failure of the caller's writer.
type writeError struct{ err error }

// Error returns the writer's error text.
func (e *writeError) Error() string { return e.err.Error() }

// downloadOnce makes one GET from offset and copies the body to w. prev is
// the description of an earlier answer in this download, nil on the first
// attempt. It returns the description of this answer and the number of
// bytes written.
func (c *Client) downloadOnce(ctx context.Context, u *url.URL, w io.Writer, offset int64, prev *DownloadInfo) (*DownloadInfo, int64, error) {
	rctx, wd := newWatchdog(ctx, c.stall)
	defer wd.stop()
	req, err := c.downloadRequest(rctx, u, offset, prev)
	if err != nil {
		return nil, 0, permanent(err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, requestError(ctx, rctx, err)
	}
	defer drainClose(resp.Body)
	info, skip, err := describeAnswer(resp, offset, prev)
	if err != nil || resp.StatusCode == http.StatusRequestedRangeNotSatisfiable {
		return info, 0, err
	}
	n, err := receiveBody(w, &watchedReader{r: resp.Body, wd: wd}, skip)
	if err != nil {
		var we *writeError
		if !errors.As(err, &we) {
			err = requestError(ctx, rctx, err)
		}
		return info, n, err
	}
	return info, n, settleSize(info, offset+n)
}

// receiveBody discards the first skip bytes of body, which the caller
// already holds, and copies the rest to w; it returns the bytes written.
func receiveBody(w io.Writer, body io.Reader, skip int64) (int64, error) {
	if skip > 0 {
		if _, err := io.CopyN(io.Discard, body, skip); err != nil {
			return 0, err
		}
	}
	return copyBody(w, body)
}

// settleSize checks that the received bytes of a completed answer make the
// whole file, or records them as its size when the server announced none.
func settleSize(info *DownloadInfo, received int64) error {
	if info.Size >= 0 && received != info.Size {
		// Connection closed early without the transport noticing: treat
		// it like a dropped connection.
		return fmt.Errorf("the download ended after %d of %d bytes: %w", received, info.Size, io.ErrUnexpectedEOF)
	}
	if info.Size < 0 {
		info.Size = received
	}
	return nil
}

// downloadRequest returns the GET of a download from offset; prev is the
// description of an earlier answer in this download, nil on the first
// attempt.
func (c *Client) downloadRequest(ctx context.Context, u *url.URL, offset int64, prev *DownloadInfo) (*http.Request, error) {
	req, err := c.newRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	// No transparent compression: lengths and ranges are of the file.
	req.Header.Set("Accept-Encoding", "identity")
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
		if prev != nil && prev.ETag != "" && !strings.HasPrefix(prev.ETag, "W/") {
			req.Header.Set("If-Range", prev.ETag)
		}
	}
	return req, nil
}

// describeAnswer returns the description of the answer to a download from
// offset, and the bytes of its body the caller already has; prev is the
// description of an earlier answer in this download, nil on the first
// attempt. It refuses an answer that does not match the request or prev.
func describeAnswer(resp *http.Response, offset int64, prev *DownloadInfo) (info *DownloadInfo, skip int64, err error) {
	info = &DownloadInfo{Size: -1, ETag: resp.Header.Get("ETag")}
	if info.Size, skip, err = answerExtent(resp, offset); err != nil {
		return nil, 0, err
	}
	if info.SHA256, err = ParseReprDigest(resp.Header.Values("Repr-Digest")); err != nil {
		return nil, 0, protocolError("%v", err)
	}
	info.Name = contentDispositionName(resp.Header.Get("Content-Disposition"))
	if prev != nil && !sameFile(prev, info) {
		return nil, 0, permanent(ErrChanged)
	}
	if info.Size >= 0 && offset > info.Size {
		return info, 0, protocolError("the file has %d bytes, fewer than the %d already received", info.Size, offset)
	}
	return info, skip, nil
}

// answerExtent returns the size of the file an answer to a download from
// offset describes (-1 when unknown), and the bytes of its body the caller
// already has. It refuses a status that does not answer the request.
func answerExtent(resp *http.Response, offset int64) (size, skip int64, err error) {
	switch {
	case resp.StatusCode == http.StatusOK:
		// The server ignored the range (or If-Range did not match, which
		// the comparison with the earlier answer catches): skip what the
		// caller has.
		return resp.ContentLength, offset, nil
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0 &&
		resp.Header.Get("Content-Range") == "bytes */"+strconv.FormatInt(offset, 10):
		// The caller has the whole file already.
		return offset, 0, nil
	case resp.StatusCode == http.StatusPartialContent && offset > 0:
		size, err := rangeSize(resp, offset)
		return size, 0, err
	default:
		return 0, 0, answerError(resp)
	}
}

// sameFile reports whether two answers of one download describe the same
// file.
func sameFile(a, b *DownloadInfo) bool {
	return a.Size == b.Size && a.ETag == b.ETag && string(a.SHA256) == string(b.SHA256)
}

// rangeSize returns the size of the file of a partial answer from offset.
func rangeSize(resp *http.Response, offset int64) (int64, error) {
	start, total, err := parseContentRange(resp.Header.Get("Content-Range"))
	if err != nil {
		return 0, protocolError("%v", err)
	}
	if start != offset {
		return 0, protocolError("range starts at %d, asked %d", start, offset)
	}
	if resp.ContentLength >= 0 && resp.ContentLength != total-start {
		return 0, protocolError("Content-Length %d does not match Content-Range", resp.ContentLength)
	}
	return total, nil
}

// answerError returns the error of an answer that refuses a download.
func answerError(resp *http.Response) error {
	err := responseError(resp)
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); resp.StatusCode == http.StatusInternalServerError && mt == api.ProblemContentType {
		// The server's own 500 refuses the file for good: it answers so
		// when the stored file fails its integrity check (its transient
		// faults are 503s). A proxy's bare 500 is retried.
		return permanent(err)
	}
	return err
}

// copyBody copies body to w and returns the bytes written; a failure of w
// is a *writeError.
func copyBody(w io.Writer, body io.Reader) (int64, error) {
	var n int64
	buf := make([]byte, 256<<10)
	for {
		m, rerr := body.Read(buf)
		if m > 0 {
			k, werr := w.Write(buf[:m])
			n += int64(k)
			if werr == nil && k < m {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				return n, &writeError{werr}
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// watchedReader feeds a watchdog as bytes arrive.
type watchedReader struct {
	r  io.Reader
	wd *watchdog
}

// Read reads from the body and feeds the watchdog.
func (r *watchedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.wd.kick()
	}
	return n, err
}

// parseContentRange parses "bytes START-END/TOTAL" of an open-ended range
// answer, which must run to the end of the file.
func parseContentRange(s string) (start, total int64, err error) {
	start, end, total, ok := httpfile.ParseContentRange(s)
	if !ok || end != total-1 {
		return 0, 0, fmt.Errorf("invalid Content-Range %q", s)
	}
	return start, total, nil
}

// contentDispositionName returns the file name of a Content-Disposition
// header (the RFC 8187 filename* when present, else filename), or "" when
// there is none or the header is malformed. The name is untrusted.
func contentDispositionName(h string) string {
	if h == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(h)
	if err != nil {
		return ""
	}
	return params["filename"]
}
