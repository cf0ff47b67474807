package cli

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"time"

	"navette"
	"navette/account"
	"navette/app"
	"navette/directory"
)

func init() {
	register("demo", "run the server with a demo court, agent and lawyer", runDemo)
}

// demoLawyers is the demo's flow of the national table of lawyers.
//
//go:embed demo-lawyers.csv
var demoLawyers []byte

// demoUsers are the ministry staff of the demo; its lawyers come from
// demoLawyers.
var demoUsers = []struct {
	email, name string
	role        navette.Role
	member      bool // of the demo service
}{
	{"claire.martin@justice.example", "Claire Martin", navette.RoleAgent, true},
	{"paul.bernard@justice.example", "Paul Bernard", navette.RoleCourtAdmin, true},
	{"admin@justice.example", "Administrateur de la plateforme", navette.RoleAdmin, false},
	{"audit@justice.example", "Inspection des services judiciaires", navette.RoleAuditor, false},
}

// demoLawyer is the lawyer the demo's walkthrough uses.
const demoLawyer = "stephane.durand@avocat.example"

// demoService is the demo court's service mailbox.
const demoService = "greffe-correctionnel.tj-amiens@justice.example"

// seedDemo makes the demo court, its service, its staff and its lawyers;
// it may run again on the same data.
func seedDemo(ctx context.Context, a *app.App) error {
	c, err := demoCourt(ctx, a)
	if err != nil {
		return err
	}
	svc, err := demoServiceMailbox(ctx, a, c.ID)
	if err != nil {
		return err
	}
	for _, du := range demoUsers {
		nu := account.NewUser{Email: du.email, Name: du.name, Role: du.role}
		if courtRole(du.role) {
			nu.CourtID = c.ID
		}
		if err := seedDemoUser(ctx, a, nu, du.member, svc.ID); err != nil {
			return err
		}
	}
	entries, err := demoFlow(ctx, a)
	if err != nil {
		return err
	}
	_, err = a.Directory.Apply(ctx, "lawyers", entries, directory.Options{Force: true})
	return err
}

// demoFlow is the demo's flow of lawyers, and every other lawyer the
// directory holds as it holds them: a start of the demo sets its own
// lawyers again, and keeps those imported since (README's directory
// import) as they are rather than revoking them.
func demoFlow(ctx context.Context, a *app.App) ([]directory.Entry, error) {
	entries, err := directory.Parse(bytes.NewReader(demoLawyers), directory.LawyersMapping())
	if err != nil {
		return nil, err
	}
	users, err := a.Meta.UsersBySource(ctx, "lawyers")
	if err != nil {
		return nil, err
	}
	own := make(map[string]bool, len(entries))
	for _, e := range entries {
		own[e.ExternalID] = true
	}
	for _, u := range users {
		if !own[u.ExternalID] {
			entries = append(entries, directory.Entry{ExternalID: u.ExternalID, Email: u.Email, Name: u.Name, Org: u.Org,
				Status: u.DirectoryStatus, Active: !u.Disabled, Role: u.Role, Kind: u.Kind})
		}
	}
	return entries, nil
}

// courtRole reports whether people of role r belong to a court: staff,
// but for the platform's admins and auditors.
func courtRole(r navette.Role) bool {
	return r.Staff() && r != navette.RoleAdmin && r != navette.RoleAuditor
}

// demoCourt gives the demo court, made on the first run.
func demoCourt(ctx context.Context, a *app.App) (*navette.Court, error) {
	c, err := a.Meta.CourtByCode(ctx, "TJ-AMIENS")
	if navette.IsCode(err, navette.ENOTFOUND) {
		c, err = a.Accounts.CreateCourt(ctx, operator, "TJ-AMIENS", "Tribunal judiciaire d'Amiens")
	}
	return c, err
}

// demoServiceMailbox gives the demo court's service mailbox, made on the
// first run.
func demoServiceMailbox(ctx context.Context, a *app.App, courtID string) (*navette.User, error) {
	svc, err := a.Meta.UserByEmail(ctx, demoService)
	if navette.IsCode(err, navette.ENOTFOUND) {
		svc, err = a.Accounts.CreateService(ctx, operator, courtID, "Greffe correctionnel", demoService)
	}
	return svc, err
}

