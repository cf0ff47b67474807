// Package client is the Go client of navette's HTTP API (/api/v1): deposits,
// resumable tus uploads and verified downloads. Every method takes a context
// first; errors the server reports as RFC 9457 problems come back as
// *navette.Error (use errors.As or navette.ErrorCode), while network faults
// stay ordinary Go errors.
//
// The client never logs anything, so the bearer token cannot leak through
// it, and it sends the token only to the host of the server URL it was
// given, with that URL's scheme: never to another host, never downgraded to
// plain http.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"navette"
	"navette/api"
)

// DefaultUserAgent is the User-Agent sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "navette-client/1"

// RetryPolicy says how uploads and downloads retry after a network fault or
// a transient server error. The wait starts at InitialDelay and doubles after
// each failed attempt up to MaxDelay; the client gives up once it has kept
// failing for Budget without making any progress (every byte that reaches
// its destination resets the wait and the budget).
type RetryPolicy struct {
	InitialDelay time.Duration
	MaxDelay     time.Duration
	// Budget is the longest time spent retrying without progress; zero
	// disables retries.
	Budget time.Duration
	// Notify, if set, is called before each wait with the failure that
	// caused it and the time until the next attempt: a transfer that
	// retries on a flaky link says so instead of going silent.
	Notify func(cause error, wait time.Duration)
}

// DefaultRetryPolicy returns the policy a new Client uses: 0.5 s doubling
// to 15 s, for up to 5 minutes without progress.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{InitialDelay: 500 * time.Millisecond, MaxDelay: 15 * time.Second, Budget: 5 * time.Minute}
}

// DefaultStallTimeout is how long a transfer may go without moving a byte
// before the client drops the connection and retries.
const DefaultStallTimeout = 2 * time.Minute

// Client talks to one navette server with one token. It is safe for
// concurrent use.
type Client struct {
	base      *url.URL // scheme, host and optional path prefix, no trailing slash
	token     string
	hc        *http.Client
	userAgent string
	retry     RetryPolicy
	stall     time.Duration
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc. No overall
// timeout should be set on it, since transfers of large files take long:
// cancel the context instead. Its redirect policy replaces the client's,
// which follows redirects only on the server's host and never to plain http.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithRetry sets the retry policy of uploads and downloads.
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// WithStallTimeout sets how long an upload or download may go without
// moving a byte before the connection is dropped and the transfer retried;
// zero disables the watchdog.
func WithStallTimeout(d time.Duration) Option { return func(c *Client) { c.stall = d } }

// New returns a client of the server at serverURL (http or https, with a
// host, optionally a path prefix) authenticating with token.
func New(serverURL, token string, opts ...Option) (*Client, error) {
	base, err := parseServerURL(serverURL)
	if err != nil {
		return nil, err
	}
	if err := checkToken(token); err != nil {
		return nil, err
	}
	c := &Client{
		base:      base,
		token:     token,
		userAgent: DefaultUserAgent,
		retry:     DefaultRetryPolicy(),
		stall:     DefaultStallTimeout,
	}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		c.hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), CheckRedirect: c.checkRedirect}
	}
	return c, nil
}

// parseServerURL checks a server URL and returns it normalized: lowercase
// host, no trailing slash.
func parseServerURL(serverURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(serverURL))
	if err != nil {
		return nil, fmt.Errorf("invalid server URL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("invalid server URL %q: the scheme must be http or https", serverURL)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("invalid server URL %q: no host", serverURL)
	case u.User != nil:
		return nil, errors.New("invalid server URL: it must not hold credentials")
	case u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return nil, errors.New("invalid server URL: no query or fragment allowed")
	}
	return &url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host), Path: strings.TrimRight(u.Path, "/")}, nil
}

// checkRedirect follows redirects on the server's host only, never from
// https to http: Go's client would forward the Authorization header there.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if !strings.EqualFold(req.URL.Hostname(), c.base.Hostname()) || req.URL.Scheme != c.base.Scheme && req.URL.Scheme != "https" {
		return fmt.Errorf("refused a redirect to %s://%s: the token goes to %s only", req.URL.Scheme, req.URL.Host, c.base.Host)
	}
	return nil
}

