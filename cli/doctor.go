package cli

import (
	"context"
	"errors"
	"io"

	"navette/doctor"
)

func init() {
	register("doctor", "check a deployment and tell where its data lives and what it talks to", runDoctor)
}

// errDoctorFailed makes doctor exit 1 once its report is written.
var errDoctorFailed = errors.New("at least one check failed")

func runDoctor(ctx context.Context, env *Env, args []string) error {
	var f serverFlags
	fs := newFlagSet(env, "doctor", "--data DIR [the flags of serve] [--json]\n\nChecks a deployment with the configuration serve would use (flags, NAVETTE_*\nvariables, configuration file): its keys, database, blob store, clock and\nthe services it talks to, and says where its data lives. Exits 1 if a check\nfailed.")
	f.define(fs, "", false)
	asJSON := fs.Bool("json", false, "write the report as JSON")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	cfg, err := f.config(env)
	if err != nil {
		return err
	}
	return writeReport(env.Stdout, doctor.Run(ctx, cfg, doctor.Options{}), *asJSON)
}

// writeReport writes doctor's report r to w, as JSON or text, and fails
// with errDoctorFailed once it is written if a check failed.
func writeReport(w io.Writer, r *doctor.Report, asJSON bool) error {
	var err error
	if asJSON {
		err = r.WriteJSON(w)
	} else {
		err = r.WriteText(w)
	}
	if err != nil {
		return err
	}
	if r.Failed {
		return errDoctorFailed
	}
	return nil
}
