package cli

import (
	"context"
	"fmt"
	"time"

	"navette"
	"navette/account"
	"navette/app"
)

func init() {
	register("admin", "operator tasks: users, tokens, keys, dead letters (admin help)", runAdmin)
}

const adminUsage = `navette admin user add --data DIR --email E --name "N" --role agent|partner|admin [--lang fr|en]
navette admin token create --data DIR --email E [--label L] [--ttl 720h]
navette admin key rotate --data DIR
navette admin mail dead --data DIR [--limit N]
navette admin mail replay --data DIR NOTICE_ID`

func runAdmin(ctx context.Context, env *Env, args []string) error {
	if len(args) < 2 {
		return usageError("\n%s", adminUsage)
	}
	switch args[0] + " " + args[1] {
	case "user add":
		return adminUserAdd(ctx, env, args[2:])
	case "token create":
		return adminTokenCreate(ctx, env, args[2:])
	case "key rotate":
		return adminKeyRotate(ctx, env, args[2:])
	case "mail dead":
		return adminMailDead(ctx, env, args[2:])
	case "mail replay":
		return adminMailReplay(ctx, env, args[2:])
	}
	return usageError("unknown admin command %q\n%s", args[0]+" "+args[1], adminUsage)
}

// openData opens the data directory's stores, also while a server runs.
func openData(data, db, blobs string) (*app.App, error) {
	if data == "" {
		return nil, usageError("--data is required")
	}
	return app.Open(app.Config{DataDir: data, DB: db, Blobs: blobs})
}

func adminUserAdd(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin user add", "--data DIR --email E --name N --role agent|partner|admin [--lang fr|en]")
	data := fs.String("data", "", "data directory")
	db := fs.String("db", "", "metadata store URL (default sqlite:DATA/navette.db)")
	email := fs.String("email", "", "the user's e-mail address")
	name := fs.String("name", "", "the user's full name")
	role := fs.String("role", "", "agent, partner or admin")
	lang := fs.String("lang", "", "language of the user's e-mails: fr or en (default fr)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *email == "" || *name == "" || *role == "" {
		return usageError("--email, --name and --role are required")
	}
	a, err := openData(*data, *db, "")
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Accounts.Create(ctx, account.NewUser{Email: *email, Name: *name, Role: navette.Role(*role), Lang: *lang})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created %s %s (%s)\n", u.Role, u.Email, u.ID)
	return nil
}

func adminTokenCreate(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "admin token create", "--data DIR --email E [--label L] [--ttl DURATION]")
	data := fs.String("data", "", "data directory")
	db := fs.String("db", "", "metadata store URL (default sqlite:DATA/navette.db)")
	email := fs.String("email", "", "the user's e-mail address")
	label := fs.String("label", "cli", "what the token is for")
	ttl := fs.Duration("ttl", 0, "lifetime (0: no expiry)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *email == "" {
		return usageError("--email is required")
	}
	if *ttl < 0 {
		return usageError("--ttl must not be negative")
	}
	a, err := openData(*data, *db, "")
	if err != nil {
		return err
	}
	defer a.Close()
	secret, t, err := a.Accounts.CreateToken(ctx, *email, *label, *ttl)
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
	fs := newFlagSet(env, "admin key rotate", "--data DIR")
	data := fs.String("data", "", "data directory")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	a, err := openData(*data, "", "")
	if err != nil {
		return err
	}
	defer a.Close()
	id, err := a.Keys.Rotate()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "new active key-encryption key %s; existing keys stay usable\n", id)
	return nil
}
