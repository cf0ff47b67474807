package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"navette/api"
)

func init() {
	adminCommands["request list"] = adminRequestList
	adminCommands["request approve"] = adminRequestReview(true)
	adminCommands["request reject"] = adminRequestReview(false)
}

// adminRequestList lists the requests of the two-person rule, through the
// API: they are reviewed by a person, with their own token, never by the
// local operator.
func adminRequestList(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "admin request list", "[--state pending|approved|rejected|executed|expired|failed]\n\nLists, through the API with your own token, the requests of the two-person\nrule: what another admin asked, to approve or reject.")
	state := fs.String("state", "pending", "list only the requests in this `state` (empty: all)")
	_, c, err := cf.parseClient(fs, env, args, noArg)
	if err != nil {
		return err
	}
	l, err := c.Requests(ctx, *state)
	if err != nil {
		return err
	}
	if len(l.Requests) == 0 {
		fmt.Fprintln(env.Stdout, "No requests.")
		return nil
	}
	return writeRequestTable(env.Stdout, l.Requests)
}

// writeRequestTable prints requests of the two-person rule as an aligned
// table.
func writeRequestTable(w io.Writer, requests []api.Request) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tACTION\tREQUESTER\tEXPIRES (PARIS)\tPARAMS\tSHA-256")
	for _, r := range requests {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.State, r.Action, r.Requester,
			parisTime(r.ExpiresAt), printable(string(r.Params), 120), r.SHA256)
	}
	return tw.Flush()
}

// adminRequestReview returns the command that approves (approve) or
// rejects a request: it shows the request, then reviews exactly what it
// showed (its SHA-256, or the one given with --sha256).
func adminRequestReview(approve bool) func(ctx context.Context, env *Env, args []string) error {
	verb := "reject"
	if approve {
		verb = "approve"
	}
	return func(ctx context.Context, env *Env, args []string) error {
		fs, cf := newClientFlagSet(env, "admin request "+verb, "[--sha256 HEX] REQUEST_ID\n\nApproves or rejects, through the API with your own token, a request of the\ntwo-person rule made by another admin; it shows the request, then reviews\nexactly what it showed (or the parameters whose SHA-256 --sha256 gives).")
		sum := fs.String("sha256", "", "the SHA-256 of the parameters reviewed, as listed (default: those shown now)")
		id, c, err := cf.parseClient(fs, env, args, oneArg("one request id is required"))
		if err != nil {
			return err
		}
		r, err := c.Request(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "%s by %s: %s (sha256 %s)\n", r.Action, r.Requester, printable(string(r.Params), 200), r.SHA256)
		if *sum == "" {
			*sum = r.SHA256
		}
		done, err := c.ReviewRequest(ctx, r.ID, approve, *sum)
		if err != nil {
			return err
		}
		printReviewed(env, done)
		return nil
	}
}

func printReviewed(env *Env, r *api.Request) {
	fmt.Fprintf(env.Stdout, "request %s: %s\n", r.ID, r.State)
}
