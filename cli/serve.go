package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"navette"
	"navette/app"
	"navette/auth"
	"navette/deposit"
	navhttp "navette/http"
	"navette/internal/realip"
	"navette/notify"
	"navette/oidc"
)

func init() {
	register("serve", "run the server", runServe)
}

// serverFlags are the flags shared by serve and demo.
type serverFlags struct {
	data, db, blobs, addr, logLevel string
	minFree, memoryLimit            string
	maxFileSize                     int64
	maxFiles, maxRetention, defRet  int
	abandonAfter, sweepInterval     time.Duration
	smtp, mailFrom, publicURL       string
	mailNames, devMail              bool
	reminderDays, mailAttempts      int
	mailRetry                       time.Duration
	mode                            string
	partnersToAgents, staffCodes    bool
	forwardToPartners               bool
	passkeyOnly                     bool
	stepUpAge                       time.Duration
	stepUpDownloads                 bool
	minAssurance                    string
	sessionIdle, sessionMaxAge      time.Duration
	oidcIssuer, oidcClientID        string
	ldap                            string
	ldapEvery                       time.Duration
	ldapSignIn                      bool
	theme                           string
	legalDir, accessibility         string
	trustedProxies                  string
	proofRetention                  int
	journalOrigin, tsa, tsaCA       string
	tlsCert, tlsKey                 string
	bodyIdle                        time.Duration
	bodyMinRate                     int64
	uploadsPerUser, uploadsPerToken int
	uploadsPerIP, maxConns          int
	approvals                       int
	clamd, antivirus, avPolicy      string
	refusedTypes                    string
	scrubRate                       int64
	metricsAddr                     string
	configFile, logFormat           string
	demo                            bool
}

