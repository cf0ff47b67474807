// Package app wires navette together: storage chosen by URL, the services,
// the HTTP server and the sweeper. Its App type is what "navette serve"
// runs and what tests boot whole on 127.0.0.1:0 in a temporary directory.
package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"navette"
	"navette/account"
	"navette/api"
	"navette/auth"
	"navette/deposit"
	"navette/directory"
	"navette/evidence"
	navhttp "navette/http"
	"navette/internal/httpfile"
	"navette/internal/realip"
	"navette/keyring"
	"navette/ldap"
	"navette/metrics"
	"navette/notify"
	"navette/oidc"
	"navette/proof"
	"navette/smtp"
	"navette/tsa"
	"navette/web"
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
	// MinFree is the free space kept on a local blob store, as
	// navette.ParseReserve reads it (navette.DefaultReserve, "5%/1GiB",
	// when empty; "0" keeps none): uploads that would leave less are
	// refused (507) and /readyz answers 503 while there is less. An
	// object store has no such check.
	MinFree string
	// Addr is the listening address, e.g. 127.0.0.1:8080 or 127.0.0.1:0.
	Addr                 string
	Limits               navette.Limits
	DefaultRetentionDays int
	AbandonAfter         time.Duration // drafts older than this are purged (24 h)
	SweepInterval        time.Duration // how often the sweeper runs (1 min)
	Clock                navette.Clock
	Logger               *slog.Logger

	// ProofRetentionDays is how long the evidence of a deposit is kept
	// after its purge, in days: 365 by default, never less.
	ProofRetentionDays int

	// SMTP names the mail server, smtp://… or smtps://… (see package
	// navette/smtp). Empty, e-mails go to the local outbox DATA/mail.
	SMTP string
	// SMTPPassword is the mail server's password when the SMTP URL names a
	// user but no password (NAVETTE_SMTP_PASSWORD).
	SMTPPassword string
	// MailFrom is the sender of e-mails, "Name <address>" or an address
	// (default "navette <noreply@HOST>", HOST that of PublicURL).
	MailFrom string
	// PublicURL is the base URL users reach the service at, which links in
	// e-mails start with; by default the listening address over http (the
	// command line requires it with an SMTP server).
	PublicURL string
	// MailIncludeNames lets e-mails carry file names and the deposit's
	// message (off by default: they carry neither).
	MailIncludeNames bool
	// ReminderDays is how many days before expiry recipients who have not
	// downloaded are reminded (3 when zero; negative: no reminders).
	ReminderDays int
	// MailMaxAttempts is how many times a notice is tried before it becomes
	// a dead letter (12 when zero).
	MailMaxAttempts int
	// MailBackoff is the wait before a notice whose delivery failed is
	// tried again, doubled after each failure (30 s when zero).
	MailBackoff time.Duration
	// MailPoll is how often each node looks for notices to send when
	// nothing wakes it (15 s when zero).
	MailPoll time.Duration
	// DevMail serves the local outbox at /dev/mail, when no SMTP server is
	// configured (the demo turns it on). Anyone who reaches the server can
	// read every message there: never on a real deployment.
	DevMail bool
	// Mailer, if set, delivers e-mails instead of SMTP or the outbox (for
	// tests that inject faults).
	Mailer notify.Mailer

	// Mode is "external" (default) or "internal": in internal mode partners
	// can neither sign in nor be recipients.
	Mode string
	// PartnersToAgents lets partners send deposits to agents in person; by
	// default they may send only to service mailboxes.
	PartnersToAgents bool
	// ForwardToPartners lets agents forward the deposits they received to
	// partners; by default forwards stay within the ministry.
	ForwardToPartners bool
	// Approvals is how many admins the actions of the two-person rule
	// need (account.Service.Approvals): 1 turns the rule off, for a site
	// with one admin; 0 means 2.
	Approvals int
	// SessionIdle and SessionMaxAge end browser sessions unused for that
	// long (30 min) or that old (12 h).
	SessionIdle   time.Duration
	SessionMaxAge time.Duration
	// StaffCodes lets staff sign in with e-mailed codes and a second
	// factor, for the demo and deployments without an identity provider.
	StaffCodes bool
	// Auth, if set, tunes sign-in beyond the fields above (for tests).
	Auth auth.Config
	// OIDC, if its Issuer is set, signs staff in through the ministry's
	// identity provider; its RedirectURL defaults to PublicURL (or the
	// listening address) + /api/v1/auth/oidc/callback.
	OIDC oidc.Config
	// LDAP, if set, is the ministry directory (see ldap.ParseConfig):
	// agents, courts and services are synced from it every
	// LDAPSyncInterval (1 h; negative: only on demand), and with
	// LDAPSignIn agents may sign in with their directory password.
	LDAP             string
	LDAPSyncInterval time.Duration
	LDAPSignIn       bool
	// Theme is the web interface's look: "navette" (default) or "dsfr",
	// the State design system, for State services only.
	Theme string
	// LegalDir is the directory of the operator's accessibility statement,
	// legal notice and personal data page (web.Handler.LegalDir); empty:
	// the defaults.
	LegalDir string
	// Accessibility is the accessibility conformity state shown:
	// web.ConformityNone (default), ConformityPartial or ConformityFull.
	Accessibility string
	// Getenv reads secrets from the environment (os.Getenv if nil).
	Getenv func(string) string
	// Directories are the directory flows admins may import, by source
	// name; by default only "lawyers" (directory.LawyersMapping).
	Directories map[string]directory.Mapping
	// TrustedProxies are the reverse proxies whose X-Forwarded-For gives
	// the client's address to the per-address sign-in limits; without
	// them every client behind a proxy counts as the proxy.
	TrustedProxies []netip.Prefix

	// JournalOrigin names the journal in its signed checkpoints, and its
	// signing key: by default the host of PublicURL and
	// "/navette-journal"; without either, the name of the existing key, or
	// keyring.DefaultJournalName for the first one.
	JournalOrigin string
	// CheckpointInterval is how often a checkpoint of the journal is
	// signed while events arrive (1 min).
	CheckpointInterval time.Duration
	// TSA is the URL of the RFC 3161 time-stamping authority that stamps
	// the journal's checkpoints; TSACA, if set, a PEM file of the CAs its
	// certificate (and its TLS certificate) must chain to, against which
	// the attestations check the tokens stored, with TSA or without.
	TSA   string
	TSACA string
	// Stamper, if set, time-stamps the journal's checkpoints.
	Stamper proof.Stamper
	// TLSCert and TLSKey, if set, are the PEM files of the certificate
	// and key the server speaks TLS with; ReloadTLS reads them again.
	TLSCert, TLSKey string
	// BodyIdleTimeout, BodyMinRate and MaxUploadsPer… bound slow clients
	// and concurrent uploads (see navette/http.Server).
	BodyIdleTimeout    time.Duration
	BodyMinRate        int64
	MaxUploadsPerUser  int
	MaxUploadsPerToken int
	MaxUploadsPerIP    int
	// MaxConns caps the client connections open at once (4096 when zero);
	// more are shed at once.
	MaxConns int
	// ShutdownGrace is how long Run lets requests end once its context is
	// done (ShutdownGrace when zero).
	ShutdownGrace time.Duration
	// Clamd is the antivirus every file is scanned by before it is
	// offered: unix:/run/clamav/clamd.ctl or tcp://HOST:PORT (package
	// clamav). Empty, there is none: files are offered marked "non analysé
	// par un antivirus" (the command line requires --antivirus=off for
	// that).
	Clamd string
	// Antivirus, if set, is used instead of Clamd (for tests).
	Antivirus navette.Antivirus
	// DeliverMarked offers, marked, files the antivirus could not fully
	// scan (over its limits, encrypted, scan errors); by default they are
	// refused (--antivirus-policy).
	DeliverMarked bool
	// RefusedTypes are the types of content refused whatever the file's
	// name (deposit.ParseRefusedTypes: pe, elf, macho, script).
	RefusedTypes []string
	// CheckInterval is how often files waiting for their checks are
	// looked for (10 s).
	CheckInterval time.Duration
	// ScrubRate bounds the scrubber's reading, in bytes per second (50 MB/s
	// when zero; negative: no scrubber).
	ScrubRate int64
	// ScrubInterval is the time from the end of the platform's last scrub
	// pass, on whichever node, to the start of the next (24 h when zero);
	// each node looks whether one is due every 24th of it, an hour at most.
	ScrubInterval time.Duration
	// MetricsAddr, if set, is the address Prometheus metrics are served
	// at (/metrics), on a listener of their own (see docs/operations.md).
	MetricsAddr string
	// KeyringInterval is how often a running server looks for keys added,
	// activated or retired in its key directory (5 s when zero).
	KeyringInterval time.Duration
}