// seedDemoUser creates one demo user, a member of the service svcID when
// member says so; a user made by an earlier run is left as it is.
func seedDemoUser(ctx context.Context, a *app.App, nu account.NewUser, member bool, svcID string) error {
	u, err := a.Accounts.Create(ctx, nu)
	if navette.IsCode(err, navette.ECONFLICT) {
		return nil
	} else if err != nil {
		return err
	}
	if !member {
		return nil
	}
	return a.Accounts.AddMember(ctx, operator, svcID, u.ID)
}

func runDemo(ctx context.Context, env *Env, args []string) error {
	var f serverFlags
	fs := newFlagSet(env, "demo", "[--data DIR] [--addr HOST:PORT]\n\nRuns the server with a demo court, its service mailbox, and one user of each\nrole, and prints an API token for each; e-mails go to the local outbox\n(/dev/mail). Not for production.")
	f.define(fs, "navette-demo", true)
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	cfg, err := f.config(env)
	if err != nil {
		return err
	}
	cfg.StaffCodes = true
	a, closeApp, err := listen(cfg)
	if err != nil {
		return err
	}
	defer closeApp()
	if err := seedDemo(ctx, a); err != nil {
		return err
	}
	people := []string{demoUsers[0].email, demoLawyer, demoUsers[1].email, demoUsers[2].email, demoUsers[3].email}
	tokens, err := demoTokens(ctx, a, people)
	if err != nil {
		return err
	}
	w := env.Stdout
	fmt.Fprintf(w, "navette demo — serving %s, data in %s\n\n", a.URL(), cfg.DataDir)
	fmt.Fprintf(w, "Demo court: tribunal judiciaire d'Amiens; its service mailbox %s.\n", demoService)
	fmt.Fprintf(w, "Sign in at %s with any address below: the code arrives at /dev/mail, then enrol an authenticator app.\n\n", a.URL())
	if err := printDemoPeople(ctx, w, a, people, tokens); err != nil {
		return err
	}
	fmt.Fprintf(w, `
Try it from another terminal (tokens are valid 7 days; restarting the demo prints new ones):

  export NAVETTE_SERVER=%s
  # the clerk sends a case file to the lawyer
  NAVETTE_TOKEN=%s navette send --to stephane.durand@avocat.example --ref "Parquet 26/12345" --retention 7 README.md
  # the lawyer lists and fetches it
  NAVETTE_TOKEN=%s navette inbox
  NAVETTE_TOKEN=%s navette get --out ./received DEPOSIT_ID
  # the lawyer answers to the court's service mailbox
  NAVETTE_TOKEN=%s navette send --to `+demoService+` --ref "Parquet 26/12345" go.mod

(with "go run ./cmd/navette" in place of "navette" if it is not installed)
API description: %s/api/v1/openapi.json
`, a.URL(), tokens[demoUsers[0].email], tokens[demoLawyer], tokens[demoLawyer], tokens[demoLawyer], a.URL())
	printDemoServices(w, cfg, a.URL())
	return a.Run(ctx)
}

// demoTokens creates a week's API token for each of people, by address.
func demoTokens(ctx context.Context, a *app.App, people []string) (map[string]string, error) {
	tokens := map[string]string{}
	for _, email := range people {
		tok, _, err := a.Accounts.CreateToken(ctx, email, "demo", 7*24*time.Hour)
		if err != nil {
			return nil, err
		}
		tokens[email] = tok
	}
	return tokens, nil
}

// printDemoPeople lists the demo's people with their role and token.
func printDemoPeople(ctx context.Context, w io.Writer, a *app.App, people []string, tokens map[string]string) error {
	for _, email := range people {
		u, err := a.Meta.UserByEmail(ctx, email)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-12s %-32s token %s\n", u.Role, email, tokens[email])
	}
	return nil
}

// printDemoServices says how the demo scans files and where its e-mails go.
func printDemoServices(w io.Writer, cfg app.Config, url string) {
	if cfg.Clamd == "" {
		fmt.Fprintf(w, "Antivirus: off (no --clamd): files are offered marked \"non analysé par un antivirus\". With clamd installed: --clamd unix:/run/clamav/clamd.ctl\n")
	} else {
		fmt.Fprintf(w, "Antivirus: clamd at %s scans every file before it is offered\n", cfg.Clamd)
	}
	if cfg.SMTP == "" {
		if cfg.DevMail {
			fmt.Fprintf(w, "E-mails the platform sends: %s/dev/mail (or: navette mail ls --data %s)\n", url, cfg.DataDir)
		} else {
			fmt.Fprintf(w, "E-mails the platform sends: navette mail ls --data %s\n", cfg.DataDir)
		}
	}
}
