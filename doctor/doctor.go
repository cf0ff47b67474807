// Package doctor checks a navette deployment as its configuration
// describes it, without starting the server, and reports where its data
// lives and every server it talks to (navette doctor).
//
// Each check ends OK, WARN (works, but an operator should look) or FAIL
// (the server cannot work as configured). Nothing is changed, except one
// probe object written to the blob store, read back and deleted, and no
// mail is sent.
package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"navette"
	"navette/app"
)

// Status is the outcome of a check.
type Status string

// The outcomes of a check.
const (
	OK   Status = "OK"
	Warn Status = "WARN"
	Fail Status = "FAIL"
)

// Check is the outcome of one check, with its explanation.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
}

// Place is where one kind of data lives.
type Place struct {
	// Data is the kind of data: metadata, blobs, keys, journal, outbox,
	// logs.
	Data string `json:"data"`
	// Where is a path or a URL (without password).
	Where string `json:"where"`
	// Host is the machine holding it: a host name, or "local" for this
	// machine's file system.
	Host string `json:"host"`
	// Addrs are the addresses Host resolves to.
	Addrs []string `json:"addrs,omitempty"`
}

// Endpoint is a server the configuration makes navette connect to.
type Endpoint struct {
	// Service is what navette asks of it: postgresql, s3, smtp, clamd,
	// tsa, ldap, oidc.
	Service string `json:"service"`
	// URL names it (without password).
	URL string `json:"url"`
	// Network is tcp or unix.
	Network string `json:"network"`
	// Host and Port are where navette connects; for a unix socket, Host is
	// its path and Port is empty.
	Host string `json:"host"`
	Port string `json:"port,omitempty"`
	// Addrs are the addresses Host resolves to.
	Addrs []string `json:"addrs,omitempty"`
	// Error says why Host did not resolve, if it did not.
	Error string `json:"error,omitempty"`
}

// Report is what Run found.
type Report struct {
	Checks []Check `json:"checks"`
	// Data says where each kind of data lives.
	Data []Place `json:"data"`
	// Endpoints are every server navette connects to, as configured.
	Endpoints []Endpoint `json:"endpoints"`
	// Failed reports whether any check failed.
	Failed bool `json:"failed"`
}

// Options tune Run.
type Options struct {
	// Timeout bounds each network check (DefaultTimeout when zero).
	Timeout time.Duration
}

// DefaultTimeout bounds each network check.
const DefaultTimeout = 10 * time.Second

// Run checks the deployment cfg describes, as navette serve would read it.
func Run(ctx context.Context, cfg app.Config, o Options) *Report {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if cfg.Clock == nil {
		cfg.Clock = navette.SystemClock{}
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	d := &doctor{cfg: cfg, timeout: o.Timeout}
	d.fresh = d.firstStart()
	r := &Report{}
	r.Checks = append(r.Checks, d.keys()...)
	r.Checks = append(r.Checks, d.database(ctx), d.blobs(ctx))
	r.Checks = append(r.Checks, d.clock(ctx)...)
	r.Checks = append(r.Checks, d.smtp(ctx), d.clamd(ctx), d.ldap(ctx), d.oidc(ctx), d.tls())
	r.Data = d.places(ctx)
	r.Endpoints = d.endpoints(ctx)
	for _, c := range r.Checks {
		if c.Status == Fail {
			r.Failed = true
		}
	}
	return r
}

// doctor holds what the checks share.
type doctor struct {
	cfg     app.Config
	timeout time.Duration
	// oidcURLs are the endpoints the identity provider's discovery
	// document names, which the server calls too.
	oidcURLs []string
	// fresh reports a data directory navette has never started on: what
	// serve creates at its first start is then missing, not broken.
	fresh bool
}

// firstStart reports whether navette serve has not yet started on the
// configured data directory: no key directory, and no SQLite database
// file either (a PostgreSQL database may hold data whatever the keys).
func (d *doctor) firstStart() bool {
	if _, err := os.Stat(filepath.Join(d.cfg.DataDir, "keys")); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	scheme, rest, _ := strings.Cut(d.dbURL(), ":")
	if scheme != "sqlite" {
		return false
	}
	_, err := os.Stat(strings.TrimPrefix(rest, "//"))
	return errors.Is(err, fs.ErrNotExist)
}

// missing is the check of something navette serve creates at its first
// start and that is not there: a warning before that start, a failure
// after it.
func (d *doctor) missing(name, format string, args ...any) Check {
	if d.fresh {
		return warn(name, format, args...)
	}
	return fail(name, format, args...)
}

func ok(name, format string, args ...any) Check {
	return Check{Name: name, Status: OK, Detail: fmt.Sprintf(format, args...)}
}

func warn(name, format string, args ...any) Check {
	return Check{Name: name, Status: Warn, Detail: fmt.Sprintf(format, args...)}
}

func fail(name, format string, args ...any) Check {
	return Check{Name: name, Status: Fail, Detail: fmt.Sprintf(format, args...)}
}

// message renders err on one line: the user-facing message of an
// application error rather than its code, then what it wraps.
func message(err error) string {
	msg := err.Error()
	var e *navette.Error
	if errors.As(err, &e) {
		var parts []string
		if e.Message != "" {
			parts = append(parts, strings.TrimSuffix(e.Message, "."))
		}
		if e.Err != nil {
			parts = append(parts, e.Err.Error())
		}
		if len(parts) > 0 {
			msg = strings.Replace(msg, e.Error(), strings.Join(parts, ": "), 1)
		}
	}
	return strings.Join(strings.Fields(msg), " ")
}

// WriteJSON writes r as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes r for a terminal: one line per check, then where data
// lives and the servers navette talks to.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Status, c.Name, c.Detail)
	}
	fmt.Fprintln(tw, "\nWhere data lives:")
	for _, p := range r.Data {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", p.Data, p.Where, hostText(p.Host, p.Addrs, ""))
	}
	fmt.Fprintln(tw, "\nServers navette connects to:")
	if len(r.Endpoints) == 0 {
		fmt.Fprintln(tw, "  none")
	}
	for _, e := range r.Endpoints {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", e.Service, e.URL, hostText(e.Host, e.Addrs, e.Error))
	}
	return tw.Flush()
}

func hostText(host string, addrs []string, err string) string {
	switch {
	case err != "":
		return host + " (does not resolve: " + err + ")"
	case len(addrs) > 0 && !(len(addrs) == 1 && addrs[0] == host):
		return host + " → " + strings.Join(addrs, ", ")
	}
	return host
}
