package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"navette"
	"navette/account"
	"navette/app"
)

func init() {
	register("admin", "operator tasks: users, courts, tokens, settings, keys, journal, dead letters (admin help)", runAdmin)
}

const adminUsage = `navette admin user add --data DIR --email E --name "N" --role agent|court_admin|partner|admin|auditor [--court CODE] [--lang fr|en]
navette admin user role --data DIR --email E --role ROLE
navette admin user revoke|restore --data DIR --email E
navette admin user reset-totp|reset-oidc --data DIR --email E
navette admin court add --data DIR --code CODE --name "N"
navette admin service add --data DIR --court CODE --name "N" --email E
navette admin member add|remove --data DIR --service E --email E
navette admin token create --data DIR --email E [--label L] [--ttl 720h] [--scopes read,write]
navette admin token revoke --data DIR TOKEN_ID
navette admin settings --data DIR [--max-file-size BYTES] [--max-files N] [--max-retention DAYS] [--max-recipients N]
navette admin journal verify --data DIR [--checkpoint FILE|SEQ:HASH] [--keys FILE] [--tsa-ca FILE]
navette admin journal key [rotate] --data DIR
navette admin evidence --data DIR DEPOSIT_ID > bundle.zip
navette admin key rotate --data DIR [--db URL] [--stage]
navette admin key activate --data DIR [--db URL] KEYID
navette admin key status --data DIR [--db URL]
navette admin key rewrap --data DIR [--db URL] [--batch N]
navette admin key retire --data DIR [--db URL] KEYID
navette admin mail dead --data DIR [--limit N]
navette admin mail replay --data DIR NOTICE_ID
navette admin scrub --data DIR [--db URL] [--blobs URL] [--rate BYTES_PER_SECOND]
navette admin backup --data DIR --out FILE[.gz]
navette admin restore --data NEWDIR --from FILE [--keys FILE]
navette admin key export --data DIR --out FILE
navette admin request list [--state pending] (over the API: --server, NAVETTE_TOKEN)
navette admin request approve|reject [--sha256 HEX] REQUEST_ID (over the API; another admin's request)
navette admin users ls [--q WORDS] [--role R] [--status enabled|disabled] [--directory S] [--limit N --cursor C] (over the API)
navette admin users show USER_ID (over the API: factors, tokens, mailboxes, last events)`

// adminCommands are the admin subcommands, named by one word or two.
var adminCommands = map[string]func(ctx context.Context, env *Env, args []string) error{
	"settings":        adminSettings,
	"evidence":        adminEvidence,
	"scrub":           adminScrub,
	"backup":          adminBackup,
	"restore":         adminRestore,
	"user add":        adminUserAdd,
	"user role":       adminUserChange("role"),
	"user revoke":     adminUserChange("revoke"),
	"user restore":    adminUserChange("restore"),
	"user reset-totp": adminUserChange("reset-totp"),
	"user reset-oidc": adminUserChange("reset-oidc"),
	"court add":       adminCourtAdd,
	"service add":     adminServiceAdd,
	"member add":      adminMember("add"),
	"member remove":   adminMember("remove"),
	"token create":    adminTokenCreate,
	"token revoke":    adminTokenRevoke,
	"journal verify":  adminJournalVerify,
	"journal key":     adminJournalKey,
	"key rotate":      adminKeyRotate,
	"key activate":    adminKeyActivate,
	"key status":      adminKeyStatus,
	"key rewrap":      adminKeyRewrap,
	"key retire":      adminKeyRetire,
	"key export":      adminKeyExport,
	"mail dead":       adminMailDead,
	"mail replay":     adminMailReplay,
}

func runAdmin(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		if cmd, ok := adminCommands[args[0]]; ok {
			return cmd(ctx, env, args[1:])
		}
	}
	if len(args) < 2 {
		return noSubcommand(env, "admin", adminUsage, args)
	}
	if cmd, ok := adminCommands[args[0]+" "+args[1]]; ok {
		return cmd(ctx, env, args[2:])
	}
	return usageError("unknown admin command %q\n%s", args[0]+" "+args[1], adminUsage)
}

