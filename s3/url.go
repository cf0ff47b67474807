package s3

import (
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7/pkg/s3utils"

	"navette"
)

// Addressing says how requests name the bucket.
type Addressing int

// Addressing styles.
const (
	// AddressAuto lets the client choose: virtual-host style for Amazon's
	// endpoints, path style for every other.
	AddressAuto Addressing = iota
	// AddressPath puts the bucket in the path: http://host:port/bucket/key.
	AddressPath
	// AddressVirtualHost puts the bucket in the host name:
	// http://bucket.host:port/key.
	AddressVirtualHost
)

// Config says where a Store keeps its blobs and how to reach it. ParseURL
// fills it from a store URL, CredentialsFromEnv its credentials.
type Config struct {
	Bucket     string     // bucket, which must exist
	Endpoint   string     // host or host:port of the S3 service
	Region     string     // region used to sign requests; us-east-1 by default
	Secure     bool       // HTTPS (the default) rather than plain HTTP; parts then go unsigned, TLS checking them
	Addressing Addressing // path or virtual-host style
	CAFile     string     // if set, the PEM file of the only CAs trusted for HTTPS
	Prefix     string     // prefix of every object name, empty or ending with "/"

	// PartBuffers caps the part buffers (PartSize bytes each) that all
	// the writers of the Store hold at once: DefaultPartBuffers if 0, none
	// if negative (every part is spooled). ParseURL sets it from
	// part_buffers, 1 to MaxPartBuffers.
	PartBuffers int
	// SpoolDir is where parts that find no free buffer are spooled: the
	// system's temporary directory if empty. New makes it if needed. Not
	// set by ParseURL.
	SpoolDir string

	// Credentials never come from the URL. Printing a Config with the fmt
	// or slog packages shows them redacted.
	Credentials Credentials `json:"-"`
}

// Credentials are an S3 access key pair, with an optional session token.
// They print as "[redacted]" with fmt and slog.
type Credentials struct {
	AccessKey    string
	SecretKey    string
	SessionToken string
}

// String returns "[redacted]", so that credentials are never printed.
func (Credentials) String() string { return "[redacted]" }

// GoString returns "[redacted]", so that %#v never prints credentials.
func (Credentials) GoString() string { return "[redacted]" }

// LogValue returns "[redacted]", so that slog never logs credentials.
func (Credentials) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Environment variables that hold the credentials. The NAVETTE_ pair is
// used when its access key is set, else the AWS_ pair.
const (
	EnvAccessKey    = "NAVETTE_S3_ACCESS_KEY"
	EnvSecretKey    = "NAVETTE_S3_SECRET_KEY"
	EnvAWSAccessKey = "AWS_ACCESS_KEY_ID"
	EnvAWSSecretKey = "AWS_SECRET_ACCESS_KEY"
	EnvAWSSession   = "AWS_SESSION_TOKEN"
)

// CredentialsFromEnv returns the credentials in NAVETTE_S3_ACCESS_KEY and
// NAVETTE_S3_SECRET_KEY, or else in AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. Returns EINVALID if neither
// pair is set whole.
func CredentialsFromEnv() (Credentials, error) {
	if ak, sk := os.Getenv(EnvAccessKey), os.Getenv(EnvSecretKey); ak != "" || sk != "" {
		if err := checkPair(ak, sk, EnvAccessKey, EnvSecretKey); err != nil {
			return Credentials{}, err
		}
		return Credentials{AccessKey: ak, SecretKey: sk}, nil
	}
	ak, sk := os.Getenv(EnvAWSAccessKey), os.Getenv(EnvAWSSecretKey)
	if ak == "" && sk == "" {
		return Credentials{}, navette.Errorf(navette.EINVALID, "The S3 blob store needs credentials: set %s and %s.", EnvAccessKey, EnvSecretKey)
	}
	if err := checkPair(ak, sk, EnvAWSAccessKey, EnvAWSSecretKey); err != nil {
		return Credentials{}, err
	}
	return Credentials{AccessKey: ak, SecretKey: sk, SessionToken: os.Getenv(EnvAWSSession)}, nil
}

