// Package app wires navette together: storage chosen by URL, the services,
// the HTTP server and the sweeper. Its App type is what "navette serve"
// runs and what tests boot whole on 127.0.0.1:0 in a temporary directory.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"navette"
	"navette/account"
	"navette/deposit"
	navhttp "navette/http"
	"navette/keyring"
)

// Config is what an App is made from. Zero values take the defaults.
type Config struct {
	// DataDir holds the key-encryption keys and, by default, the database
	// and the blobs.
	DataDir string
	// DB names the metadata store: "sqlite:PATH" (default
	// sqlite:DATA/navette.db) or "postgres://…", whose store also locks
	// uploads across nodes.
	DB string
	// Blobs names the blob store: "file://PATH" (default file://DATA/blobs).
	Blobs string
	// Addr is the listening address, e.g. 127.0.0.1:8080 or 127.0.0.1:0.
	Addr                 string
	Limits               navette.Limits
	DefaultRetentionDays int
	AbandonAfter         time.Duration // drafts older than this are purged (24 h)
	SweepInterval        time.Duration // how often the sweeper runs (1 min)
	Clock                navette.Clock
	Logger               *slog.Logger
}

// App is a running navette node.
type App struct {
	Config   Config
	Meta     navette.MetaStore
	Blobs    navette.BlobStore
	Keys     *keyring.Keyring
	Deposits *deposit.Service
	Accounts *account.Service

	ln  net.Listener
	srv *http.Server
}

// Open opens the stores and services of cfg, without listening. Use it for
// operator commands that work on the data directly.
func Open(cfg Config) (*App, error) {
	if cfg.DataDir == "" {
		return nil, navette.Errorf(navette.EINVALID, "A data directory is required (--data).")
	}
	if cfg.Clock == nil {
		cfg.Clock = navette.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.AbandonAfter <= 0 {
		cfg.AbandonAfter = 24 * time.Hour
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Minute
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, navette.WrapError(navette.EINVALID, err, "Cannot create the data directory %s.", cfg.DataDir)
	}
	a := &App{Config: cfg}
	var err error
	if a.Keys, err = keyring.Open(filepath.Join(cfg.DataDir, "keys")); err != nil {
		return nil, err
	}
	if a.Meta, err = OpenMeta(cfg.DB, cfg.DataDir); err != nil {
		return nil, err
	}
	if a.Blobs, err = OpenBlobs(cfg.Blobs, cfg.DataDir); err != nil {
		a.Meta.Close()
		return nil, err
	}
	a.Accounts = &account.Service{Meta: a.Meta, Clock: cfg.Clock}
	a.Deposits = &deposit.Service{
		Meta:                 a.Meta,
		Blobs:                a.Blobs,
		Keys:                 a.Keys,
		Clock:                cfg.Clock,
		Limits:               cfg.Limits,
		DefaultRetentionDays: cfg.DefaultRetentionDays,
		AbandonAfter:         cfg.AbandonAfter,
		Log:                  cfg.Logger,
	}
	return a, nil
}

// Listen opens the stores and services of cfg and binds its address.
func Listen(cfg Config) (*App, error) {
	a, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	srv := &navhttp.Server{Deposits: a.Deposits, Accounts: a.Accounts, Logger: cfg.Logger, Ready: a.ready}
	// A store shared by several nodes locks uploads across them; otherwise
	// the server's in-process locker serves.
	if l, ok := a.Meta.(interface{ Locker() tusd.Locker }); ok {
		srv.Locker = l.Locker()
	}
	h, err := srv.Handler()
	if err != nil {
		a.Close()
		return nil, err
	}
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	if a.ln, err = net.Listen("tcp", addr); err != nil {
		a.Close()
		return nil, navette.WrapError(navette.EINVALID, err, "Cannot listen on %s.", addr)
	}
	a.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return a, nil
}

// ready reports whether both stores answer.
func (a *App) ready() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(a.Meta.Ping(ctx), a.Blobs.Ping(ctx))
}

// Addr returns the address the App listens on.
func (a *App) Addr() string { return a.ln.Addr().String() }

// URL returns the base URL of the App's API.
func (a *App) URL() string { return "http://" + a.Addr() }

// Run serves requests and runs the sweeper until ctx is done, then shuts
// down gracefully.
func (a *App) Run(ctx context.Context) error {
	if a.srv == nil {
		return errors.New("app: Run needs an App made by Listen")
	}
	errc := make(chan error, 1)
	go func() { errc <- a.srv.Serve(a.ln) }()
	sweepDone := make(chan struct{})
	sctx, stopSweep := context.WithCancel(ctx)
	go func() {
		defer close(sweepDone)
		a.sweepLoop(sctx)
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	stopSweep()
	<-sweepDone
	shut, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if e := a.srv.Shutdown(shut); e != nil && err == nil {
		err = e
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (a *App) sweepLoop(ctx context.Context) {
	t := time.NewTicker(a.Config.SweepInterval)
	defer t.Stop()
	for {
		if st, err := a.Deposits.Sweep(ctx); err != nil {
			if ctx.Err() == nil {
				a.Config.Logger.Error("sweep failed", "err", err)
			}
		} else if st != (deposit.SweepStats{}) {
			a.Config.Logger.Info("sweep", "expired", st.Expired, "purged", st.Purged, "abandoned", st.Abandoned, "blobs_deleted", st.BlobsDeleted)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close releases the listener and the stores.
func (a *App) Close() error {
	var errs []error
	if a.ln != nil {
		if err := a.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if a.Meta != nil {
		errs = append(errs, a.Meta.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("app: closing: %w", err)
	}
	return nil
}