// adminCmd is what the subcommands that work on a platform share: their
// flags, --data and --db among them, parsed and checked before the
// platform they name is opened for the command.
type adminCmd struct {
	fs   *flag.FlagSet
	env  *Env
	open func() (*app.App, error)
	// interspersed lets arguments come before flags (parseInterspersed).
	interspersed bool
}

// newAdminCmd returns the flag set of the command name, with --data and
// --db.
func newAdminCmd(env *Env, name, usage string) *adminCmd {
	fs := newFlagSet(env, name, usage)
	return &adminCmd{fs: fs, env: env, open: storeFlags(fs)}
}

// newAdminBlobCmd is newAdminCmd with --blobs too, for the commands that
// read the stored files.
func newAdminBlobCmd(env *Env, name, usage string) *adminCmd {
	fs := newFlagSet(env, name, usage)
	return &adminCmd{fs: fs, env: env, open: storeBlobFlags(fs)}
}

// run parses args, checks them with check if it is set, opens the platform
// and calls fn with it, closing it after.
func (c *adminCmd) run(args []string, check func() error, fn func(a *app.App) error) error {
	parse := parseFlags
	if c.interspersed {
		parse = parseInterspersed
	}
	if err := parse(c.fs, c.env, args); err != nil {
		return err
	}
	if check != nil {
		if err := check(); err != nil {
			return err
		}
	}
	a, err := c.open()
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

// oneArg returns a check that one argument, a what, follows the flags.
func (c *adminCmd) oneArg(what string) func() error {
	return func() error {
		if c.fs.NArg() != 1 {
			return usageError("one %s is required", what)
		}
		return nil
	}
}

// require returns a check that the flags names, without their dashes,
// were given (requireFlags).
func (c *adminCmd) require(names ...string) func() error {
	return func() error { return requireFlags(c.fs, names...) }
}

// storeFlags adds --data and --db to fs and returns what opens the platform
// they name, once fs is parsed.
func storeFlags(fs *flag.FlagSet) func() (*app.App, error) {
	return platformFlags(fs, false)
}

// storeBlobFlags is storeFlags with --blobs too, for the commands that read
// the stored files.
func storeBlobFlags(fs *flag.FlagSet) func() (*app.App, error) {
	return platformFlags(fs, true)
}

// platformFlags adds --data, --db and, if blobs, --blobs to fs and returns
// what opens the platform they name, once fs is parsed.
func platformFlags(fs *flag.FlagSet, blobs bool) func() (*app.App, error) {
	data := fs.String("data", "", "data directory")
	db := fs.String("db", "", "metadata store URL (default sqlite:DATA/navette.db)")
	blobURL := new(string)
	if blobs {
		blobURL = fs.String("blobs", "", "blob store URL (default file://DATA/blobs)")
	}
	return func() (*app.App, error) { return openData(*data, *db, *blobURL) }
}

// openData opens the platform of the data directory data, on the metadata
// store db (default: the directory's SQLite database) and the blob store
// blobs (default: the directory's blobs), also while a server runs. A data
// directory that does not exist is refused, not made: it is a typo, and a
// new platform made there would take the command. So is a directory that
// holds other things but no keys: a new platform's keys and database would
// be strewn among them.
func openData(data, db, blobs string) (*app.App, error) {
	if data == "" {
		return nil, usageError("--data is required")
	}
	if st, err := os.Stat(data); err != nil || !st.IsDir() {
		return nil, usageError("--data %s is not a directory: give the data directory of the platform", data)
	}
	if _, err := os.Stat(filepath.Join(data, "keys")); errors.Is(err, fs.ErrNotExist) {
		if entries, err := os.ReadDir(data); err == nil && len(entries) > 0 {
			return nil, usageError("--data %s holds no keys/ yet is not empty: give the data directory of the platform (an empty directory for a new one)", data)
		}
	}
	return app.Open(app.Config{DataDir: data, DB: db, Blobs: blobs})
}

func adminUserAdd(ctx context.Context, env *Env, args []string) error {
	c := newAdminCmd(env, "admin user add", "--data DIR --email E --name N --role ROLE [--court CODE] [--lang fr|en]\n\nCreates a user of the platform with a role, at once and journaled as the\nlocal operator (no two-person rule); an agent or court admin belongs to the\ncourt --court.")
	email := c.fs.String("email", "", "the user's e-mail address")
	name := c.fs.String("name", "", "the user's full name")
	role := c.fs.String("role", "", "agent, court_admin, partner, admin or auditor")
	lang := c.fs.String("lang", "", "language of the user's e-mails: fr or en (default fr)")
	court := c.fs.String("court", "", "code of the staff member's court")
	return c.run(args, c.require("email", "name", "role"), func(a *app.App) error {
		courtID, err := courtIDOf(ctx, a, *court)
		if err != nil {
			return err
		}
		u, err := a.Accounts.Create(ctx, account.NewUser{Email: *email, Name: *name, Role: navette.Role(*role), Lang: *lang, CourtID: courtID})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "created %s %s (%s)\n", u.Role, u.Email, u.ID)
		return nil
	})
}

