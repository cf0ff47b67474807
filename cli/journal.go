package cli

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"navette"
	"navette/app"
	"navette/proof"
	"navette/receipt"
)

// chainCheckpoint is the form of a head printed by earlier versions of
// adminJournalVerify: SEQ:HASH of the hash chain.
var chainCheckpoint = regexp.MustCompile(`^[0-9]+:`)

// adminJournalVerify recomputes every leaf of the journal's tree from the
// events and the whole tree, checks them against the stored tree and every
// signed checkpoint (and one saved earlier, with --checkpoint FILE), checks
// each checkpoint's time-stamp token (against the roots of --tsa-ca FILE,
// if given), and recomputes the hash chain; it prints the tree's root and
// the chain's head, or names the first bad leaf or token.
func adminJournalVerify(ctx context.Context, env *Env, args []string) error {
	c := newAdminCmd(env, "admin journal verify", "--data DIR [--checkpoint FILE|SEQ:HASH] [--keys FILE] [--tsa-ca FILE]\n\nVerifies the audit journal: recomputes its hash chain and tree, checks every\nsigned checkpoint (and one saved earlier, with --checkpoint) and their time-\nstamp tokens; prints the tree's root and the chain's head, or names the\nfirst bad entry.")
	cp := c.fs.String("checkpoint", "", "a signed checkpoint saved earlier (GET /api/v1/journal/checkpoint), in FILE; or a chain head SEQ:HASH printed by this command")
	keysFile := c.fs.String("keys", "", "verifier keys saved earlier (GET /api/v1/journal/keys), one a line, in FILE (default: the keys of the data directory)")
	tsaCA := c.fs.String("tsa-ca", "", "PEM file of the time-stamping authority's trusted root certificates")
	var (
		chain *navette.Event
		note  []byte
		keys  []string
		roots *x509.CertPool
	)
	check := func() (err error) {
		if chain, note, err = parseCheckpointFlag(*cp); err != nil {
			return err
		}
		if keys, err = readKeysFile(*keysFile); err != nil {
			return err
		}
		if *tsaCA != "" {
			roots, err = certPool(*tsaCA)
		}
		return err
	}
	return c.run(args, check, func(a *app.App) error {
		if keys == nil {
			keys = a.Checkpointer.KeyList()
		}
		return verifyJournal(ctx, env, a, keys, roots, chain, note)
	})
}

// readKeysFile reads the verifier keys of the file --keys names as
// navette verify reads its key files (receipt.ParseKeys: one a line, blank
// lines and # comments skipped, each retired key followed by its
// retirement line); none if it names none.
func readKeysFile(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError("--keys: %v", err)
	}
	keys, err := receipt.ParseKeys(string(b))
	if err != nil {
		return nil, usageError("--keys %s: %v", path, err)
	}
	texts := make([]string, 0, len(keys))
	for _, k := range keys {
		texts = append(texts, k.Lines()...)
	}
	return texts, nil
}

// verifyJournal checks the journal's tree of a against its signed
// checkpoints, verified with keys (and against note, a checkpoint saved
// earlier, if not nil), their time-stamp tokens (against roots if not
// nil), and its hash chain (against the head chain if not nil), and prints
// what it found.
func verifyJournal(ctx context.Context, env *Env, a *app.App, keys []string, roots *x509.CertPool, chain *navette.Event, note []byte) error {
	var extra [][]byte
	if note != nil {
		extra = append(extra, note)
	}
	rep, err := proof.Verify(ctx, a.Meta, keys, roots, extra...)
	if err != nil {
		return err
	}
	jc, err := navette.VerifyJournal(ctx, a.Meta, chain)
	if err != nil {
		return err
	}
	printJournalCheck(env, jc, rep, chain, note != nil)
	return nil
}

// parseCheckpointFlag reads the value of --checkpoint: a file holding a
// signed checkpoint (note), or a chain head SEQ:HASH (chain); neither if
// cp is empty.
func parseCheckpointFlag(cp string) (chain *navette.Event, note []byte, err error) {
	if cp == "" {
		return nil, nil, nil
	}
	b, err := os.ReadFile(cp)
	if err == nil {
		return nil, b, nil
	}
	if !chainCheckpoint.MatchString(cp) {
		return nil, nil, usageError("--checkpoint: %v", err)
	}
	chain, err = parseChainHead(cp)
	return chain, nil, err
}

