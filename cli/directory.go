package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"navette/app"
	"navette/directory"
)

func init() {
	register("directory", "sync the users of a directory flow (directory help)", runDirectory)
}

const directoryUsage = `navette directory import --data DIR --kind lawyers [--dry-run] [--force] [--max-revoke 0.10] FILE
  --kind names the flow: lawyers (the national table), or any name with
  --partner-kind K and --map field=column,… (fields: id, last_name,
  first_name, org, email, status, updated) to read another professional table:
  of that table, only the columns --map names are read (id, last_name and
  email are required; without status, everyone listed is active).`

func runDirectory(ctx context.Context, env *Env, args []string) error {
	if len(args) < 1 || args[0] != "import" {
		return noSubcommand(env, "directory", directoryUsage, args)
	}
	fs := newFlagSet(env, "directory import", "--data DIR --kind NAME [--dry-run] [--force] FILE\n\nMakes the users of a directory match FILE, its complete listing (CSV): adds,\nupdates, revokes who is no longer listed active, restores who is listed\nagain, all in one transaction or nothing, and prints what changed. --dry-run\nprints it without applying.")
	open := storeFlags(fs)
	kind := fs.String("kind", "lawyers", "the flow's source name")
	partnerKind := fs.String("partner-kind", "", "the partners' profession, for flows other than lawyers")
	mapping := fs.String("map", "", "column names of the flow, field=column,…")
	dry := fs.Bool("dry-run", false, "print the changes without applying them")
	force := fs.Bool("force", false, "apply even if the flow revokes more than --max-revoke of the directory")
	maxRevoke := fs.Float64("max-revoke", directory.DefaultMaxRevokeShare, "largest share of the directory one import may revoke without --force")
	if err := parseFlags(fs, env, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("one flow file is required\n%s", directoryUsage)
	}
	m, err := flowMapping(*kind, *partnerKind, *mapping)
	if err != nil {
		return err
	}
	entries, err := readFlow(fs.Arg(0), m)
	if err != nil {
		return err
	}
	return applyFlow(ctx, env, open, m.Source, entries, directory.Options{DryRun: *dry, Force: *force, MaxRevokeShare: *maxRevoke})
}

// applyFlow applies the entries of the flow source to the directory of
// the platform open opens, as opts say, and prints the report: also that
// of a flow refused for revoking too many at once, which says who they
// are, before the refusal.
func applyFlow(ctx context.Context, env *Env, open func() (*app.App, error), source string, entries []directory.Entry, opts directory.Options) error {
	a, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := a.Directory.Apply(ctx, source, entries, opts)
	if rep == nil {
		return err
	}
	return errors.Join(err, rep.WriteText(env.Stdout))
}

// readFlow reads the entries of the flow file at path, its columns those
// of m.
func readFlow(path string, m directory.Mapping) ([]directory.Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the flow: %w", err)
	}
	defer f.Close()
	return directory.Parse(f, m)
}

// flowMapping returns the mapping of a flow: the lawyers' by default,
// renamed and remapped as asked; the columns of a flow other than the
// lawyers' given a spec are those it names alone.
func flowMapping(source, kind, spec string) (directory.Mapping, error) {
	m := directory.LawyersMapping()
	if source != "lawyers" {
		if kind == "" {
			return m, usageError("--partner-kind is required for a flow other than lawyers")
		}
		m.Source = source
	}
	if kind != "" {
		m.Kind = kind
	}
	if spec == "" {
		return m, nil
	}
	if source != "lawyers" {
		// Another table: only the columns --map names are read, not
		// those of the lawyers' table it would not have.
		for _, col := range mappingFields(&m) {
			*col = ""
		}
	}
	return m, remapColumns(&m, spec)
}

// remapColumns sets the columns of m that spec, --map's field=column,…,
// names.
func remapColumns(m *directory.Mapping, spec string) error {
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			return usageError("--map takes field=column pairs separated by commas, not %q", kv)
		}
		field, known := mappingFields(m)[strings.TrimSpace(k)]
		if !known {
			return usageError("--map: unknown field %q (id, last_name, first_name, org, email, status, updated)", k)
		}
		*field = strings.TrimSpace(v)
	}
	return nil
}

// mappingFields returns the columns of m that --map names, by name.
func mappingFields(m *directory.Mapping) map[string]*string {
	return map[string]*string{
		"id":         &m.ExternalID,
		"last_name":  &m.LastName,
		"first_name": &m.FirstName,
		"org":        &m.Org,
		"email":      &m.Email,
		"status":     &m.Status,
		"updated":    &m.Updated,
	}
}