// App is a running navette node.
type App struct {
	Config   Config
	Meta     navette.MetaStore
	Blobs    navette.BlobStore
	Keys     *keyring.Keyring
	MAC      *keyring.MACKeys // keys the digests sign-in codes are stored as
	Deposits *deposit.Service
	Accounts *account.Service
	Auth     *auth.Service
	// Directory applies directory flows and syncs.
	Directory *directory.Sync
	// LDAP is the ministry directory, if configured.
	LDAP *ldap.Directory
	// Mail lets admins and operators see and replay notices.
	Mail *notify.Admin
	// Outbox is the local outbox, when no SMTP server is configured.
	Outbox *notify.Outbox
	// Worker delivers notices; made by Listen, run by Run.
	Worker *notify.Worker
	// Server is the HTTP server, made by Listen.
	Server *navhttp.Server
	// JournalKeys sign the journal's checkpoints; Checkpointer signs them,
	// run by Run.
	JournalKeys  *keyring.JournalKeys
	Checkpointer *proof.Checkpointer
	// Evidence issues the receipts and evidence bundles of deposits.
	Evidence *evidence.Service

	ln    net.Listener
	conns *navhttp.ConnLimiter
	cert  *certificate
	srv   *http.Server
	smtp  *smtp.Mailer
	av    antivirusState
	reg   *metrics.Registry // nil without MetricsAddr
	mln   net.Listener      // the metrics listener
	// tsaRoots are the roots of --tsa-ca, or else those of a Stamper
	// given, which the attestations check time-stamp tokens against.
	tsaRoots *x509.CertPool
}

