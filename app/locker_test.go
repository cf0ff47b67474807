package app

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"navette"
	"navette/postgres"
)

// TestTusLocker takes a lock of PostgreSQL's locker through the tus adapter
// with the database out of reach: tusd gets a 503 answer that does not name
// the database (tusd answers other errors with a 500 showing their text),
// and ErrLockTimeout, answered 503, when the request's context ended first.
func TestTusLocker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	db, err := sql.Open("pgx", "postgres://test@"+addr+"/none?sslmode=disable&connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	pl := postgres.NewLocker(db)
	t.Cleanup(func() { pl.Close(); db.Close() })
	l := tusLocker{pl}

	k, err := l.NewLock("upload-1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	err = k.Lock(ctx, func() {})
	if code := navette.ErrorCode(err); code != navette.EUNAVAILABLE {
		t.Errorf("Lock with the database out of reach = %v (%s), want EUNAVAILABLE", err, code)
	}
	var te tusd.Error
	if !errors.As(err, &te) || te.HTTPResponse.StatusCode != http.StatusServiceUnavailable ||
		strings.Contains(te.HTTPResponse.Body, addr) || strings.Contains(te.Message, addr) {
		t.Errorf("Lock with the database out of reach = %v, want a tusd answer 503 that does not name the database (got %+v)", err, te)
	}
	if !strings.HasPrefix(te.HTTPResponse.Header["Content-Type"], "text/plain") {
		// text/plain is how the tus route knows to answer a problem
		// document (with its Retry-After) instead.
		t.Errorf("the 503 of a Lock with the database out of reach lacks tusd's Content-Type: %+v", te.HTTPResponse)
	}

	done, cancel := context.WithCancel(t.Context())
	cancel()
	err = k.Lock(done, func() {})
	if !errors.Is(err, tusd.ErrLockTimeout) || !errors.As(err, &te) || te.HTTPResponse.StatusCode != http.StatusServiceUnavailable ||
		!strings.HasPrefix(te.HTTPResponse.Header["Content-Type"], "text/plain") {
		t.Errorf("Lock with its context done = %v, want ErrLockTimeout answered 503 as text (got %+v)", err, te)
	}
}