// define declares the flags; demo serves the local outbox at /dev/mail by
// default.
func (f *serverFlags) define(fs *flag.FlagSet, defaultData string, demo bool) {
	fs.StringVar(&f.data, "data", defaultData, "data directory (keys; database and blobs by default)")
	fs.StringVar(&f.db, "db", "", "metadata store: sqlite:PATH (default sqlite:DATA/navette.db) or postgres://… (password from PGPASSWORD or .pgpass)")
	fs.StringVar(&f.blobs, "blobs", "", "blob store: file://PATH (default file://DATA/blobs) or s3://BUCKET?endpoint=HOST:PORT[&region=…&path_style=true&ca=FILE&prefix=P] (keys from NAVETTE_S3_ACCESS_KEY, NAVETTE_S3_SECRET_KEY)")
	fs.StringVar(&f.minFree, "min-free", navette.DefaultReserve, "free space kept on a file:// blob store: uploads that would leave less are refused (507) and /readyz answers 503 while there is less; a size (10GiB), a share of the file system (2%), or both as 5%/1GiB (the larger); 0 keeps none; s3:// stores are not checked")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listening address")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.logFormat, "log-format", "text", "logs on standard error as text (key=value) or json (one object a line)")
	configDefault := DefaultConfigFile
	if demo {
		configDefault = ""
	}
	fs.StringVar(&f.configFile, flagConfig, configDefault, "configuration file of name = value lines named as these flags (TOML); the command line and NAVETTE_* variables win over it; the default is read only if it exists")
	fs.Int64Var(&f.maxFileSize, "max-file-size", navette.DefaultLimits.MaxFileSize, "largest file accepted, in bytes")
	fs.IntVar(&f.maxFiles, "max-files", navette.DefaultLimits.MaxFiles, "most files in one deposit")
	fs.IntVar(&f.maxRetention, "max-retention-days", navette.DefaultLimits.MaxRetentionDays, "ceiling of the retention a sender may choose")
	fs.IntVar(&f.defRet, "default-retention-days", 0, "retention when the sender chooses none (default: the ceiling)")
	fs.IntVar(&f.proofRetention, "proof-retention", 365, "`days` the evidence of a deposit (reference, file names, parties, sealed) is kept after its purge, for its receipts; at least 365")
	fs.DurationVar(&f.abandonAfter, "abandon-after", 24*time.Hour, "drafts never submitted are purged after this delay")
	fs.DurationVar(&f.sweepInterval, "sweep-interval", time.Minute, "how often expired deposits are purged")
	fs.StringVar(&f.smtp, "smtp", "", "mail server: smtp://[user[:pass]@]host[:port] (STARTTLS) or smtps://… (TLS); password also from NAVETTE_SMTP_PASSWORD; default: the local outbox DATA/mail")
	fs.StringVar(&f.mailFrom, "mail-from", "", `sender of e-mails, "Name <address>" (default "navette <noreply@HOST>", HOST that of --public-url)`)
	fs.StringVar(&f.publicURL, "public-url", "", "base URL users reach the service at, for the links in e-mails (required with --smtp; default http://ADDR)")
	fs.BoolVar(&f.mailNames, "mail-include-names", false, "let e-mails carry file names and the deposit's message")
	fs.IntVar(&f.reminderDays, "reminder-days", 3, "remind recipients who have not downloaded this many days before expiry (0: no reminders)")
	fs.IntVar(&f.mailAttempts, "mail-max-attempts", 12, "attempts before a notice becomes a dead letter")
	fs.DurationVar(&f.mailRetry, "mail-retry-after", notify.DefaultBackoff, "wait before a notice whose delivery failed is tried again, doubled after each failure up to 1h (the outbox is then looked at at least this often)")
	fs.StringVar(&f.mode, "mode", "external", "external, or internal: partners can neither sign in nor receive deposits")
	fs.IntVar(&f.approvals, "approvals", 2, "admins each action of the two-person rule needs (mailbox members, admin and auditor roles, restorations, forced directory flows): 2, or 1 to turn the rule off on a site with one admin")
	fs.BoolVar(&f.partnersToAgents, "partners-to-agents", false, "let partners send deposits to agents in person, not only to service mailboxes")
	fs.BoolVar(&f.forwardToPartners, "forward-to-partners", false, "let agents forward the deposits they received to partners, not only within the ministry")
	fs.BoolVar(&f.staffCodes, "staff-codes", demo, "let staff sign in with e-mailed codes and a second factor (without an identity provider)")
	fs.DurationVar(&f.stepUpAge, "step-up-age", 5*time.Minute, "how recent a browser session's last proof of its person must be for a sensitive action (at most 5m)")
	fs.BoolVar(&f.stepUpDownloads, "step-up-downloads", false, "make browser sessions prove who they are again (within --step-up-age) before each download")
	fs.BoolVar(&f.passkeyOnly, "passkey-only", false, "let people sign in with a passkey alone (possession and user verification), without an e-mailed code; passkeys need --public-url")
	fs.StringVar(&f.minAssurance, "min-assurance", "", "weakest sign-in each role accepts, ROLE=LEVEL,… with levels low (password, code alone), substantial (code and TOTP, OIDC), high (passkey); e.g. admin=high,partner=substantial")
	fs.DurationVar(&f.sessionIdle, "session-idle", 30*time.Minute, "end browser sessions unused this long")
	fs.DurationVar(&f.sessionMaxAge, "session-max-age", 12*time.Hour, "end browser sessions this long after sign-in")
	fs.StringVar(&f.oidcIssuer, "oidc-issuer", "", "staff sign in through this OpenID Connect provider (issuer URL); its redirect URI is PUBLIC_URL/api/v1/auth/oidc/callback")
	fs.StringVar(&f.oidcClientID, "oidc-client-id", "navette", "navette's client id at the identity provider; its secret comes from NAVETTE_OIDC_CLIENT_SECRET")
	fs.StringVar(&f.ldap, "ldap", "", "the ministry directory, ldap[s]://HOST[:PORT]/BASE_DN?param=… (bind password from NAVETTE_LDAP_BIND_PASSWORD; see docs/operations.md)")
	fs.DurationVar(&f.ldapEvery, "ldap-sync-interval", time.Hour, "how often agents, courts and services are synced from --ldap (0: only on demand)")
	fs.BoolVar(&f.ldapSignIn, "ldap-sign-in", false, "let staff sign in with their --ldap password")
	fs.StringVar(&f.theme, "theme", "navette", "look of the web interface: navette, or dsfr (the State design system, for State services only)")
	fs.StringVar(&f.legalDir, "legal-dir", "", "directory of the operator's accessibility statement, legal notice and personal data page (accessibilite.fr.md…; see docs/operations.md); the defaults otherwise")
	fs.StringVar(&f.accessibility, "accessibility", "none", "accessibility conformity the footer and the statement show: none (no audit yet), partial or full (RGAA)")
	fs.StringVar(&f.trustedProxies, "trusted-proxies", "", "reverse proxies whose X-Forwarded-For names the client for the per-address sign-in limits: networks or addresses, comma-separated (10.0.0.0/8,192.0.2.7)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "serve TLS with this certificate (PEM, chain after it); read again on SIGHUP")
	fs.StringVar(&f.tlsKey, "tls-key", "", "private key of --tls-cert (PEM); read again on SIGHUP")
	fs.DurationVar(&f.bodyIdle, "body-idle-timeout", navhttp.DefaultBodyIdleTimeout, "cut a client that sends nothing of a request body, or reads nothing of an answer, for this long")
	fs.Int64Var(&f.bodyMinRate, "body-min-rate", navhttp.DefaultBodyMinRate, "cut a request body arriving slower than this many bytes per second, averaged over windows of --body-idle-timeout (0: no minimum)")
	fs.IntVar(&f.uploadsPerUser, "max-uploads-per-user", navhttp.DefaultMaxUploadsPerUser, "uploads in progress at once per person; more are answered 429 (0: no cap)")
	fs.IntVar(&f.uploadsPerToken, "max-uploads-per-token", navhttp.DefaultMaxUploadsPerToken, "uploads in progress at once per API token (0: no cap)")
	fs.IntVar(&f.uploadsPerIP, "max-uploads-per-ip", navhttp.DefaultMaxUploadsPerIP, "uploads in progress at once per client address, as --trusted-proxies tell it (0: no cap)")
	fs.StringVar(&f.memoryLimit, "memory-limit", defaultMemoryLimit, "soft limit of the server's memory, past which the garbage collector works harder: a size (512MiB), a share of the cgroup's memory limit (90%), or both as 90%/512MiB (the larger); 0: none; the GOMEMLIMIT environment variable wins")
	fs.IntVar(&f.maxConns, "max-conns", navhttp.DefaultMaxConns, "client connections open at once; more are answered 503 and closed at once")
	fs.BoolVar(&f.devMail, "dev-mail", demo, "without --smtp, serve the local outbox at /dev/mail, to anyone: for demos only")
	fs.StringVar(&f.journalOrigin, "journal-origin", "", "name of the journal in its signed checkpoints and of their signing key (default HOST/navette-journal, HOST that of --public-url; without it, the existing key's name or localhost/navette-journal)")
	fs.StringVar(&f.tsa, "tsa", "", "URL of an RFC 3161 time-stamping authority that stamps the journal's checkpoints")
	fs.StringVar(&f.tsaCA, "tsa-ca", "", "PEM file of the CAs the time-stamping authority's certificates must chain to; the attestations check the stored time-stamps against them, with --tsa or without")
	f.demo = demo
	fs.StringVar(&f.clamd, "clamd", "", "the antivirus every file is scanned by before it is offered: unix:/run/clamav/clamd.ctl or tcp://HOST:PORT (see docs/operations.md)")
	avDefault := "on"
	if demo {
		avDefault = "off unless --clamd"
	}
	fs.StringVar(&f.antivirus, "antivirus", avDefault, `on (--clamd required), or off: no antivirus, files are offered marked "non analysé par un antivirus"`)
	fs.StringVar(&f.avPolicy, "antivirus-policy", "refuse", "files the antivirus cannot fully scan (over its limits, encrypted, scan errors): refuse, or deliver-marked (offered with a warning)")
	fs.StringVar(&f.refusedTypes, "refused-types", "", "types of content refused, told by their first bytes whatever the name: comma-separated among pe (Windows executables), elf, macho, script")
	fs.Int64Var(&f.scrubRate, "scrub-rate", deposit.DefaultScrubRate, "the scrubber verifies every stored file once a day, reading at most this many bytes per second (0: no scrubber)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics on a listener of their own, e.g. 127.0.0.1:9090 (default: off; never on the public address)")
}

// antivirusMode is --antivirus, with the demo's default "off unless
// --clamd" resolved to on or off.
func (f *serverFlags) antivirusMode() string {
	if f.antivirus != "off unless --clamd" {
		return f.antivirus
	}
	if f.clamd != "" {
		return "on"
	}
	return "off"
}

// antivirusConfig checks the antivirus flags and returns whether files
// are scanned.
func (f *serverFlags) antivirusConfig() (bool, error) {
	av := f.antivirusMode()
	switch {
	case av != "on" && av != "off":
		return false, usageError("--antivirus must be on or off")
	case av == "on" && f.clamd == "":
		return false, usageError(`--clamd is required: every file is scanned before it is offered. To run without an antivirus, say so with --antivirus=off: files are then offered marked "non analysé par un antivirus"`)
	case av == "off" && f.clamd != "":
		return false, usageError("--clamd and --antivirus=off contradict each other")
	case f.avPolicy != "refuse" && f.avPolicy != "deliver-marked":
		return false, usageError("--antivirus-policy must be refuse or deliver-marked")
	case f.scrubRate < 0:
		return false, usageError("--scrub-rate must not be negative")
	}
	return av == "on", nil
}

func (f *serverFlags) config(env *Env) (app.Config, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.logLevel)); err != nil {
		return app.Config{}, usageError("--log-level: %v", err)
	}
	if err := f.check(env); err != nil {
		return app.Config{}, err
	}
	proxies, err := realip.ParseTrusted(f.trustedProxies)
	if err != nil {
		return app.Config{}, usageError("--trusted-proxies: %v", err)
	}
	scanned, err := f.antivirusConfig()
	if err != nil {
		return app.Config{}, err
	}
	refused, err := deposit.ParseRefusedTypes(f.refusedTypes)
	if err != nil {
		return app.Config{}, usageError("--refused-types: %s", navette.ErrorMessage(err))
	}
	minAssurance, err := auth.ParseMinAssurance(f.minAssurance)
	if err != nil {
		return app.Config{}, usageError("--min-assurance: %s", navette.ErrorMessage(err))
	}
	clamd := ""
	if scanned {
		clamd = f.clamd
	}
	return app.Config{
		DataDir: f.data, DB: f.db, Blobs: f.blobs, Addr: f.addr, MinFree: f.minFree,
		Limits:               navette.Limits{MaxFileSize: f.maxFileSize, MaxFiles: f.maxFiles, MaxRetentionDays: f.maxRetention},
		DefaultRetentionDays: f.defRet,
		AbandonAfter:         f.abandonAfter,
		ProofRetentionDays:   f.proofRetention,
		SMTP:                 f.smtp,
		SMTPPassword:         env.Getenv("NAVETTE_SMTP_PASSWORD"),
		MailFrom:             f.mailFrom,
		PublicURL:            f.publicURL,
		MailIncludeNames:     f.mailNames,
		ReminderDays:         orNone(f.reminderDays),
		MailMaxAttempts:      f.mailAttempts,
		MailBackoff:          f.mailRetry,
		MailPoll:             min(notify.DefaultPoll, f.mailRetry),
		DevMail:              f.devMail,
		SweepInterval:        f.sweepInterval,
		OIDC:                 oidc.Config{Issuer: f.oidcIssuer, ClientID: f.oidcClientID, ClientSecret: env.Getenv("NAVETTE_OIDC_CLIENT_SECRET")},
		LDAP:                 f.ldap,
		LDAPSyncInterval:     ldapEvery(f.ldapEvery),
		LDAPSignIn:           f.ldapSignIn,
		Getenv:               env.Getenv,
		Theme:                f.theme,
		LegalDir:             f.legalDir,
		Accessibility:        f.accessibility,
		Mode:                 f.mode,
		PartnersToAgents:     f.partnersToAgents,
		ForwardToPartners:    f.forwardToPartners,
		Approvals:            f.approvals,
		StaffCodes:           f.staffCodes,
		Auth:                 auth.Config{PasskeyOnly: f.passkeyOnly, MinAssurance: minAssurance, StepUpAge: f.stepUpAge, StepUpDownloads: f.stepUpDownloads},
		SessionIdle:          f.sessionIdle,
		SessionMaxAge:        f.sessionMaxAge,
		TrustedProxies:       proxies,
		JournalOrigin:        f.journalOrigin,
		TSA:                  f.tsa,
		TSACA:                f.tsaCA,
		TLSCert:              f.tlsCert,
		TLSKey:               f.tlsKey,
		BodyIdleTimeout:      f.bodyIdle,
		BodyMinRate:          orNone64(f.bodyMinRate),
		MaxUploadsPerUser:    orNone(f.uploadsPerUser),
		MaxUploadsPerToken:   orNone(f.uploadsPerToken),
		MaxUploadsPerIP:      orNone(f.uploadsPerIP),
		MaxConns:             f.maxConns,
		Clamd:                clamd,
		DeliverMarked:        f.avPolicy == "deliver-marked",
		RefusedTypes:         refused,
		ScrubRate:            orNone64(f.scrubRate),
		MetricsAddr:          f.metricsAddr,
		Logger:               newLogger(env.Stderr, f.logFormat, lvl),
	}, nil
}

