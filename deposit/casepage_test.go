package deposit_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"navette"
	"navette/deposit"
)

// testCaseDepositPages reads the case of more deposits than a case's page
// ever read before (deposit.MaxCaseDeposits), page by page: every deposit
// comes once, newest first; the cursor is checked; whoever sees nothing of
// the case gets ENOTFOUND.
func testCaseDepositPages(t *testing.T, c *casePagesFixture) {
	ctx := context.Background()
	caseID, want, n := c.big, c.bigDrafts, len(c.bigDrafts)
	var got []string
	seen := map[string]bool{}
	before, pages := "", 0
	var last *deposit.View
	for {
		k, err := c.svc.CaseAt(ctx, c.clerk, caseID, before, 200)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if k.ID != caseID || k.Sent != len(k.Deposits) || k.Received != 0 {
			t.Fatalf("page %d: case %s, %d sent, %d received, %d deposits", pages, k.ID, k.Sent, k.Received, len(k.Deposits))
		}
		for _, v := range k.Deposits {
			if seen[v.ID] {
				t.Fatalf("deposit %s on two pages", v.ID)
			}
			if last != nil && (v.CreatedAt.After(last.CreatedAt) || v.CreatedAt.Equal(last.CreatedAt) && v.ID > last.ID) {
				t.Fatalf("deposit %s (%v) after %s (%v): not newest first", v.ID, v.CreatedAt, last.ID, last.CreatedAt)
			}
			seen[v.ID], last = true, v
			got = append(got, v.ID)
		}
		if k.Next == "" {
			break
		}
		if len(k.Deposits) != 200 {
			t.Fatalf("page %d holds %d deposits and has a next one", pages, len(k.Deposits))
		}
		before = k.Next
	}
	if len(got) != n || pages != (n+199)/200 {
		t.Fatalf("%d deposits in %d pages, want %d in %d", len(got), pages, n, (n+199)/200)
	}
	for _, id := range want {
		if !seen[id] {
			t.Fatalf("deposit %s missing", id)
		}
	}
	if k, err := c.svc.Case(ctx, c.clerk, caseID); err != nil || len(k.Deposits) != 50 || k.Next == "" {
		t.Fatalf("Case: %v; want the first 50 deposits and a next page", err)
	}

	for _, tc := range []struct {
		name   string
		actor  *navette.User
		before string
		code   string
	}{
		{"a recipient of drafts only", c.lawyer, "", navette.ENOTFOUND},
		{"a stranger", c.stranger, "", navette.ENOTFOUND},
		{"a stranger with a cursor", c.stranger, "1." + navette.NewID(), navette.ENOTFOUND},
		{"a cursor that is not one", c.clerk, "x", navette.EINVALID},
	} {
		if _, err := c.svc.CaseAt(ctx, tc.actor, caseID, tc.before, 0); !navette.IsCode(err, tc.code) {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
}

// TestCaseBundlePages writes the bundle of a case of more deposits than
// the bundle reads at a time: every file of every page is in it, oldest
// first, and in its manifest.
func TestCaseBundlePages(t *testing.T) {
	deposit.SetBundlePage(t, 3)
	c := newCaseFixture(t)
	ctx := context.Background()
	var want []string
	for range 7 {
		v := c.send(t, c.clerk, "RG 24/00077", c.lawyer)
		want = append(want, v.CreatedAt.UTC().Format("2006-01-02")+" RG 24_00077 ("+v.ID[:8]+")/piece.pdf")
	}
	// A draft of the case on the first page: the clerk's own, no file.
	draft, err := c.svc.Reply(ctx, c.lawyer, c.send(t, c.clerk, "RG 24/00077", c.lawyer).ID, deposit.Answer{})
	if err != nil || draft.CaseID == "" {
		t.Fatalf("Reply: %v", err)
	}
	b, err := c.svc.CaseBundle(ctx, c.lawyer, draft.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := b.WriteTo(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var manifest []byte
	for _, f := range zr.File {
		if f.Name == deposit.ManifestJSON {
			rc, _ := f.Open()
			var mb bytes.Buffer
			mb.ReadFrom(rc)
			rc.Close()
			manifest = mb.Bytes()
		}
		names = append(names, f.Name)
	}
	if len(names) != 8+2 {
		t.Fatalf("archive holds %q, want 8 files and the manifests", names)
	}
	if !equal(names[:7], want[:7]) {
		t.Fatalf("archive holds %q, want %q first", names, want[:7])
	}
	var m struct {
		Files []struct{ Path string } `json:"files"`
	}
	if err := json.Unmarshal(manifest, &m); err != nil || len(m.Files) != 8 {
		t.Fatalf("manifest %s: %v", manifest, err)
	}
	for i, f := range m.Files {
		if f.Path != names[i] {
			t.Errorf("manifest line %d is %s, want %s", i, f.Path, names[i])
		}
	}
}
