package cli

import (
	"bytes"
	"context"
	"testing"

	"navette/app"
	"navette/directory"
)

// TestDemoKeepsImportedLawyers: starting the demo again on its data keeps
// the lawyers imported since (README's directory import, the sample
// flow): its own flow of four, forced at each start, revoked every other
// lawyer and mailed each of them that their access was withdrawn.
func TestDemoKeepsImportedLawyers(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(app.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := seedDemo(ctx, a); err != nil {
		t.Fatal(err)
	}
	users, err := a.Meta.UsersBySource(ctx, "lawyers")
	if err != nil || len(users) == 0 {
		t.Fatalf("the demo's lawyers: %d, %v", len(users), err)
	}
	entries, err := directory.Parse(bytes.NewReader(append(demoLawyers, "200001;Roy;Anne;Lyon;anne.roy@avocat.example;actif;2026-11-20\n"...)), directory.LawyersMapping())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Directory.Apply(ctx, "lawyers", entries, directory.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := seedDemo(ctx, a); err != nil {
		t.Fatal(err)
	}
	u, err := a.Meta.UserByEmail(ctx, "anne.roy@avocat.example")
	if err != nil || u.Disabled {
		t.Errorf("an imported lawyer after the demo's second start: %+v, %v", u, err)
	}
}