// check refuses flags that are wrong whatever the others say: the log
// format, the platform's and the server's checks, and --min-free.
func (f *serverFlags) check(env *Env) error {
	if f.logFormat != "text" && f.logFormat != "json" {
		return usageError("--log-format must be text or json")
	}
	if err := firstBad(f.platformChecks(env)); err != nil {
		return err
	}
	if err := firstBad(f.serverChecks()); err != nil {
		return err
	}
	if _, err := navette.ParseReserve(f.minFree); err != nil {
		return usageError("--min-free: %s", navette.ErrorMessage(err))
	}
	return nil
}

// newLogger returns the server's logger: text or JSON lines on w, from
// level on.
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// flagCheck is a check of the flags: bad, they are refused with msg.
type flagCheck struct {
	bad bool
	msg string
}

// firstBad returns a usage error with the message of the first check that
// fails, or nil.
func firstBad(checks []flagCheck) error {
	for _, c := range checks {
		if c.bad {
			return usageError("%s", c.msg)
		}
	}
	return nil
}

// platformChecks are the checks of the flags that describe the platform:
// its data, limits, mail, sign-in, look and mode.
func (f *serverFlags) platformChecks(env *Env) []flagCheck {
	return []flagCheck{
		{f.data == "", "--data is required"},
		{f.maxFileSize < 1 || f.maxFiles < 1 || f.maxRetention < 1 || f.defRet < 0 || f.defRet > f.maxRetention,
			"limits must be positive, and --default-retention-days at most --max-retention-days"},
		{f.maxRetention > navette.MaxLimits.MaxRetentionDays,
			fmt.Sprintf("--max-retention-days must be at most %d: the arrêté of 24 October 2019 sets a retention of 1 to %[1]d days", navette.MaxLimits.MaxRetentionDays)},
		{f.proofRetention < 365, "--proof-retention must be at least 365 days: proofs are kept at least one year after a deposit's purge"},
		{f.smtp != "" && f.publicURL == "", "--public-url is required with --smtp: the links in e-mails start with it"},
		{f.oidcIssuer != "" && env.Getenv("NAVETTE_OIDC_CLIENT_SECRET") == "", "--oidc-issuer needs the client secret in NAVETTE_OIDC_CLIENT_SECRET"},
		{f.theme != "navette" && f.theme != "dsfr", "--theme must be navette or dsfr"},
		{f.accessibility != "none" && f.accessibility != "partial" && f.accessibility != "full", "--accessibility must be none, partial or full"},
		{f.mode != "external" && f.mode != "internal", "--mode must be external or internal"},
		{f.approvals != 1 && f.approvals != 2, "--approvals must be 2 (the two-person rule), or 1 on a site with one admin"},
		{f.stepUpAge < 30*time.Second || f.stepUpAge > 5*time.Minute, "--step-up-age must be between 30s and 5m"},
	}
}

