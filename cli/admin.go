package cli

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

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
navette admin journal verify --data DIR [--checkpoint FILE|SEQ:HASH] [--keys FILE]
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
navette admin key export --data DIR --out FILE`

func runAdmin(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "settings" {
		return adminSettings(ctx, env, args[1:])
	}
	if len(args) > 0 && args[0] == "evidence" {
		return adminEvidence(ctx, env, args[1:])
	}
	if len(args) > 0 && args[0] == "scrub" {
		return adminScrub(ctx, env, args[1:])
	}
	if len(args) > 0 && args[0] == "backup" {
		return adminBackup(ctx, env, args[1:])
	}
	if len(args) > 0 && args[0] == "restore" {
		return adminRestore(ctx, env, args[1:])
	}
	if len(args) < 2 {
		return usageError("\n%s", adminUsage)
	}
	switch args[0] + " " + args[1] {
	case "user add":
		return adminUserAdd(ctx, env, args[2:])
	case "user role", "user revoke", "user restore", "user reset-totp", "user reset-oidc":
		return adminUserChange(ctx, env, args[1], args[2:])
	case "court add":
		return adminCourtAdd(ctx, env, args[2:])
	case "service add":
		return adminServiceAdd(ctx, env, args[2:])
	case "member add", "member remove":
		return adminMember(ctx, env, args[1], args[2:])
	case "token create":
		return adminTokenCreate(ctx, env, args[2:])
	case "token revoke":
		return adminTokenRevoke(ctx, env, args[2:])
	case "journal verify":
		return adminJournalVerify(ctx, env, args[2:])
	case "journal key":
		return adminJournalKey(ctx, env, args[2:])
	case "key rotate":
		return adminKeyRotate(ctx, env, args[2:])
	case "key activate":
		return adminKeyActivate(ctx, env, args[2:])
	case "key status":
		return adminKeyStatus(ctx, env, args[2:])
	case "key rewrap":
		return adminKeyRewrap(ctx, env, args[2:])
	case "key retire":
		return adminKeyRetire(ctx, env, args[2:])
	case "key export":
		return adminKeyExport(ctx, env, args[2:])
	case "mail dead":
		return adminMailDead(ctx, env, args[2:])
	case "mail replay":
		return adminMailReplay(ctx, env, args[2:])
	}
	return usageError("unknown admin command %q\n%s", args[0]+" "+args[1], adminUsage)
}

// storeFlags adds --data and --db to fs and returns what opens the platform
// they name, once fs is parsed.
func storeFlags(fs *flag.FlagSet) func() (*app.App, error) {
	data := fs.String("data", "", "data directory")
	db := fs.String("db", "", "metadata store URL (default sqlite:DATA/navette.db)")
	return func() (*app.App, error) { return openData(*data, *db) }
}

// openData opens the platform of the data directory data, on the metadata
// store db (default: the directory's SQLite database), also while a server
// runs.
func openData(data, db string) (*app.App, error) {
	if data == "" {
		return nil, usageError("--data is required")
	}
	return app.Open(app.Config{DataDir: data, DB: db})
}

func adminUserAdd(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin user add", "--data DIR --email E --name N --role ROLE [--court CODE] [--lang fr|en]")
	open := storeFlags(fs)
	email := fs.String("email", "", "the user's e-mail address")
	name := fs.String("name", "", "the user's full name")
	role := fs.String("role", "", "agent, court_admin, partner, admin or auditor")
	lang := fs.String("lang", "", "language of the user's e-mails: fr or en (default fr)")
	court := fs.String("court", "", "code of the staff member's court")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *email == "" || *name == "" || *role == "" {
		return usageError("--email, --name and --role are required")
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
	nu := account.NewUser{Email: *email, Name: *name, Role: navette.Role(*role), Lang: *lang}
	if *court != "" {
		c, err := a.Meta.CourtByCode(ctx, *court)
		if err != nil {
			return fmt.Errorf("no court has the code %s", *court)
		}
		nu.CourtID = c.ID
	}
	u, err := a.Accounts.Create(ctx, nu)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created %s %s (%s)\n", u.Role, u.Email, u.ID)
	return nil
}

func adminTokenCreate(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin token create", "--data DIR --email E [--label L] [--ttl DURATION]")
	open := storeFlags(fs)
	email := fs.String("email", "", "the user's e-mail address")
	label := fs.String("label", "cli", "what the token is for")
	ttl := fs.Duration("ttl", 0, "lifetime (default 2160h, at most 8784h)")
	scopes := fs.String("scopes", "", "comma-separated scopes: read, write, admin, audit (default: all the role allows)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *email == "" {
		return usageError("--email is required")
	}
	if *ttl < 0 {
		return usageError("--ttl must not be negative")
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := userByEmail(ctx, a, *email)
	if err != nil {
		return err
	}
	var sc []navette.Scope
	if *scopes != "" {
		for _, x := range strings.Split(*scopes, ",") {
			sc = append(sc, navette.Scope(strings.TrimSpace(x)))
		}
	}
	secret, t, err := a.Accounts.CreateTokenFor(ctx, u, *label, *ttl, sc)
	if err != nil {
		return err
	}
	if !t.ExpiresAt.IsZero() {
		fmt.Fprintf(env.Stderr, "token %s expires %s\n", t.ID, t.ExpiresAt.Format(time.RFC3339))
	}
	fmt.Fprintln(env.Stdout, secret)
	return nil
}

func adminKeyRotate(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin key rotate", "--data DIR [--db URL] [--stage]")
	open := storeFlags(fs)
	stage := fs.Bool("stage", false, "make the key without activating it: copy it to every node, then \"admin key activate\"")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
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
}

func adminKeyActivate(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin key activate", "--data DIR [--db URL] KEYID")
	open := storeFlags(fs)
	if err := parseInterspersed(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("one key id is required")
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.ActivateKey(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "key-encryption key %s is active; running servers use it within seconds\n", fs.Arg(0))
	return nil
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
	var missing []string
	for _, c := range counts {
		if !slices.Contains(a.Keys.IDs(), c.KeyID) && !slices.Contains(missing, c.KeyID) {
			missing = append(missing, c.KeyID)
			fmt.Fprintf(env.Stdout, "%s (MISSING from this node):%s\n", c.KeyID, keyCountsOf(counts, c.KeyID))
		}
	}
	return nil
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
	fs := newFlagSet(env, "admin key status", "--data DIR [--db URL]")
	open := storeFlags(fs)
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
	return printKeyCounts(ctx, env, a)
}

func adminKeyRewrap(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin key rewrap", "--data DIR [--db URL] [--batch N]")
	open := storeFlags(fs)
	batch := fs.Int("batch", app.DefaultRewrapBatch, "stored keys listed at a time")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *batch <= 0 {
		return usageError("--batch must be positive")
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
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
}

func adminKeyRetire(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin key retire", "--data DIR [--db URL] KEYID")
	open := storeFlags(fs)
	if err := parseInterspersed(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("one key id is required")
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.RetireKey(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "key-encryption key %s destroyed; running servers drop it within seconds\n", fs.Arg(0))
	return nil
}

// operator is who acts from the command line: the platform's operator,
// recorded as the system in the journal.
var operator = &navette.User{Role: navette.RoleAdmin}

// userByEmail finds a user for a command, with a readable error.
func userByEmail(ctx context.Context, a *app.App, email string) (*navette.User, error) {
	u, err := a.Meta.UserByEmail(ctx, navette.NormalizeEmail(email))
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, fmt.Errorf("no user has the e-mail %s", navette.NormalizeEmail(email))
	}
	return u, err
}

func adminUserChange(ctx context.Context, env *Env, what string, args []string) error {
	fs := newFlagSet(env, "admin user "+what, "--data DIR --email E [--role ROLE]")
	open := storeFlags(fs)
	email := fs.String("email", "", "the user's e-mail address")
	role := fs.String("role", "", "the new role (user role)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *email == "" || (what == "role") != (*role != "") {
		return usageError("--email is required, and --role with user role only")
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := userByEmail(ctx, a, *email)
	if err != nil {
		return err
	}
	switch what {
	case "role":
		u, err = a.Accounts.SetRole(ctx, operator, u.ID, navette.Role(*role))
	case "revoke":
		u, err = a.Accounts.SetDisabled(ctx, operator, u.ID, true)
	case "restore":
		u, err = a.Accounts.SetDisabled(ctx, operator, u.ID, false)
	case "reset-totp":
		err = a.Auth.ResetSecondFactor(ctx, operator, u.ID)
	case "reset-oidc":
		err = a.Auth.ResetOIDCSubject(ctx, operator, u.ID)
	}
	if err != nil {
		return err
	}
	state := "active"
	if u.Disabled {
		state = "revoked"
	}
	fmt.Fprintf(env.Stdout, "%s %s: %s, %s\n", what, u.Email, u.Role, state)
	return nil
}

func adminCourtAdd(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin court add", "--data DIR --code CODE --name N")
	open := storeFlags(fs)
	code := fs.String("code", "", "the court's stable code, such as TJ-AMIENS")
	name := fs.String("name", "", "the court's name")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
	c, err := a.Accounts.CreateCourt(ctx, operator, *code, *name)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created court %s (%s)\n", c.Code, c.ID)
	return nil
}

func adminServiceAdd(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin service add", "--data DIR --court CODE --name N --email E")
	open := storeFlags(fs)
	court := fs.String("court", "", "the court's code")
	name := fs.String("name", "", "the service's name, such as \"Greffe correctionnel\"")
	email := fs.String("email", "", "the service's functional e-mail address, where its notices go")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
	c, err := a.Meta.CourtByCode(ctx, *court)
	if err != nil {
		return fmt.Errorf("no court has the code %s", *court)
	}
	u, err := a.Accounts.CreateService(ctx, operator, c.ID, *name, *email)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created service %s <%s> (%s)\n", u.Name, u.Email, u.ID)
	return nil
}

func adminMember(ctx context.Context, env *Env, what string, args []string) error {
	fs := newFlagSet(env, "admin member "+what, "--data DIR --service E --email E")
	open := storeFlags(fs)
	service := fs.String("service", "", "the service's e-mail address")
	email := fs.String("email", "", "the agent's e-mail address")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
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
}

func adminTokenRevoke(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin token revoke", "--data DIR TOKEN_ID")
	open := storeFlags(fs)
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("one token id is required")
	}
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Accounts.RevokeAnyToken(ctx, operator, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "revoked token %s\n", fs.Arg(0))
	return nil
}