// checkPair refuses an access key ak and a secret key sk, read from the
// variables akVar and skVar, unless both are set.
func checkPair(ak, sk, akVar, skVar string) error {
	if ak == "" || sk == "" {
		return navette.Errorf(navette.EINVALID, "Set both %s and %s for the S3 blob store.", akVar, skVar)
	}
	return nil
}

// urlUsage is appended to every URL error.
const urlUsage = "use s3://BUCKET?endpoint=HOST:PORT[&region=R][&secure=false][&path_style=true][&ca=FILE][&prefix=P/][&part_buffers=N]"

// ParseURL parses a blob store URL:
//
//	s3://BUCKET?endpoint=HOST:PORT&region=R&secure=BOOL&path_style=BOOL&ca=FILE&prefix=P/&part_buffers=N
//
// endpoint is required; region defaults to us-east-1, secure to true (HTTPS);
// path_style true forces path-style addressing, false virtual-host style,
// and without it the client chooses. ca names a PEM file of the CAs to trust
// (HTTPS only; it is read by New). prefix is prepended to every object name;
// a "/" is added if it does not end with one. part_buffers caps the part
// buffers of the Store's writers (Config.PartBuffers), 1 to MaxPartBuffers;
// without it, DefaultPartBuffers. Unknown or repeated parameters
// are refused, and so are credentials in the URL: they come from the
// environment. The Config returned has no credentials. Returns EINVALID,
// with a message that never repeats the URL, for anything malformed.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, badURL("it does not parse")
	}
	if err := checkURLShape(u); err != nil {
		return Config{}, err
	}
	cfg := Config{Bucket: u.Host, Region: "us-east-1", Secure: true}
	if s3utils.CheckValidBucketNameStrict(cfg.Bucket) != nil {
		return Config{}, badURL("%q is not a valid bucket name", cfg.Bucket)
	}
	if err := cfg.setQuery(u.RawQuery); err != nil {
		return Config{}, err
	}
	if cfg.Endpoint == "" {
		return Config{}, badURL("endpoint is required")
	}
	if cfg.CAFile != "" && !cfg.Secure {
		return Config{}, badURL("ca needs secure=true")
	}
	return cfg, nil
}

// badURL returns ParseURL's error for a URL malformed as format says.
func badURL(format string, args ...any) error {
	return navette.Errorf(navette.EINVALID, "Invalid S3 blob store URL: "+format+"; "+urlUsage+".", args...)
}

// checkURLShape refuses a blob store URL that is not s3://BUCKET with
// parameters only.
func checkURLShape(u *url.URL) error {
	if u.Scheme != "s3" {
		return badURL("the scheme must be s3")
	}
	if u.User != nil {
		return badURL("credentials must not be in the URL (set %s and %s)", EnvAccessKey, EnvSecretKey)
	}
	if u.Opaque != "" || u.Host == "" {
		return badURL("the bucket is missing")
	}
	if u.Port() != "" || strings.Contains(u.Host, ":") {
		return badURL("the bucket name must not have a port (the endpoint goes in endpoint=)")
	}
	if u.Path != "" && u.Path != "/" {
		return badURL("the URL must not have a path (use prefix=)")
	}
	if u.Fragment != "" || u.RawFragment != "" {
		return badURL("the URL must not have a fragment")
	}
	return nil
}

// setQuery sets the parameters of the query of a blob store URL, each
// given once.
func (cfg *Config) setQuery(rawQuery string) error {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return badURL("the query does not parse")
	}
	for name, vals := range q {
		if len(vals) != 1 {
			return badURL("parameter %q is repeated", name)
		}
		if err := cfg.setParam(name, vals[0]); err != nil {
			return err
		}
	}
	return nil
}

// setParam sets the parameter name of a blob store URL to v.
func (cfg *Config) setParam(name, v string) error {
	set, ok := params[name]
	if !ok {
		return badURL("unknown parameter %q", name)
	}
	return set(cfg, v)
}