// serverChecks are the checks of the flags that tune the server: sessions,
// reminders, TLS, request bodies and connections.
func (f *serverFlags) serverChecks() []flagCheck {
	return []flagCheck{
		{f.sessionIdle < time.Minute || f.sessionMaxAge < f.sessionIdle, "--session-idle must be at least 1m and --session-max-age at least --session-idle"},
		{f.reminderDays < 0 || f.mailAttempts < 1, "--reminder-days must not be negative and --mail-max-attempts must be positive"},
		{f.mailRetry < time.Second, "--mail-retry-after must be at least 1s"},
		{(f.tlsCert == "") != (f.tlsKey == ""), "--tls-cert and --tls-key go together"},
		{f.bodyIdle < time.Second || f.bodyMinRate < 0 || f.uploadsPerUser < 0 || f.uploadsPerToken < 0 || f.uploadsPerIP < 0 || f.maxConns < 1,
			"--body-idle-timeout must be at least 1s, --max-conns positive, and --body-min-rate and --max-uploads-per-* not negative"},
	}
}

// ldapEvery turns the flag's 0 (on demand only) into the App's negative.
func ldapEvery(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// orNone turns a flag's 0 (no cap) into the App's negative.
func orNone(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

func orNone64(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}

// listen starts the platform of cfg, reloading its TLS certificate on
// SIGHUP when it serves HTTPS; closeApp stops both.
func listen(cfg app.Config) (a *app.App, closeApp func(), err error) {
	a, err = app.Listen(cfg)
	if err != nil {
		return nil, nil, err
	}
	stop := make(chan struct{})
	if cfg.TLSCert != "" {
		reloadOnHangup(a, stop)
	}
	return a, func() {
		close(stop)
		a.Close()
	}, nil
}

// reloadOnHangup reads the TLS certificate again at every SIGHUP until
// stop is closed.
func reloadOnHangup(a *app.App, stop <-chan struct{}) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-stop:
				return
			case <-hup:
				_ = a.ReloadTLS() // logged
			}
		}
	}()
}