// parseChainHead parses a chain head SEQ:HASH, as printed by
// adminJournalVerify.
func parseChainHead(cp string) (*navette.Event, error) {
	seq, h, _ := strings.Cut(cp, ":")
	n, err1 := strconv.ParseInt(seq, 10, 64)
	sum, err2 := hex.DecodeString(h)
	if err1 != nil || err2 != nil || n < 1 || len(sum) != 32 {
		return nil, usageError("--checkpoint is SEQ:HASH, as printed by this command, or a file holding a signed checkpoint, not %q", cp)
	}
	return &navette.Event{Seq: n, Hash: sum}, nil
}

// printJournalCheck prints what the journal's verification found: the
// chain's check c, the tree's rep, whether the chain head given holds, and
// whether a checkpoint was given.
func printJournalCheck(env *Env, c *navette.JournalCheck, rep *proof.Report, chain *navette.Event, noteGiven bool) {
	fmt.Fprintf(env.Stdout, "journal intact: %d events", c.Events)
	if c.Unchained > 0 {
		fmt.Fprintf(env.Stdout, " (the first %d journaled before the chain began)", c.Unchained)
	}
	if chain != nil {
		fmt.Fprintf(env.Stdout, ", checkpoint %d holds", chain.Seq)
	}
	fmt.Fprintf(env.Stdout, "\ntree %d leaves, root %s\n", rep.Leaves, base64.StdEncoding.EncodeToString(rep.Root[:]))
	if rep.Latest != nil {
		fmt.Fprintf(env.Stdout, "%d signed checkpoints hold, the latest of %d leaves", rep.Checkpoints, rep.Latest.Size)
		if noteGiven {
			fmt.Fprint(env.Stdout, ", and the one given")
		}
		fmt.Fprintln(env.Stdout)
	} else {
		fmt.Fprintln(env.Stdout, "no signed checkpoint yet: the server signs one within a minute of events")
	}
	printTokens(env, rep)
	fmt.Fprintf(env.Stdout, "head %d:%x\n", c.LastSeq, c.Head)
}

// printTokens prints how many checkpoints' time-stamp tokens hold, and
// whether their authority was checked against roots: nothing when no
// checkpoint is time-stamped and no roots were given.
func printTokens(env *Env, rep *proof.Report) {
	switch {
	case rep.Tokens > 0 && rep.TokenRoots:
		fmt.Fprintf(env.Stdout, "%d time-stamp tokens hold, each over its checkpoint, signed by an authority that chains to the roots of --tsa-ca\n", rep.Tokens)
	case rep.Tokens > 0:
		fmt.Fprintf(env.Stdout, "%d time-stamp tokens hold, each over its checkpoint; their authority was not checked against a trusted root (give its roots with --tsa-ca)\n", rep.Tokens)
	case rep.TokenRoots:
		fmt.Fprintln(env.Stdout, "no time-stamp token to check: no checkpoint is time-stamped")
	}
}

// adminJournalKey prints the key that verifies the journal's checkpoints,
// or, with "rotate", makes a new signing key (named --origin, if given)
// and prints its verifier key.
func adminJournalKey(ctx context.Context, env *Env, args []string) error {
	rotate := len(args) > 0 && args[0] == "rotate"
	if rotate {
		args = args[1:]
	}
	c := newAdminCmd(env, "admin journal key [rotate]", "--data DIR [--db URL] [--origin NAME]\n\nPrints the verifier key of the journal's signing key; with rotate, makes a\nnew signing key and prints its verifier key.")
	origin := c.fs.String("origin", "", "with rotate: name of the new key, the origin of the checkpoints it signs (HOST/navette-journal, HOST that of the new --public-url; default: the active key's name)")
	check := func() error {
		if *origin != "" && !rotate {
			return usageError("--origin names a new key: give it with rotate")
		}
		return nil
	}
	return c.run(args, check, func(a *app.App) error {
		key, err := journalKey(ctx, env, a, rotate, *origin)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, key)
		return nil
	})
}

// journalKey returns the verifier key of the journal's signing key of a,
// after making a new signing key, named origin if it is set, if rotate
// says so.
func journalKey(ctx context.Context, env *Env, a *app.App, rotate bool, origin string) (string, error) {
	if !rotate {
		return a.JournalKeys.Verifier()
	}
	key, err := a.RotateJournalKey(ctx, origin)
	if err != nil {
		return "", err
	}
	fmt.Fprintln(env.Stderr, "new journal signing key; the previous verifier keys stay published, each with the tree size at its retirement, the previous signing key is destroyed, and running servers sign with the new key from their next checkpoint (copy DATA/keys to every node)")
	return key, nil
}