// courtIDOf returns the id of the court of the given code, or "" if code
// is empty.
func courtIDOf(ctx context.Context, a *app.App, code string) (string, error) {
	if code == "" {
		return "", nil
	}
	ct, err := a.Meta.CourtByCode(ctx, code)
	if err != nil {
		return "", fmt.Errorf("no court has the code %s", code)
	}
	return ct.ID, nil
}

func adminTokenCreate(ctx context.Context, env *Env, args []string) error {
	c := newAdminCmd(env, "admin token create", "--data DIR --email E [--label L] [--ttl DURATION] [--scopes S,…]\n\nCreates an API token for the user --email and prints its secret alone on\nstandard output (its id and expiry on standard error): it is shown only\nonce.")
	email := c.fs.String("email", "", "the user's e-mail address")
	label := c.fs.String("label", "cli", "what the token is for")
	ttl := c.fs.Duration("ttl", 0, "lifetime (default 2160h, at most 8784h)")
	scopes := c.fs.String("scopes", "", "comma-separated scopes: read, write, admin, audit (default: all the role allows)")
	check := func() error {
		if err := requireFlags(c.fs, "email"); err != nil {
			return err
		}
		if *ttl < 0 {
			return usageError("--ttl must not be negative")
		}
		return nil
	}
	return c.run(args, check, func(a *app.App) error {
		u, err := userByEmail(ctx, a, *email)
		if err != nil {
			return err
		}
		secret, t, err := a.Accounts.CreateTokenFor(ctx, u, *label, *ttl, parseScopes(*scopes))
		if err != nil {
			return err
		}
		// One item a line, the secret alone on the last, to be copied.
		fmt.Fprintf(env.Stderr, "token id: %s\n", t.ID)
		if !t.ExpiresAt.IsZero() {
			fmt.Fprintf(env.Stderr, "expires:  %s (Paris time)\n", parisTime(t.ExpiresAt))
		}
		fmt.Fprintln(env.Stdout, secret)
		return nil
	})
}

// parseScopes reads --scopes: comma-separated scopes, none if empty (all
// the role allows).
func parseScopes(s string) []navette.Scope {
	if s == "" {
		return nil
	}
	var sc []navette.Scope
	for _, x := range strings.Split(s, ",") {
		sc = append(sc, navette.Scope(strings.TrimSpace(x)))
	}
	return sc
}