func runServe(ctx context.Context, env *Env, args []string) error {
	var f serverFlags
	fs := newFlagSet(env, "serve", "--data DIR [--addr HOST:PORT] [flags]\n\nRuns the server: the web interface, the API and the background work (purge,\nnotices, scrub). Each flag may also be set by its NAVETTE_* variable or, as\nname = value, in the configuration file (--config).")
	f.define(fs, "", false)
	printCfg := fs.Bool(flagPrintConfig, false, "print the effective configuration, secrets masked, each value with where it came from, and exit")
	src, err := parseLayers(fs, env, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	if *printCfg {
		return printServeConfig(env, fs, src, &f)
	}
	cfg, err := f.config(env)
	if err != nil {
		return err
	}
	if err := applyMemoryLimit(f.memoryLimit); err != nil {
		return err
	}
	a, closeApp, err := listen(cfg)
	if err != nil {
		return err
	}
	defer closeApp()
	announce(env.Stderr, a, cfg)
	return a.Run(ctx)
}

// printServeConfig prints the effective configuration of serve, then
// fails as serve would if the configuration is wrong.
func printServeConfig(env *Env, fs *flag.FlagSet, src sources, f *serverFlags) error {
	if err := printConfig(env.Stdout, fs, src, env); err != nil {
		return err
	}
	_, err := f.config(env)
	return err
}

// announce says on w where the server serves, and warns of what it runs
// without: SMTP, the two-person rule, an antivirus.
func announce(w io.Writer, a *app.App, cfg app.Config) {
	fmt.Fprintf(w, "navette: serving %s (data in %s)\n", a.URL(), strings.TrimSuffix(cfg.DataDir, "/"))
	if cfg.SMTP == "" {
		fmt.Fprintf(w, "navette: no --smtp: e-mails go to the local outbox (navette mail ls --data %s)\n", cfg.DataDir)
	}
	if a.MetricsAddr() != "" {
		fmt.Fprintf(w, "navette: metrics at http://%s/metrics\n", a.MetricsAddr())
	}
	if cfg.Approvals == 1 {
		fmt.Fprintf(w, "navette: warning: --approvals=1: the two-person rule is off, one admin alone can add members to mailboxes, grant roles and restore people\n")
	}
	if cfg.Clamd == "" {
		fmt.Fprintf(w, "navette: --antivirus=off: files are offered marked \"non analysé par un antivirus\"\n")
	}
}
