package cli

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"navette"
	"navette/api"
	"navette/client"
)

func init() {
	register("case", "list your cases, show one, get its files, or its evidence for auditors (case ls [--q TEXT] | case show CASE_ID | case get CASE_ID | case evidence [--deposit] ID)", runCase)
	register("reply", "answer a deposit you received, in its case (reply DEPOSIT_ID [--message TEXT] [--from ADDRESS] FILE…)", runReply)
	register("extend", "extend a deposit you sent (extend DEPOSIT_ID --days N)", runExtend)
}

const caseUsage = `ls [--q TEXT] [--json] | show CASE_ID [--json] | get CASE_ID [--out FILE] | evidence [--deposit] ID [--out FILE]

A case groups the deposits of one reference, court and parties, in both
directions. ls lists yours, the most recently active first (--q keeps those
whose reference holds TEXT, case, accents, spaces and separators aside);
show lists the deposits of one, newest first, with when each recipient
first downloaded a file of it whole; get saves every available file of it
as one ZIP (a folder per deposit, and a manifest, manifeste.csv and
manifeste.json, whose SHA-256s are checked once it is saved) and prints
where. evidence, for auditors, saves the evidence of a whole case (the
evidence bundle of each of its deposits, and a manifest whose SHA-256s are
checked once it is saved): ID is the case's id, or with --deposit the id of
one of its deposits; each bundle inside is then checked offline with
navette verify.

Flags:`

func runCase(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "case", caseUsage)
	q := fs.String("q", "", "only cases whose reference holds `TEXT`")
	asJSON := fs.Bool("json", false, "print the server's JSON instead of a table")
	out := fs.String("out", "", "get, evidence: save the archive as `FILE` (default: CASE_ID.zip, preuves-affaire-ID.zip here); it must not exist")
	byDeposit := fs.Bool("deposit", false, "evidence: ID is a deposit's id, and the evidence is its case's")
	switch {
	case len(args) == 0:
		return usageError("expected ls, show, get or evidence")
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		fs.Usage()
		return flag.ErrHelp
	case !slices.Contains(groupSubcommands["case"], args[0]):
		return usageError("unknown case command %q: expected ls, show, get or evidence", printable(args[0], 60))
	}
	sub := args[0]
	if err := parseInterspersed(fs, env, args[1:]); err != nil {
		return err
	}
	id, err := caseArg(sub, fs)
	if err != nil {
		return err
	}
	c, err := cf.client(env)
	if err != nil {
		return err
	}
	switch sub {
	case "get":
		return getCase(ctx, env, c, id, *out)
	case "evidence":
		return getCaseEvidence(ctx, env, c, id, *byDeposit, *out)
	case "ls":
		return listCases(ctx, env, c, *q, *asJSON)
	default:
		return showCase(ctx, env, c, id, *asJSON)
	}
}

// listCases prints the cases whose reference holds q (all if q is empty).
func listCases(ctx context.Context, env *Env, c *client.Client, q string, asJSON bool) error {
	l, err := c.Cases(ctx, q)
	if err != nil {
		return err
	}
	return printCase(env, asJSON, l, func() { writeCaseTable(env, l.Cases) })
}

// showCase prints the case id with its deposits.
func showCase(ctx context.Context, env *Env, c *client.Client, id string, asJSON bool) error {
	k, err := c.Case(ctx, id)
	if err != nil {
		return err
	}
	return printCase(env, asJSON, k, func() { writeCase(env, k) })
}

// caseArg returns the case id that show and get take, checking that ls
// takes none.
func caseArg(sub string, fs *flag.FlagSet) (string, error) {
	if sub == "ls" {
		if fs.NArg() > 0 {
			return "", usageError("unexpected argument %q", printable(fs.Arg(0), 60))
		}
		return "", nil
	}
	if fs.NArg() != 1 {
		return "", usageError("expected one case id")
	}
	id := strings.TrimSpace(fs.Arg(0))
	if !navette.ValidID(id) {
		return "", usageError("%q is not a case id", printable(id, 60))
	}
	return id, nil
}

// printCase prints doc as the server's JSON, or with table.
func printCase(env *Env, asJSON bool, doc any, table func()) error {
	if !asJSON {
		table()
		return nil
	}
	return writeJSON(env.Stdout, doc)
}