func adminKeyRotate(ctx context.Context, env *Env, args []string) error {
	c := newAdminCmd(env, "admin key rotate", "--data DIR [--db URL] [--stage]\n\nMakes a new key-encryption key and makes it active (new deposits' keys are\nwrapped under it); existing keys stay usable until \"admin key rewrap\". With\n--stage the key is made but not activated, to be copied to every node first.")
	stage := c.fs.Bool("stage", false, "make the key without activating it: copy it to every node, then \"admin key activate\"")
	return c.run(args, nil, func(a *app.App) error {
		id, err := a.RotateKey(ctx, *stage)
		if err != nil {
			return err
		}
		if *stage {
			fmt.Fprintf(env.Stdout, "new key-encryption key %s, not active: copy keys/%s.key to every node, then run \"navette admin key activate %s\"\n", id, id, id)
			return nil
		}
		fmt.Fprintf(env.Stdout, "new active key-encryption key %s; running servers use it within seconds, existing keys stay usable\n", id)
		return nil
	})
}

func adminKeyActivate(ctx context.Context, env *Env, args []string) error {
	return adminKeyIDCommand(ctx, env, args, "activate", (*app.App).ActivateKey,
		"key-encryption key %s is active; running servers use it within seconds\n")
}

// adminKeyIDCommand runs "admin key VERB KEYID": act on the key, then
// print done, a format of its id.
func adminKeyIDCommand(ctx context.Context, env *Env, args []string, verb string, act func(*app.App, context.Context, string) error, done string) error {
	c := newAdminCmd(env, "admin key "+verb, "--data DIR [--db URL] KEYID\n\nactivate makes the key-encryption key KEYID, staged by \"admin key rotate\n--stage\", the active one; retire destroys KEYID once no stored key is\nwrapped under it (run \"admin key rewrap\" first) and it has not been active\nfor a while.")
	c.interspersed = true
	return c.run(args, c.oneArg("key id"), func(a *app.App) error {
		if err := act(a, ctx, c.fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, done, c.fs.Arg(0))
		return nil
	})
}

// printKeyCounts prints the key-encryption keys of a and what each wraps.
func printKeyCounts(ctx context.Context, env *Env, a *app.App) error {
	counts, err := a.KeyCounts(ctx)
	if err != nil {
		return err
	}
	for _, id := range a.Keys.IDs() {
		mark := ""
		if id == a.Keys.ActiveID() {
			mark = " (active)"
		}
		fmt.Fprintf(env.Stdout, "%s%s:%s\n", id, mark, keyCountsOf(counts, id))
	}
	printMissingKeys(env.Stdout, counts, a.Keys.IDs())
	return nil
}

// printMissingKeys prints, once each, the keys that wrap data but are not
// among the keys ids of this node, and what each wraps.
func printMissingKeys(w io.Writer, counts []navette.KeyCount, ids []string) {
	var missing []string
	for _, c := range counts {
		if !slices.Contains(ids, c.KeyID) && !slices.Contains(missing, c.KeyID) {
			missing = append(missing, c.KeyID)
			fmt.Fprintf(w, "%s (MISSING from this node):%s\n", c.KeyID, keyCountsOf(counts, c.KeyID))
		}
	}
}

// keyCountsOf renders what key id wraps: " deposit=N file=N …", or " nothing".
func keyCountsOf(counts []navette.KeyCount, id string) string {
	var b strings.Builder
	for _, c := range counts {
		if c.KeyID == id {
			fmt.Fprintf(&b, " %s=%d", c.Column, c.N)
		}
	}
	if b.Len() == 0 {
		return " nothing"
	}
	return b.String()
}

func adminKeyStatus(ctx context.Context, env *Env, args []string) error {
	c := newAdminCmd(env, "admin key status", "--data DIR [--db URL]\n\nLists the key-encryption keys of this node, the active one marked, with how\nmany stored keys each wraps, and the keys that wrap data but are missing\nfrom this node.")
	return c.run(args, nil, func(a *app.App) error { return printKeyCounts(ctx, env, a) })
}

