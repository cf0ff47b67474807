package cli

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"navette/receipt"
)

func init() {
	register("verify", "check receipts offline (verify --key KEYS RECEIPT…)", runVerify)
}

// keyFlags collects --key values: files of verifier keys, or key text.
type keyFlags []string

func (k *keyFlags) String() string     { return strings.Join(*k, ",") }
func (k *keyFlags) Set(v string) error { *k = append(*k, v); return nil }

// runVerify checks receipts (JSON, or a receipt PDF with its JSON attached)
// with no server and no database, prints what each valid one proves, and
// fails with one line per invalid receipt.
func runVerify(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "verify", "--key KEYS [--key KEYS]… [--tsa-ca FILE] [--lang fr|en] RECEIPT…")
	var keyArgs keyFlags
	fs.Var(&keyArgs, "key", "the journal's verifier keys: a file of keys, one a line (as GET /api/v1/journal/keys gives them), or a key itself; repeatable")
	tsaCA := fs.String("tsa-ca", "", "PEM file of the time-stamping authority's trusted root certificates")
	lang := fs.String("lang", "fr", "language of the report: fr or en")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *lang != "fr" && *lang != "en" {
		return usageError("--lang is fr or en, not %q", *lang)
	}
	if fs.NArg() == 0 {
		return usageError("name at least one receipt (a .json file, or the receipt's PDF)")
	}
	keys, err := verifierKeys(keyArgs)
	if err != nil {
		return err
	}
	opts := &receipt.Options{}
	if *tsaCA != "" {
		if opts.TSARoots, err = certPool(*tsaCA); err != nil {
			return err
		}
	}
	var failed []string
	for i, name := range fs.Args() {
		res, err := verifyFile(env, name, keys, opts)
		if err != nil {
			var f *receipt.Failure
			msg := err.Error()
			if errors.As(err, &f) {
				msg = f.Text(*lang)
			}
			failed = append(failed, name+": "+msg)
			continue
		}
		if fs.NArg() > 1 {
			if i > 0 {
				fmt.Fprintln(env.Stdout)
			}
			fmt.Fprintf(env.Stdout, "==> %s <==\n", name)
		}
		fmt.Fprint(env.Stdout, res.Text(*lang))
	}
	if len(failed) == 0 {
		return nil
	}
	// Main prints the last line as it prints any failure.
	for _, line := range failed[:len(failed)-1] {
		fmt.Fprintf(env.Stderr, "navette verify: %s\n", oneLine(errors.New(line)))
	}
	return errors.New(failed[len(failed)-1])
}

// verifierKeys reads each --key: the text of a key, or a file of keys.
func verifierKeys(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, usageError("give the journal's verifier keys with --key (a file of the keys GET /api/v1/journal/keys lists, or a key itself)")
	}
	var keys []string
	for _, a := range args {
		if k, err := receipt.ParseKey(strings.TrimSpace(a)); err == nil {
			keys = append(keys, k.String())
			continue
		}
		data, err := readBounded(a, 1<<20)
		if err != nil {
			return nil, usageError("--key %s is neither a verifier key nor a readable file of keys", a)
		}
		ks, err := receipt.ParseKeys(string(data))
		if err != nil {
			return nil, fmt.Errorf("--key %s: %w", a, err)
		}
		if len(ks) == 0 {
			return nil, fmt.Errorf("--key %s holds no key", a)
		}
		for _, k := range ks {
			keys = append(keys, k.String())
		}
	}
	return keys, nil
}

// certPool reads PEM certificates.
func certPool(path string) (*x509.CertPool, error) {
	data, err := readBounded(path, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("--tsa-ca: %w", err)
	}
	pool := x509.NewCertPool()
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("--tsa-ca %s: %w", path, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("--tsa-ca %s holds no PEM certificate", path)
	}
	return pool, nil
}

// verifyFile reads a receipt, from its JSON or its PDF, and verifies it.
func verifyFile(env *Env, name string, keys []string, opts *receipt.Options) (*receipt.Result, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(io.LimitReader(env.Stdin, receipt.MaxPDFSize+1))
		if err == nil && len(data) > receipt.MaxPDFSize {
			err = fmt.Errorf("the standard input is larger than %d bytes", receipt.MaxPDFSize)
		}
	} else {
		data, err = readBounded(name, receipt.MaxPDFSize)
	}
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(data, []byte("%PDF-")) {
		if data, err = receipt.FromPDF(data); err != nil {
			return nil, err
		}
	}
	r, err := receipt.Parse(data)
	if err != nil {
		return nil, err
	}
	return receipt.Verify(r, keys, opts)
}

// readBounded reads a file of at most max bytes.
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return data, nil
}