// writeJSON writes doc to w as indented JSON, as the server sent it.
func writeJSON(w io.Writer, doc any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// getCase saves the case's bundle as path, through a temporary file that
// is renamed once the archive is whole and its files match the SHA-256s
// of its manifest.
func getCase(ctx context.Context, env *Env, c *client.Client, id, path string) error {
	if path == "" {
		path = id + ".zip"
	}
	return saveArchive(env, path, ".navette-case-*.zip.part", func(w io.Writer) (int64, error) {
		return c.CaseBundle(ctx, id, w)
	}, checkBundle, "%d files, %s, checked against the manifest.\n")
}

// saveArchive saves an archive with saveChecked, then prints its path,
// after, on a terminal, what check counted and its size, with the format
// said.
func saveArchive(env *Env, path, pattern string, fetch func(io.Writer) (int64, error), check func(string) (int, error), said string) error {
	n, count, err := saveChecked(path, pattern, fetch, check)
	if err != nil {
		return err
	}
	if env.stderrIsTerminal() {
		fmt.Fprintf(env.Stderr, said, count, humanSize(n))
	}
	fmt.Fprintln(env.Stdout, path)
	return nil
}

// saveChecked writes what fetch sends to a temporary file named after
// pattern beside path, which takes path's name only once check accepts
// it; it returns the bytes written and what check counted.
func saveChecked(path, pattern string, fetch func(io.Writer) (int64, error), check func(string) (int, error)) (int64, int, error) {
	if _, err := os.Lstat(path); err == nil {
		return 0, 0, fmt.Errorf("%s exists; choose another --out", printable(path, 200))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), pattern)
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := fetch(tmp)
	if err := syncClose(tmp, err); err != nil {
		return 0, 0, err
	}
	count, err := check(tmp.Name())
	if err != nil {
		return 0, 0, fmt.Errorf("the archive received is not whole: %v", err)
	}
	return n, count, os.Link(tmp.Name(), path)
}

// checkBundle reads the archive at path and checks that each file its
// JSON manifest lists is there with that size and SHA-256; it returns how
// many there are.
func checkBundle(path string) (int, error) {
	var m struct {
		Files []struct {
			Path   string `json:"path"`
			Size   int64  `json:"size"`
			SHA256 string `json:"sha256"`
		} `json:"files"`
	}
	zr, byName, err := openManifest(path, &m)
	if err != nil {
		return 0, err
	}
	defer zr.Close()
	for _, e := range m.Files {
		if err := checkZIPEntry(byName[e.Path], e.Path, e.Size, e.SHA256); err != nil {
			return 0, err
		}
	}
	return len(m.Files), nil
}

// openManifest opens the ZIP archive at path and decodes its
// manifeste.json into m; it returns the archive, to be closed, and its
// entries by name.
func openManifest(path string, m any) (*zip.ReadCloser, map[string]*zip.File, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, nil, err
	}
	byName := map[string]*zip.File{}
	for _, f := range zr.File {
		byName[f.Name] = f
	}
	mf := byName["manifeste.json"]
	if mf == nil {
		zr.Close()
		return nil, nil, errors.New("no manifest")
	}
	rc, err := mf.Open()
	if err == nil {
		err = json.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(m)
		rc.Close()
	}
	if err != nil {
		zr.Close()
		return nil, nil, fmt.Errorf("manifest: %v", err)
	}
	return zr, byName, nil
}

// checkZIPEntry checks that f, the entry name, holds size bytes of that
// SHA-256.
func checkZIPEntry(f *zip.File, name string, size int64, sum string) error {
	if f == nil {
		return fmt.Errorf("%s: missing", printable(name, 200))
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return fmt.Errorf("%s: %v", printable(name, 200), err)
	}
	if n != size || hex.EncodeToString(h.Sum(nil)) != sum {
		return fmt.Errorf("%s: not what the manifest describes", printable(name, 200))
	}
	return nil
}

// writeCaseTable prints cases as an aligned table.
func writeCaseTable(env *Env, cases []api.Case) {
	if len(cases) == 0 {
		fmt.Fprintln(env.Stdout, "No cases.")
		return
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tREFERENCE\tSENT\tRECEIVED\tLAST (PARIS)")
	for _, k := range cases {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", printable(k.ID, 40), printable(k.Reference, 50), k.Sent, k.Received,
			parisTime(k.LastAt))
	}
	tw.Flush()
}