func adminKeyRewrap(ctx context.Context, env *Env, args []string) error {
	c := newAdminCmd(env, "admin key rewrap", "--data DIR [--db URL] [--batch N]\n\nWraps again under the active key-encryption key every stored key still under\nanother, so that the others can be retired; interrupted, it is run again to\nfinish.")
	batch := c.fs.Int("batch", app.DefaultRewrapBatch, "stored keys listed at a time")
	check := func() error {
		if *batch <= 0 {
			return usageError("--batch must be positive")
		}
		return nil
	}
	return c.run(args, check, func(a *app.App) error {
		st, err := a.RewrapKeys(ctx, *batch, nil)
		fmt.Fprintf(env.Stdout, "re-wrapped %d of %d stored keys under %s: %d changed meanwhile, %d could not be opened, %d left under other keys\n",
			st.Rewrapped, st.Stale, st.To, st.Changed, st.Failed, st.Left)
		if err != nil {
			return fmt.Errorf("interrupted (run it again to finish): %w", err)
		}
		if st.Left > 0 {
			return fmt.Errorf("%d stored keys are still under other keys (see the log, and \"navette admin key status\")", st.Left)
		}
		return nil
	})
}

func adminKeyRetire(ctx context.Context, env *Env, args []string) error {
	return adminKeyIDCommand(ctx, env, args, "retire", (*app.App).RetireKey,
		"key-encryption key %s destroyed; running servers drop it within seconds\n")
}

// operator is who acts from the command line: the platform's operator,
// recorded in the journal as navette.LocalOperator: it acts directly,
// without the two-person rule.
var operator = &navette.User{ID: navette.LocalOperator, Role: navette.RoleAdmin}

// userByEmail finds a user for a command, with a readable error.
func userByEmail(ctx context.Context, a *app.App, email string) (*navette.User, error) {
	u, err := a.Meta.UserByEmail(ctx, navette.NormalizeEmail(email))
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, fmt.Errorf("no user has the e-mail %s", navette.NormalizeEmail(email))
	}
	return u, err
}

// adminUserChange returns the command "admin user what": role, revoke,
// restore, reset-totp or reset-oidc.
func adminUserChange(what string) func(ctx context.Context, env *Env, args []string) error {
	return func(ctx context.Context, env *Env, args []string) error {
		usage := "--data DIR --email E"
		if what == "role" {
			usage += " --role ROLE"
		}
		c := newAdminCmd(env, "admin user "+what, usage+"\n\n"+userChanges[what]+"\nAt once, and journaled as the local operator.")
		email := c.fs.String("email", "", "the user's e-mail address")
		role := new(string)
		if what == "role" {
			role = c.fs.String("role", "", "the new role: agent, court_admin, partner, admin or auditor")
		}
		check := func() error {
			switch {
			case what == "role" && (*email == "" || *role == ""):
				return usageError("--email and --role are required")
			case *email == "":
				return usageError("--email is required")
			}
			return nil
		}
		return c.run(args, check, func(a *app.App) error {
			u, err := userByEmail(ctx, a, *email)
			if err != nil {
				return err
			}
			if u, err = changeUser(ctx, a, what, u, navette.Role(*role)); err != nil {
				return err
			}
			state := "active"
			if u.Disabled {
				state = "revoked"
			}
			fmt.Fprintf(env.Stdout, "%s %s: %s, %s\n", what, u.Email, u.Role, state)
			return nil
		})
	}
}

// userChanges says what each "admin user" change does.
var userChanges = map[string]string{
	"role":       "Gives the user --email the role --role.",
	"revoke":     "Disables the user --email: their sessions and tokens stop working.",
	"restore":    "Enables the user --email again.",
	"reset-totp": "Removes the second factor of the user --email, so that they enrol again.",
	"reset-oidc": "Unlinks the user --email from their identity-provider account.",
}

