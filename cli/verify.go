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
	fs := newFlagSet(env, "verify", "--key KEYS [--key KEYS]… [--tsa-ca FILE] [--lang fr|en] RECEIPT…\n\nChecks receipts offline, with no server: each RECEIPT is a receipt's JSON,\nor its PDF, or - for the standard input. Prints what each valid one proves;\nexits 1 with one line per invalid one.")
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
	opts, err := verifyOptions(*tsaCA)
	if err != nil {
		return err
	}
	return reportFailures(env, verifyAll(env, fs.Args(), keys, opts, *lang))
}

// verifyOptions gives the verification options: the time-stamping
// authority's roots read from tsaCA when it is named.
func verifyOptions(tsaCA string) (*receipt.Options, error) {
	opts := &receipt.Options{}
	if tsaCA == "" {
		return opts, nil
	}
	var err error
	if opts.TSARoots, err = certPool(tsaCA); err != nil {
		return nil, err
	}
	return opts, nil
}

// verifyAll verifies each receipt of names, prints what each valid one
// proves (under a header naming it when there are several), and returns
// one line per invalid receipt.
func verifyAll(env *Env, names, keys []string, opts *receipt.Options, lang string) []string {
	var failed []string
	for i, name := range names {
		res, err := verifyFile(env, name, keys, opts)
		if err != nil {
			failed = append(failed, name+": "+failureText(err, lang))
			continue
		}
		if len(names) > 1 {
			if i > 0 {
				fmt.Fprintln(env.Stdout)
			}
			fmt.Fprintf(env.Stdout, "==> %s <==\n", name)
		}
		fmt.Fprint(env.Stdout, res.Text(lang))
	}
	return failed
}

// failureText says why a receipt is invalid, in lang when the receipt
// package explains it.
func failureText(err error, lang string) string {
	var f *receipt.Failure
	if errors.As(err, &f) {
		return f.Text(lang)
	}
	return err.Error()
}

// reportFailures prints every failure line but the last on stderr and
// returns the last as the error (Main prints it as it prints any failure).
func reportFailures(env *Env, failed []string) error {
	if len(failed) == 0 {
		return nil
	}
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
		ks, err := keysOfFile(a)
		if err != nil {
			return nil, err
		}
		keys = append(keys, ks...)
	}
	return keys, nil
}

// keysOfFile reads the verifier keys of the file a --key names, one a
// line, each retired one followed by its retirement line.
func keysOfFile(path string) ([]string, error) {
	data, err := readBounded(path, 1<<20)
	if err != nil {
		return nil, usageError("--key %s is neither a verifier key nor a readable file of keys", path)
	}
	ks, err := receipt.ParseKeys(string(data))
	if err != nil {
		return nil, fmt.Errorf("--key %s: %w", path, err)
	}
	if len(ks) == 0 {
		return nil, fmt.Errorf("--key %s holds no key", path)
	}
	keys := make([]string, 0, len(ks))
	for _, k := range ks {
		keys = append(keys, k.Lines()...)
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
	data, err := readReceiptFile(env, name)
	if err != nil {
		return nil, err
	}
	isPDF := bytes.HasPrefix(data, []byte("%PDF-"))
	if isPDF {
		if data, err = receipt.FromPDF(data); err != nil {
			return nil, err
		}
	}
	r, err := receipt.Parse(data)
	if err != nil {
		return nil, err
	}
	res, err := receipt.Verify(r, keys, opts)
	if err != nil {
		return nil, err
	}
	res.PDF = isPDF
	return res, nil
}

// readReceiptFile reads the bytes of a receipt from the file name, or from
// the standard input when name is "-", refusing more than a receipt PDF's
// largest size.
func readReceiptFile(env *Env, name string) ([]byte, error) {
	if name != "-" {
		return readBounded(name, receipt.MaxPDFSize)
	}
	data, err := io.ReadAll(io.LimitReader(env.Stdin, receipt.MaxPDFSize+1))
	if err == nil && len(data) > receipt.MaxPDFSize {
		err = fmt.Errorf("the standard input is larger than %d bytes", receipt.MaxPDFSize)
	}
	return data, err
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