// Open opens the stores and services of cfg, without listening. Use it for
// operator commands that work on the data directly.
func Open(cfg Config) (*App, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, err
	}
	if err := checkNewKeyring(cfg); err != nil {
		return nil, err
	}
	if err := checkNewJournalKey(cfg); err != nil {
		return nil, err
	}
	a := &App{Config: cfg}
	if err := a.openKeys(&cfg); err != nil {
		return nil, err
	}
	if err := a.openStores(cfg); err != nil {
		return nil, err
	}
	if err := a.checkJournalOrigin(cfg); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.openServices(cfg); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// openStores opens the metadata store, with the journal's checkpointer
// over it, and the blob store of cfg.
func (a *App) openStores(cfg Config) error {
	var err error
	if a.Meta, err = OpenMeta(cfg.DB, cfg.DataDir); err != nil {
		return err
	}
	a.Checkpointer = &proof.Checkpointer{Store: a.Meta, Keys: a.JournalKeys, Clock: cfg.Clock, Stamper: cfg.Stamper,
		Log: cfg.Logger, Interval: cfg.CheckpointInterval}
	if ex, ok := a.Meta.(interface {
		ExclusiveJournal(context.Context, string, func(context.Context) error) (bool, error)
	}); ok {
		a.Checkpointer.Exclusive = ex.ExclusiveJournal
	}
	if a.Blobs, err = OpenBlobs(cfg.Blobs, cfg.DataDir); err != nil {
		a.Meta.Close()
		return err
	}
	return nil
}

// openServices makes the services of cfg over the opened stores, and sets
// a.Config to cfg with its mode and directory mappings defaulted.
func (a *App) openServices(cfg Config) error {
	cfg, err := withServiceDefaults(cfg)
	if err != nil {
		return err
	}
	a.Config = cfg
	internal := cfg.Mode == string(auth.ModeInternal)
	a.Accounts = &account.Service{Meta: a.Meta, Clock: cfg.Clock, Internal: internal, PartnersToAgents: cfg.PartnersToAgents, Log: cfg.Logger,
		Approvals: cfg.Approvals, Keys: a.Keys}
	a.Auth = &auth.Service{Meta: a.Meta, Clock: cfg.Clock, Keys: a.Keys, Codes: a.MAC, Config: authConfig(cfg), Log: cfg.Logger}
	a.Auth.Init()
	a.Directory = &directory.Sync{Meta: a.Meta, Clock: cfg.Clock, Keys: a.Keys}
	if err := a.openLDAP(); err != nil {
		return err
	}
	a.Deposits = &deposit.Service{
		Meta:                 a.Meta,
		Blobs:                a.Blobs,
		Keys:                 a.Keys,
		Clock:                cfg.Clock,
		Limits:               cfg.Limits,
		DefaultRetentionDays: cfg.DefaultRetentionDays,
		AbandonAfter:         cfg.AbandonAfter,
		RemindBefore:         time.Duration(max(cfg.ReminderDays, 0)) * 24 * time.Hour,
		MailNames:            cfg.MailIncludeNames,
		Log:                  cfg.Logger,
		Internal:             internal,
		PartnersToAgents:     cfg.PartnersToAgents,
		ForwardToPartners:    cfg.ForwardToPartners,
		ProofRetention:       time.Duration(cfg.ProofRetentionDays) * 24 * time.Hour,
	}
	a.Accounts.Waiting, a.Directory.Waiting = a.Deposits.WaitingFor, a.Deposits.WaitingFor
	if err := a.openRoom(); err != nil {
		return err
	}
	es, _ := a.Meta.(navette.EvidenceStore)
	a.Deposits.Evidence = es
	a.Deposits.CaseKeys = a.MAC
	a.Evidence = &evidence.Service{Meta: a.Meta, Evidence: es, Deposits: a.Deposits, Checkpoints: a.Checkpointer,
		Verifiers: a.Checkpointer.KeyList, TSARoots: a.tsaRoots, Clock: cfg.Clock, Log: cfg.Logger, PublicURL: cfg.PublicURL}
	if err := a.openAntivirus(); err != nil {
		return err
	}
	a.applyPolicy()
	a.Mail = &notify.Admin{Meta: a.Meta, Clock: cfg.Clock, Log: cfg.Logger}
	if cfg.SMTP == "" {
		a.Outbox = notify.NewOutbox(filepath.Join(cfg.DataDir, "mail"), a.Keys)
	}
	return nil
}