// changeUser makes the change what (see adminUserChange) to u, and returns
// the user as changed.
func changeUser(ctx context.Context, a *app.App, what string, u *navette.User, role navette.Role) (*navette.User, error) {
	switch what {
	case "role":
		return a.Accounts.SetRole(ctx, operator, u.ID, role)
	case "revoke":
		return a.Accounts.SetDisabled(ctx, operator, u.ID, true)
	case "restore":
		return a.Accounts.SetDisabled(ctx, operator, u.ID, false)
	case "reset-totp":
		return u, a.Auth.ResetSecondFactor(ctx, operator, u.ID)
	case "reset-oidc":
		return u, a.Auth.ResetOIDCSubject(ctx, operator, u.ID)
	}
	return u, nil
}

func adminCourtAdd(ctx context.Context, env *Env, args []string) error {
	c := newAdminCmd(env, "admin court add", "--data DIR --code CODE --name N\n\nCreates a court, named --name, whose code --code the other commands use to\nname it.")
	code := c.fs.String("code", "", "the court's stable code, such as TJ-AMIENS")
	name := c.fs.String("name", "", "the court's name")
	return c.run(args, nil, func(a *app.App) error {
		ct, err := a.Accounts.CreateCourt(ctx, operator, *code, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "created court %s (%s)\n", ct.Code, ct.ID)
		return nil
	})
}

func adminServiceAdd(ctx context.Context, env *Env, args []string) error {
	c := newAdminCmd(env, "admin service add", "--data DIR --court CODE --name N --email E\n\nCreates a service mailbox of the court --court, with its own e-mail address\n--email, to which deposits can be sent; its members see them.")
	court := c.fs.String("court", "", "the court's code")
	name := c.fs.String("name", "", "the service's name, such as \"Greffe correctionnel\"")
	email := c.fs.String("email", "", "the service's functional e-mail address, where its notices go")
	return c.run(args, nil, func(a *app.App) error {
		ct, err := a.Meta.CourtByCode(ctx, *court)
		if err != nil {
			return fmt.Errorf("no court has the code %s", *court)
		}
		u, err := a.Accounts.CreateService(ctx, operator, ct.ID, *name, *email)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "created service %s <%s> (%s)\n", u.Name, u.Email, u.ID)
		return nil
	})
}

// adminMember returns the command "admin member what": add or remove.
func adminMember(what string) func(ctx context.Context, env *Env, args []string) error {
	return func(ctx context.Context, env *Env, args []string) error {
		c := newAdminCmd(env, "admin member "+what, "--data DIR --service E --email E\n\nAdds the agent --email to the service mailbox --service (add), or takes them\nout of it (remove), at once and journaled as the local operator; the agent\nis told by e-mail.")
		service := c.fs.String("service", "", "the service's e-mail address")
		email := c.fs.String("email", "", "the agent's e-mail address")
		return c.run(args, nil, func(a *app.App) error {
			svc, err := userByEmail(ctx, a, *service)
			if err != nil {
				return err
			}
			u, err := userByEmail(ctx, a, *email)
			if err != nil {
				return err
			}
			if what == "add" {
				err = a.Accounts.AddMember(ctx, operator, svc.ID, u.ID)
			} else {
				err = a.Accounts.RemoveMember(ctx, operator, svc.ID, u.ID)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "member %s: %s in %s\n", what, u.Email, svc.Email)
			return nil
		})
	}
}

func adminTokenRevoke(ctx context.Context, env *Env, args []string) error {
	c := newAdminCmd(env, "admin token revoke", "--data DIR TOKEN_ID\n\nRevokes the API token TOKEN_ID (as \"admin users show\" lists it): it stops\nworking at once.")
	return c.run(args, c.oneArg("token id"), func(a *app.App) error {
		if err := a.Accounts.RevokeAnyToken(ctx, operator, c.fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "revoked token %s\n", c.fs.Arg(0))
		return nil
	})
}