// params are the setters of the parameters of a blob store URL, by name.
var params = map[string]func(cfg *Config, v string) error{
	"endpoint": func(cfg *Config, v string) error {
		if !validEndpoint(v) {
			return badURL("endpoint must be HOST or HOST:PORT, without scheme or path")
		}
		cfg.Endpoint = v
		return nil
	},
	"region": func(cfg *Config, v string) error {
		if !validRegion(v) {
			return badURL("region must be letters, digits and hyphens")
		}
		cfg.Region = v
		return nil
	},
	"secure": boolParam("secure", func(cfg *Config, b bool) { cfg.Secure = b }),
	"path_style": boolParam("path_style", func(cfg *Config, b bool) {
		cfg.Addressing = AddressVirtualHost
		if b {
			cfg.Addressing = AddressPath
		}
	}),
	"ca": func(cfg *Config, v string) error {
		if v == "" || strings.ContainsRune(v, 0) {
			return badURL("ca must name a PEM file")
		}
		cfg.CAFile = v
		return nil
	},
	"prefix": func(cfg *Config, v string) error {
		p, ok := cleanPrefix(v)
		if !ok {
			return badURL("prefix must be made of letters, digits and . _ - /, without empty, . or .. segments")
		}
		cfg.Prefix = p
		return nil
	},
	"part_buffers": func(cfg *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPartBuffers || strconv.Itoa(n) != v {
			return badURL("part_buffers must be a whole number from 1 to %d", MaxPartBuffers)
		}
		cfg.PartBuffers = n
		return nil
	},
}

// MaxPartBuffers is the most part buffers a blob store URL may ask for
// (part_buffers): 128 buffers of PartSize bytes, 1 GiB per node, room for
// 64 uploads with both their parts in memory. More would only spare page-
// cache copies of spooled parts, and a typo (a size in MiB taken for a
// count) must not let one node claim more memory than its host has.
const MaxPartBuffers = 128

// boolParam returns the setter of the bool parameter name, which gives set
// its value: true or false as strconv.ParseBool reads them.
func boolParam(name string, set func(cfg *Config, b bool)) func(cfg *Config, v string) error {
	return func(cfg *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return badURL("%s must be true or false", name)
		}
		set(cfg, b)
		return nil
	}
}

// validEndpoint reports whether s is HOST or HOST:PORT, HOST being a DNS
// name, an IPv4 address or a bracketed IPv6 address, PORT 1 to 65535.
func validEndpoint(s string) bool {
	if strings.HasPrefix(s, "[") {
		return validIPv6Endpoint(s)
	}
	host := s
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if !validPort(s[i+1:]) {
			return false
		}
		host = s[:i]
	}
	return validHost(host)
}

// validIPv6Endpoint reports whether s is [IPv6] or [IPv6]:PORT, PORT 1 to
// 65535.
func validIPv6Endpoint(s string) bool {
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return false
	}
	host, rest := s[1:end], s[end+1:]
	if rest != "" && (rest[0] != ':' || !validPort(rest[1:])) {
		return false
	}
	return strings.Contains(host, ":") && net.ParseIP(host) != nil
}

// validPort reports whether p is a decimal port number, 1 to 65535.
func validPort(p string) bool {
	if p == "" || len(p) > 5 || p[0] == '0' {
		return false
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == p
}

// validHost reports whether h is a DNS name or an IPv4 address.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if !validLabel(label) {
			return false
		}
	}
	return true
}

// validLabel reports whether l is a DNS label: letters, digits and inner
// hyphens, 63 bytes at most.
func validLabel(l string) bool {
	return l != "" && len(l) <= 63 && l[0] != '-' && l[len(l)-1] != '-' && alnumOr(l, "-")
}

func validRegion(r string) bool {
	return r != "" && len(r) <= 64 && alnumOr(r, "-_")
}

// alnumOr reports whether every byte of s is an ASCII letter, a digit or
// one of extra.
func alnumOr(s, extra string) bool {
	return strings.TrimLeft(s, alnum+extra) == ""
}

// alnum are the ASCII letters and digits.
const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// cleanPrefix checks an object name prefix and makes it end with "/". An
// empty prefix stays empty.
func cleanPrefix(p string) (string, bool) {
	if p == "" {
		return "", true
	}
	if len(p) > 256 {
		return "", false
	}
	p = strings.TrimSuffix(p, "/")
	for seg := range strings.SplitSeq(p, "/") {
		if !validSegment(seg) {
			return "", false
		}
	}
	return p + "/", true
}

// validSegment reports whether seg is a segment of an object name prefix:
// letters, digits and - _ ., not empty, . or ..
func validSegment(seg string) bool {
	return seg != "" && seg != "." && seg != ".." && alnumOr(seg, "-_.")
}