// withServiceDefaults returns cfg with its mode, external by default, and
// its directory mappings, the lawyers' by default. Returns EINVALID for
// an unknown mode.
func withServiceDefaults(cfg Config) (Config, error) {
	if cfg.Mode == "" {
		cfg.Mode = string(auth.ModeExternal)
	}
	if !auth.Mode(cfg.Mode).Valid() {
		return cfg, navette.Errorf(navette.EINVALID, "The mode must be external or internal, not %q.", cfg.Mode)
	}
	if cfg.Directories == nil {
		cfg.Directories = map[string]directory.Mapping{"lawyers": directory.LawyersMapping()}
	}
	return cfg, nil
}

// authConfig returns the settings of the authentication service: cfg.Auth
// with the mode, session lifetimes, staff codes and public URL of cfg.
func authConfig(cfg Config) auth.Config {
	ac := cfg.Auth
	ac.Mode = auth.Mode(cfg.Mode)
	ac.IdleTimeout, ac.MaxAge = cfg.SessionIdle, cfg.SessionMaxAge
	ac.StaffCodes = ac.StaffCodes || cfg.StaffCodes
	if ac.PublicURL == "" {
		ac.PublicURL = cfg.PublicURL
	}
	return ac
}

// withDefaults returns cfg with the defaults of what it leaves out, its
// data directory created. It refuses a configuration without one or with
// too short a proof retention.
func withDefaults(cfg Config) (Config, error) {
	if cfg.DataDir == "" {
		return cfg, navette.Errorf(navette.EINVALID, "A data directory is required (--data).")
	}
	fillDefaults(&cfg)
	if cfg.ProofRetentionDays < 365 {
		return cfg, navette.Errorf(navette.EINVALID, "The proof retention must be at least 365 days, not %d: proofs are kept at least one year after a deposit's purge.", cfg.ProofRetentionDays)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return cfg, navette.WrapError(navette.EINVALID, err, "Cannot create the data directory %s.", cfg.DataDir)
	}
	return cfg, nil
}