// checkToken refuses tokens that cannot travel in a header, without ever
// echoing them.
func checkToken(token string) error {
	if token == "" {
		return errors.New("no API token")
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c <= ' ' || c >= 0x7f {
			return errors.New("invalid API token: it holds spaces or control characters")
		}
	}
	return nil
}

// ServerURL returns the server URL the client talks to, normalized.
func (c *Client) ServerURL() string { return c.base.String() }

// endpoint returns the absolute URL of an API path with an optional query.
func (c *Client) endpoint(p string, q url.Values) *url.URL {
	u := *c.base
	u.Path = c.base.Path + p
	u.RawPath = ""
	if q != nil {
		u.RawQuery = q.Encode()
	}
	return &u
}

// depositPath returns the path of a deposit, with its id escaped, followed
// by more escaped segments.
func depositPath(id string, more ...string) string {
	var b strings.Builder
	b.WriteString(api.PathDeposits)
	b.WriteString("/")
	b.WriteString(url.PathEscape(id))
	for _, s := range more {
		b.WriteString("/")
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// newRequest builds a request with the client's headers.
func (c *Client) newRequest(ctx context.Context, method string, u *url.URL, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	return req, nil
}

// callJSON is doJSON answered by a new T.
func callJSON[T any](ctx context.Context, c *Client, method string, u *url.URL, in any, want int) (*T, error) {
	var out T
	if err := c.doJSON(ctx, method, u, in, &out, want); err != nil {
		return nil, err
	}
	return &out, nil
}

// doJSON sends a JSON request (in may be nil) and decodes a JSON answer of
// status want into out (which may be nil).
func (c *Client) doJSON(ctx context.Context, method string, u *url.URL, in, out any, want int) error {
	return c.doJSONWith(ctx, method, u, nil, in, out, want)
}

// doJSONWith is doJSON with the request header fields hdr.
func (c *Client) doJSONWith(ctx context.Context, method string, u *url.URL, hdr http.Header, in, out any, want int) error {
	body, err := jsonBody(in)
	if err != nil {
		return err
	}
	req, err := c.newRequest(ctx, method, u, body)
	if err != nil {
		return err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, "+api.ProblemContentType)
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer drainClose(resp.Body)
	if resp.StatusCode != want {
		return responseError(resp)
	}
	if out == nil {
		return nil
	}
	return decodeJSONAnswer(resp, out, method+" "+u.Path)
}

// jsonBody returns the JSON encoding of a request's input, nil when in is
// nil.
func jsonBody(in any) (io.Reader, error) {
	if in == nil {
		return nil, nil
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// decodeJSONAnswer decodes the JSON body of resp into out; request names
// the request (method and path) in the error of an answer that is not JSON.
func decodeJSONAnswer(resp *http.Response, out any, request string) error {
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return fmt.Errorf("the server answered %s with %q instead of JSON; is the server URL right?", request, mt)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJSON)).Decode(out); err != nil {
		return fmt.Errorf("reading the server's answer: %w", err)
	}
	return nil
}

// maxJSON bounds the JSON documents the client reads.
const maxJSON = 32 << 20

// drainClose reads a little of what is left of a body, so the connection
// can be reused, and closes it.
func drainClose(r io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, r, 64<<10)
	_ = r.Close()
}

// CreateDeposit creates a draft deposit, to which files are then uploaded.
// It is not retried: see CreateDepositOnce.
func (c *Client) CreateDeposit(ctx context.Context, in api.CreateDeposit) (*api.Deposit, error) {
	return callJSON[api.Deposit](ctx, c, http.MethodPost, c.endpoint(api.PathDeposits, nil), in, http.StatusCreated)
}

// CreateDepositOnce creates a draft deposit as CreateDeposit does, with key
// as its Idempotency-Key (NewIdempotencyKey makes one), and retries under
// the client's RetryPolicy when the answer is lost, the server unavailable,
// or still processing an earlier attempt: however many attempts reach the
// server, one draft is made, and returned. The same key and draft given
// again, while the server keeps the key (a day), return that draft too, so
// that a caller that keeps the key before calling may call again after a
// crash.
func (c *Client) CreateDepositOnce(ctx context.Context, in api.CreateDeposit, key string) (*api.Deposit, error) {
	return c.postOnce(ctx, c.endpoint(api.PathDeposits, nil), in, key)
}

// postOnce posts in to u, which creates a deposit, with key as its
// Idempotency-Key, retrying as CreateDepositOnce does.
func (c *Client) postOnce(ctx context.Context, u *url.URL, in any, key string) (*api.Deposit, error) {
	hdr := http.Header{api.HeaderIdempotencyKey: {quoteString(key)}}
	b := backoff{p: c.retry}
	for sent := false; ; sent = true {
		var d api.Deposit
		err := c.doJSONWith(ctx, http.MethodPost, u, hdr, in, &d, http.StatusCreated)
		if err == nil {
			return &d, nil
		}
		// A first attempt that could not connect sent nothing: there is
		// no outcome to learn, and a server that cannot be reached is said
		// at once, as by every other command.
		if !sent && notConnected(err) || !retryable(ctx, err, isProblem(err, navette.ProblemIdempotencyKeyInUse)) {
			return nil, err
		}
		if err := b.wait(ctx, err); err != nil {
			return nil, err
		}
	}
}

// notConnected reports whether err is a failure to connect to the server
// (refused, no route, no such host), before any byte of a request went.
func notConnected(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &op) && op.Op == "dial" || errors.As(err, &dns)
}

// NewIdempotencyKey returns a fresh random idempotency key for
// CreateDepositOnce.
func NewIdempotencyKey() string {
	return rand.Text()
}

// quoteString returns s as a structured field String (RFC 9651, section
// 3.3.3), its quotes and backslashes escaped.
func quoteString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Submit closes a draft deposit whose files are all uploaded, making it
// available to its recipients; the answer lists the files with their hashes.
func (c *Client) Submit(ctx context.Context, depositID string) (*api.Deposit, error) {
	return callJSON[api.Deposit](ctx, c, http.MethodPost, c.endpoint(depositPath(depositID, "submit"), nil), nil, http.StatusOK)
}

// Deposit returns a deposit with its files.
func (c *Client) Deposit(ctx context.Context, depositID string) (*api.Deposit, error) {
	return callJSON[api.Deposit](ctx, c, http.MethodGet, c.endpoint(depositPath(depositID), nil), nil, http.StatusOK)
}

// Files returns the files of a deposit.
func (c *Client) Files(ctx context.Context, depositID string) (*api.FileList, error) {
	return callJSON[api.FileList](ctx, c, http.MethodGet, c.endpoint(depositPath(depositID, "files"), nil), nil, http.StatusOK)
}

// Box names accepted by List.
const (
	BoxInbox = "inbox" // deposits addressed to the caller
	BoxSent  = "sent"  // deposits the caller made
)

// List returns one page of the caller's deposits in box (BoxInbox or
// BoxSent), newest first. before is the cursor of the page (the Next of the
// previous one, "" for the first); limit <= 0 lets the server choose.
func (c *Client) List(ctx context.Context, box, before string, limit int) (*api.DepositList, error) {
	q := url.Values{"box": {box}}
	if before != "" {
		q.Set("before", before)
	}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	return callJSON[api.DepositList](ctx, c, http.MethodGet, c.endpoint(api.PathDeposits, q), nil, http.StatusOK)
}

// Revoke withdraws a deposit its caller sent: recipients can no longer
// download it.
func (c *Client) Revoke(ctx context.Context, depositID string) error {
	return c.doJSON(ctx, http.MethodDelete, c.endpoint(depositPath(depositID), nil), nil, nil, http.StatusNoContent)
}

// RevokeWithReason withdraws a deposit its caller sent, telling its
// recipients why by e-mail.
func (c *Client) RevokeWithReason(ctx context.Context, depositID, reason string) error {
	return c.doJSON(ctx, http.MethodDelete, c.endpoint(depositPath(depositID), nil), api.Revoke{Reason: reason}, nil, http.StatusNoContent)
}
