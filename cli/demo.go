package cli

import (
	"context"
	"fmt"
	"time"

	"navette"
	"navette/app"
)

func init() {
	register("demo", "run the server with a demo court, agent and lawyer", runDemo)
}

// demoUsers are the people of the demo: a clerk of a court and a lawyer.
var demoUsers = []struct {
	email, name string
	role        navette.Role
}{
	{"claire.martin@justice.example", "Claire Martin (greffe correctionnel, TJ Amiens)", navette.RoleAgent},
	{"stephane.durand@avocat.example", "Maître Stéphane Durand (barreau d'Amiens)", navette.RolePartner},
	{"admin@justice.example", "Administrateur de la plateforme", navette.RoleAdmin},
}

func runDemo(ctx context.Context, env *Env, args []string) error {
	var f serverFlags
	fs := newFlagSet(env, "demo", "[--data DIR] [--addr HOST:PORT]")
	f.define(fs, "navette-demo", true)
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	cfg, err := f.config(env)
	if err != nil {
		return err
	}
	a, err := app.Listen(cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	tokens := map[string]string{}
	for _, u := range demoUsers {
		if _, err := a.Accounts.CreateUser(ctx, u.email, u.name, u.role); err != nil && !navette.IsCode(err, navette.ECONFLICT) {
			return err
		}
		tok, _, err := a.Accounts.CreateToken(ctx, u.email, "demo", 7*24*time.Hour)
		if err != nil {
			return err
		}
		tokens[u.email] = tok
	}
	w := env.Stdout
	fmt.Fprintf(w, "navette demo — serving %s, data in %s\n\n", a.URL(), cfg.DataDir)
	fmt.Fprintf(w, "Demo court: tribunal judiciaire d'Amiens, greffe correctionnel.\n\n")
	for _, u := range demoUsers {
		fmt.Fprintf(w, "  %-8s %-32s token %s\n", u.role, u.email, tokens[u.email])
	}
	fmt.Fprintf(w, `
Try it from another terminal (tokens are valid 7 days; restarting the demo prints new ones):

  export NAVETTE_SERVER=%s
  # the clerk sends a case file to the lawyer
  NAVETTE_TOKEN=%s navette send --to stephane.durand@avocat.example --ref "Parquet 26/12345" --retention 7 README.md
  # the lawyer lists and fetches it
  NAVETTE_TOKEN=%s navette inbox
  NAVETTE_TOKEN=%s navette get --out ./received DEPOSIT_ID

(with "go run ./cmd/navette" in place of "navette" if it is not installed)
API description: %s/api/v1/openapi.json
`, a.URL(), tokens[demoUsers[0].email], tokens[demoUsers[1].email], tokens[demoUsers[1].email], a.URL())
	if cfg.SMTP == "" {
		if cfg.DevMail {
			fmt.Fprintf(w, "E-mails the platform sends: %s/dev/mail (or: navette mail ls --data %s)\n", a.URL(), cfg.DataDir)
		} else {
			fmt.Fprintf(w, "E-mails the platform sends: navette mail ls --data %s\n", cfg.DataDir)
		}
	}
	return a.Run(ctx)
}