// fillDefaults sets in cfg the defaults of what it leaves out, and makes
// its logger log request ids.
func fillDefaults(cfg *Config) {
	if cfg.Clock == nil {
		cfg.Clock = navette.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = slog.New(navette.LogRequestIDs(cfg.Logger.Handler()))
	if cfg.AbandonAfter <= 0 {
		cfg.AbandonAfter = 24 * time.Hour
	}
	if cfg.ProofRetentionDays == 0 {
		cfg.ProofRetentionDays = 365
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Minute
	}
	if cfg.KeyringInterval <= 0 {
		cfg.KeyringInterval = 5 * time.Second
	}
	if cfg.ReminderDays == 0 {
		cfg.ReminderDays = 3
	}
}

// openKeys opens the keyrings of the data directory, and the time-stamping
// authority of cfg into cfg.Stamper unless one is given.
func (a *App) openKeys(cfg *Config) error {
	var err error
	if a.Keys, err = keyring.Open(filepath.Join(cfg.DataDir, "keys")); err != nil {
		return err
	}
	a.Keys.SetLogger(cfg.Logger)
	if strings.ContainsAny(cfg.JournalOrigin, "+ \t\n") {
		return navette.Errorf(navette.EINVALID, "The journal's origin (--journal-origin) must not contain a plus sign or a space.")
	}
	if a.JournalKeys, err = keyring.OpenJournalKeys(filepath.Join(cfg.DataDir, "keys"), JournalName(*cfg)); err != nil {
		return err
	}
	if err := a.openTSA(cfg); err != nil {
		return err
	}
	a.MAC, err = keyring.OpenMAC(filepath.Join(cfg.DataDir, "keys"))
	return err
}

// openTSA reads the roots of --tsa-ca, with --tsa or without (the tokens
// stored already are checked against them), and makes the client of the
// time-stamping authority of --tsa, unless cfg has a Stamper.
func (a *App) openTSA(cfg *Config) error {
	if cfg.TSACA != "" {
		roots, err := tsa.ReadRoots(cfg.TSACA)
		if err != nil {
			return err
		}
		a.tsaRoots = roots
	}
	if cfg.TSA != "" && cfg.Stamper == nil {
		c, err := tsa.New(tsa.Config{URL: cfg.TSA, Roots: a.tsaRoots})
		if err != nil {
			return err
		}
		cfg.Stamper = c
	}
	if c, ok := cfg.Stamper.(*tsa.Client); ok && a.tsaRoots == nil {
		a.tsaRoots = c.Roots()
	}
	return nil
}

// openRoom gives the deposits a reserve of free space, of the
// configuration's MinFree, when the blob store reports its space.
func (a *App) openRoom() error {
	sr, ok := a.Blobs.(navette.SpaceReporter)
	if !ok {
		return nil
	}
	minFree := a.Config.MinFree
	if minFree == "" {
		minFree = navette.DefaultReserve
	}
	reserve, err := navette.ParseReserve(minFree)
	if err != nil {
		return err
	}
	a.Deposits.Room = &deposit.Room{Space: sr, Reserve: reserve, Clock: a.Config.Clock, Log: a.Config.Logger}
	return nil
}

// JournalName returns the origin of the journal's checkpoints, the name
// of the key that signs them, that cfg asks for: --journal-origin, or
// HOST/navette-journal for the host of --public-url; "" to keep the
// existing key's.
func JournalName(cfg Config) string {
	if cfg.JournalOrigin != "" {
		return cfg.JournalOrigin
	}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Hostname() != "" {
		return u.Host + "/navette-journal"
	}
	return ""
}

// startMail makes the Worker that delivers notices, through SMTP, the
// injected Mailer or the outbox, with links to publicURL.
func (a *App) startMail(publicURL string) error {
	cfg := a.Config
	if cfg.PublicURL != "" {
		publicURL = cfg.PublicURL
	}
	from, err := mailFrom(cfg.MailFrom, publicURL)
	if err != nil {
		return err
	}
	if a.Evidence.PublicURL == "" {
		a.Evidence.PublicURL = publicURL
	}
	r, err := notify.NewRenderer(publicURL, from, cfg.MailIncludeNames)
	if err != nil {
		return err
	}
	r.Errors = web.ErrorText
	m, err := a.mailer(cfg)
	if err != nil {
		return err
	}
	a.Worker = &notify.Worker{
		Meta: a.Meta, Keys: a.Keys, Mailer: m, Renderer: r, Clock: cfg.Clock, Log: cfg.Logger,
		MaxAttempts: cfg.MailMaxAttempts, Poll: cfg.MailPoll, Backoff: cfg.MailBackoff, Evidence: a.Deposits.NoticeClaims,
		Holds: a.Accounts.NoticeHolds,
	}
	a.Deposits.NoticesQueued = a.Worker.Kick
	a.Auth.NoticesQueued = a.Worker.Kick
	a.Accounts.NoticesQueued = a.Worker.Kick
	a.Directory.NoticesQueued = a.Worker.Kick
	a.Mail.Kick = a.Worker.Kick
	return nil
}

// mailer returns what delivers the messages of cfg: its injected Mailer,
// its SMTP server, or else the outbox.
func (a *App) mailer(cfg Config) (notify.Mailer, error) {
	switch {
	case cfg.Mailer != nil:
		return cfg.Mailer, nil
	case cfg.SMTP != "":
		var err error
		if a.smtp, err = smtp.New(smtp.Config{URL: cfg.SMTP, Password: cfg.SMTPPassword}); err != nil {
			return nil, err
		}
		return a.smtp, nil
	}
	return a.Outbox, nil
}

// mailFrom parses the sender of e-mails, by default "navette
// <noreply@HOST>" with the host of publicURL.
func mailFrom(s, publicURL string) (notify.Address, error) {
	if s == "" {
		host := "localhost"
		if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
			host = u.Hostname()
		}
		return notify.Address{Name: "navette", Email: "noreply@" + host}, nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return notify.Address{}, navette.Errorf(navette.EINVALID, "The sender of e-mails (--mail-from) must be an address or \"Name <address>\".")
	}
	return notify.Address{Name: a.Name, Email: a.Address}, nil
}