// writeCase prints a case's deposits, newest first, each with its
// recipients and their first download.
func writeCase(env *Env, k *api.Case) {
	fmt.Fprintf(env.Stdout, "Case %s: %s (%d sent, %d received)\n", printable(k.ID, 40), printable(k.Reference, 100), k.Sent, k.Received)
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE (PARIS)\tDIRECTION\tDEPOSIT\tFROM\tTO\tFILES\tSTATE")
	for _, d := range k.Deposits {
		var to []string
		for _, r := range d.Recipients {
			s := r.Email
			if r.FirstDownloadAt != nil {
				s += " (first file downloaded " + parisTime(*r.FirstDownloadAt) + ")"
			}
			to = append(to, s)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", parisTime(d.CreatedAt), d.Direction,
			printable(d.ID, 40), printable(d.Sender.Email, 50), printable(strings.Join(to, ", "), 120), d.FileCount, printable(d.State, 20))
	}
	tw.Flush()
}

const replyUsage = `DEPOSIT_ID [--message TEXT] [--retention DAYS] [--no-receipts] [--from ADDRESS] FILE…

Answers a deposit you received: a new deposit to its sender's side (the
service mailbox of the case it came from, or the sender), in the same case
and under the same reference, with the files (uploads resume by themselves),
then submitted. Prints the new deposit's id on the last line. Interrupted
or killed, the same command run again resumes that reply, sending only what
the server lacks (what it needs is kept under the user's cache directory,
in navette/send/, until the reply is sent); if a file changed meanwhile, it
discards the draft and sends a new reply.

A deposit you received through a service mailbox you are a member of is
answered on behalf of that mailbox, unless it was addressed to you in person
too; --from ADDRESS answers on behalf of another mailbox of yours, --from ""
in person.

Flags:`

func runReply(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "reply", replyUsage)
	retention := fs.Int("retention", 0, "`days` the files stay available (0: the server's default)")
	message := fs.String("message", "", "`text` for the recipients")
	noReceipts := fs.Bool("no-receipts", false, "do not e-mail me when each recipient first downloads")
	var from *string
	fs.Func("from", "reply on behalf of the service mailbox with this `e-mail` address, of which you are a member; \"\" in person (default: the mailbox the deposit came through)", func(v string) error {
		v = strings.TrimSpace(v)
		from = &v
		return nil
	})
	if err := parseInterspersed(fs, env, args); err != nil {
		return err
	}
	id, err := replyArgs(fs, *retention)
	if err != nil {
		return err
	}
	files, err := checkLocalFiles(fs.Args()[1:])
	if err != nil {
		return err
	}
	c, err := cf.client(env)
	if err != nil {
		return err
	}
	in := api.Reply{Message: *message, RetentionDays: *retention, NotifySender: notifySender(*noReceipts), FromSpace: from}
	st, err := openSendState(env, sendingReply, sendKey(c.ServerURL(), cf.token, replyKey{To: id, Reply: in}, files))
	if err != nil {
		return err
	}
	defer st.close()
	sub, err := sendDeposit(ctx, env, c, st, files, func(key string) (*api.Deposit, error) {
		return c.ReplyOnce(ctx, id, in, key)
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, sub.ID)
	return nil
}

// replyKey is what names the state of a reply (sendKey): the deposit
// answered and the reply.
type replyKey struct {
	To    string
	Reply api.Reply
}

// replyArgs checks the arguments of reply, a deposit id and files, and
// its retention, and returns the id.
func replyArgs(fs *flag.FlagSet, retention int) (string, error) {
	if fs.NArg() < 2 {
		return "", usageError("expected a deposit id and at least one file")
	}
	id, err := parseDepositID(fs.Arg(0))
	if err != nil {
		return "", err
	}
	if retention < 0 {
		return "", usageError("--retention must be a number of days")
	}
	return id, nil
}

func runExtend(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "extend", "DEPOSIT_ID --days N\n\nExtends a deposit you sent by N days, within the platform's ceiling counted\nfrom its availability; its recipients are told.\n\nFlags:")
	days := fs.Int("days", 0, "`N` days to add (required)")
	if err := parseInterspersed(fs, env, args); err != nil {
		return err
	}
	id, err := depositIDArg(fs)
	if err != nil {
		return err
	}
	if *days < 1 {
		return usageError("--days N is required, N at least 1: the days to add")
	}
	c, err := cf.client(env)
	if err != nil {
		return err
	}
	d, err := c.Extend(ctx, id, *days)
	if err != nil {
		return err
	}
	printExtended(env.Stdout, id, d)
	return nil
}

// printExtended says until when the deposit id, extended to d, is
// available.
func printExtended(w io.Writer, id string, d *api.Deposit) {
	until := ""
	if d.ExpiresAt != nil {
		until = parisTime(*d.ExpiresAt) + " (Paris time)"
	}
	fmt.Fprintf(w, "Deposit %s extended until %s.\n", id, until)
}