// Listen opens the stores and services of cfg and binds its address.
func Listen(cfg Config) (*App, error) {
	a, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	if err := a.listen(cfg); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// listen builds the HTTP server of the opened App a, binds its address
// and starts the mail worker.
func (a *App) listen(cfg Config) error {
	cfg.Logger = a.Config.Logger
	srv, err := a.newServer(cfg)
	if err != nil {
		return err
	}
	h, err := srv.Handler()
	if err != nil {
		return err
	}
	if err := a.bind(cfg); err != nil {
		return err
	}
	if err := a.startMail(a.URL()); err != nil {
		return err
	}
	a.setOIDC(cfg)
	// No ReadTimeout nor WriteTimeout: they would cut long uploads and
	// downloads; the handler sets a deadline at every read and write of a
	// body instead.
	a.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		ConnContext:       httpfile.ConnContext,
	}
	return nil
}

// newServer builds the API server and its web pages over the services of
// a, after checking the antivirus and the security policy, and sets it as
// a.Server.
func (a *App) newServer(cfg Config) (*navhttp.Server, error) {
	clientIP := realip.Resolver{Trusted: cfg.TrustedProxies}.ClientIP
	srv := &navhttp.Server{
		Deposits: a.Deposits, Accounts: a.Accounts, Mail: a.Mail, Logger: cfg.Logger, Ready: a.ready,
		Auth: a.Auth, Directory: a.Directory, Mappings: a.Config.Directories, PublicURL: cfg.PublicURL,
		ClientIP: clientIP, Journal: a.Checkpointer, Evidence: a.Evidence, Health: a.health,
		BodyIdleTimeout: cfg.BodyIdleTimeout, BodyMinRate: cfg.BodyMinRate,
		MaxUploadsPerUser: cfg.MaxUploadsPerUser, MaxUploadsPerToken: cfg.MaxUploadsPerToken, MaxUploadsPerIP: cfg.MaxUploadsPerIP,
	}
	pages := &web.Handler{
		Deposits: a.Deposits, Auth: a.Auth, Clock: cfg.Clock, Logger: cfg.Logger, Mail: a.Mail, Theme: cfg.Theme,
		Accounts: a.Accounts, Directory: a.Directory, Mappings: a.Config.Directories, ClientIP: clientIP,
		Evidence: a.Evidence, LegalDir: cfg.LegalDir, Conformity: cfg.Accessibility, PublicURL: cfg.PublicURL,
	}
	if err := a.probeAntivirus(); err != nil {
		return nil, err
	}
	if err := a.checkPolicy(); err != nil {
		return nil, err
	}
	if err := pages.Init(); err != nil {
		return nil, err
	}
	srv.Pages = pages
	a.Server = srv
	a.setOptional(srv, cfg)
	if err := a.listenMetrics(srv); err != nil {
		return nil, err
	}
	return srv, nil
}

// setOptional gives srv what cfg and the stores may provide: the LDAP
// sync, the developer's view of the mail outbox, a locker of uploads.
func (a *App) setOptional(srv *navhttp.Server, cfg Config) {
	if a.LDAP != nil {
		srv.LDAPSync = a.SyncLDAP
	}
	if cfg.DevMail && a.Outbox != nil && cfg.Mailer == nil {
		srv.DevMail = a.Outbox
	}
	// A store shared by several nodes locks uploads across them; otherwise
	// the server's in-process locker serves.
	if l, ok := a.Meta.(interface{ Locker() navette.UploadLocker }); ok {
		srv.Locker = tusLocker{l.Locker()}
	}
}

// bind loads the TLS certificate of cfg, if any, and listens on its
// address, 127.0.0.1:8080 by default.
func (a *App) bind(cfg Config) error {
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return navette.Errorf(navette.EINVALID, "A TLS certificate needs its key, and a key its certificate (--tls-cert, --tls-key).")
	}
	if cfg.TLSCert != "" {
		var err error
		if a.cert, err = newCertificate(cfg.TLSCert, cfg.TLSKey, cfg.Logger); err != nil {
			return err
		}
	}
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return navette.WrapError(navette.EINVALID, err, "Cannot listen on %s.", addr)
	}
	a.conns = &navhttp.ConnLimiter{Listener: raw, Max: cfg.MaxConns, Plain: a.cert == nil}
	a.ln = a.conns
	if a.cert != nil {
		a.ln = tls.NewListener(a.conns, a.cert.config())
	}
	return nil
}

// setOIDC sets the OpenID Connect provider of cfg, if any, on the
// authentication service; it returns by default to the public URL, or
// to the address the App listens on.
func (a *App) setOIDC(cfg Config) {
	if cfg.OIDC.Issuer == "" {
		return
	}
	oc := cfg.OIDC
	if oc.RedirectURL == "" {
		base := cfg.PublicURL
		if base == "" {
			base = a.URL()
		}
		oc.RedirectURL = strings.TrimSuffix(base, "/") + api.PathAuthOIDCReturn
	}
	if oc.Clock == nil {
		oc.Clock = cfg.Clock
	}
	a.Auth.OIDC = &lazyOIDC{cfg: oc}
}

// ready reports whether both stores answer and a local blob store has
// its reserve of free space; the antivirus's health is reported beside
// (health): a node whose antivirus is down still serves.
func (a *App) ready() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var room error
	if a.Deposits.Room != nil {
		_, room = a.Deposits.Room.State(ctx)
	}
	return errors.Join(a.Meta.Ping(ctx), a.Blobs.Ping(ctx), room)
}

// Addr returns the address the App listens on.
func (a *App) Addr() string { return a.ln.Addr().String() }

// URL returns the base URL of the App's API.
func (a *App) URL() string {
	if a.cert != nil {
		return "https://" + a.Addr()
	}
	return "http://" + a.Addr()
}

// ReloadTLS reads the TLS certificate and key files again, for the
// handshakes to come ("navette serve" calls it on SIGHUP). If they are
// unusable, the certificate in use stays and the error is logged and
// returned.
func (a *App) ReloadTLS() error {
	if a.cert == nil {
		return navette.Errorf(navette.EINVALID, "The server does not speak TLS (--tls-cert, --tls-key).")
	}
	return a.cert.reload()
}

// OpenConns returns the number of client connections open now.
func (a *App) OpenConns() int { return a.conns.Open() }

// Run serves requests and runs the sweeper and the delivery of notices
// until ctx is done, then shuts down gracefully.
func (a *App) Run(ctx context.Context) error {
	if a.srv == nil {
		return errors.New("app: Run needs an App made by Listen")
	}
	a.removeOutboxTemp()
	errc := make(chan error, 1)
	go func() { errc <- a.srv.Serve(a.ln) }()
	sctx, stopSweep := context.WithCancel(ctx)
	var loops sync.WaitGroup
	for _, loop := range a.backgroundLoops() {
		loops.Go(func() { loop(sctx) })
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	if e := a.shutdown(stopSweep, &loops); e != nil && err == nil {
		err = e
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// removeOutboxTemp removes the temporary files a crash left in the mail
// outbox, if there is one, before anything writes to it.
func (a *App) removeOutboxTemp() {
	if a.Outbox == nil {
		return
	}
	if err := a.Outbox.RemoveTemp(); err != nil {
		a.Config.Logger.Warn("removing the temporary files of the mail outbox", "err", err)
	}
}

// shutdown stops the server gracefully and the background loops with
// stopLoops, waits for them, and journals the denials counted but not yet
// journaled. No new connection is taken; uploads in progress are cut and
// keep what they received; other requests may end within the grace.
func (a *App) shutdown(stopLoops func(), loops *sync.WaitGroup) error {
	grace := a.Config.ShutdownGrace
	if grace <= 0 {
		grace = ShutdownGrace
	}
	shut, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	a.Server.StopUploads()
	shutErr := make(chan error, 1)
	go func() { shutErr <- a.srv.Shutdown(shut) }()
	stopLoops()
	loops.Wait() // deliveries in progress are recorded first
	err := a.afterGrace(<-shutErr, grace)
	a.Deposits.FlushDenials(shut, true)
	return err
}

// afterGrace returns shutErr, the error of a graceful shutdown, or, if
// the grace ran out, closes the connections still open.
func (a *App) afterGrace(shutErr error, grace time.Duration) error {
	if !errors.Is(shutErr, context.DeadlineExceeded) {
		return shutErr
	}
	// Downloads resume with Range, uploads from their offset.
	a.Config.Logger.Warn("shutdown grace over: closing the connections still open", "grace", grace, "open", a.conns.Open())
	return a.srv.Close()
}

// backgroundLoops returns the work Run does beside serving, each until its
// context ends: sweeping, directory sync, journal checkpoints, content
// checks, scrubbing, delivery of notices, metrics and keyring refreshes.
func (a *App) backgroundLoops() []func(context.Context) {
	return []func(context.Context){
		a.sweepLoop,
		a.ldapLoop,
		func(ctx context.Context) { _ = a.Checkpointer.Run(ctx) },
		a.checkLoop,
		a.scrubLoop,
		func(ctx context.Context) { _ = a.Worker.Run(ctx) },
		a.serveMetrics,
		func(ctx context.Context) { a.Keys.Watch(ctx, a.Config.KeyringInterval) },
	}
}

// ShutdownGrace is how long Run waits by default, once its context is
// done, for the requests in progress to end before it closes their
// connections. Uploads are cut at once and keep what they received.
const ShutdownGrace = 15 * time.Second

// sweepLoop sweeps every SweepInterval, the first time at once, until ctx
// ends, and logs the journal's head every hour.
func (a *App) sweepLoop(ctx context.Context) {
	t := time.NewTicker(a.Config.SweepInterval)
	defer t.Stop()
	var headLogged time.Time
	for {
		headLogged = a.logJournalHead(ctx, headLogged)
		a.sweep(ctx)
		if !tick(ctx, t.C) {
			return
		}
	}
}

// logJournalHead logs the journal's head if it was last logged an hour or
// more before, and returns when it was last logged. These checkpoints are
// kept outside the database: a rewritten journal shows against them.
func (a *App) logJournalHead(ctx context.Context, logged time.Time) time.Time {
	now := a.Config.Clock.Now()
	if now.Sub(logged) < time.Hour {
		return logged
	}
	head, err := a.Meta.JournalHead(ctx)
	if err != nil {
		return logged
	}
	a.Config.Logger.Info("journal head", "checkpoint", fmt.Sprintf("%d:%x", head.Seq, head.Hash))
	return now
}

// sweep runs one pass of the deposits' and sessions' sweepers, prunes the
// mail outbox, expires the admin requests past their time, and journals
// the denials counted since the last.
func (a *App) sweep(ctx context.Context) {
	st, err := a.Deposits.Sweep(ctx)
	a.recordSweep(ctx, st, err)
	a.logFailure(ctx, "sweep failed", err)
	if err == nil {
		if st != (deposit.SweepStats{}) {
			a.Config.Logger.Info("sweep", "reminded", st.Reminded, "expired", st.Expired, "purged", st.Purged, "abandoned", st.Abandoned, "blobs_deleted", st.BlobsDeleted)
		}
		a.Config.Logger.Debug("sweep done", "orphans", st.Orphans)
	}
	a.logFailure(ctx, "removing ended sessions failed", a.Auth.Sweep(ctx))
	if a.Outbox != nil {
		a.Outbox.Prune()
	}
	a.expireRequests(ctx)
	a.Deposits.FlushDenials(ctx, false)
}

// expireRequests expires the admin requests nobody reviewed in time and
// ends those stranded before (nobody may approve them any more, or their
// node stopped before running them), telling their requesters, and logs
// how many.
func (a *App) expireRequests(ctx context.Context) {
	n, err := a.Accounts.ExpireRequests(ctx)
	if navette.IsCode(err, navette.ENOTIMPLEMENTED) {
		return
	}
	a.logFailure(ctx, "expiring admin requests failed", err)
	if n > 0 {
		a.Config.Logger.Info("admin requests ended", "ended", n)
	}
}

// logFailure logs err, if any, as the failure msg of a background task,
// unless ctx has ended: the task was then cut short by the shutdown.
func (a *App) logFailure(ctx context.Context, msg string, err error) {
	if err != nil && ctx.Err() == nil {
		a.Config.Logger.Error(msg, "err", err)
	}
}

// Close releases the listener and the stores.
func (a *App) Close() error {
	errs := []error{closeListener(a.ln), closeListener(a.mln)}
	if a.smtp != nil {
		errs = append(errs, a.smtp.Close())
	}
	if a.Accounts != nil {
		a.Accounts.Wait()
	}
	if a.Auth != nil {
		a.Auth.Wait()
	}
	if a.Meta != nil {
		errs = append(errs, a.Meta.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("app: closing: %w", err)
	}
	return nil
}

// closeListener closes ln, if any; one already closed is no error.
func closeListener(ln net.Listener) error {
	if ln == nil {
		return nil
	}
	if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}
