package deposit_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"
	"time"

	"navette"
	"navette/deposit"
	"navette/keyring"
)

// caseFixture is a court with a clerk, a colleague and their service
// mailbox, two lawyers of one bar and one of another, and an outsider.
type caseFixture struct {
	*fixture
	clerk, colleague, service           *navette.User
	lawyer, partner, otherBar, stranger *navette.User
}

func newCaseFixture(t *testing.T) *caseFixture {
	t.Helper()
	fx := newFixture(t)
	mac, err := keyring.OpenMAC(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	fx.svc.CaseKeys = mac
	ctx := context.Background()
	court := &navette.Court{ID: navette.NewID(), Code: "TJ-LYON", Name: "Tribunal judiciaire de Lyon", CreatedAt: fx.svc.Clock.Now()}
	if err := fx.svc.Meta.CreateCourt(ctx, court); err != nil {
		t.Fatal(err)
	}
	mk := func(email string, role navette.Role, courtID, org string) *navette.User {
		t.Helper()
		u := &navette.User{ID: navette.NewID(), Email: email, Name: email, Role: role, CourtID: courtID, Org: org, CreatedAt: fx.svc.Clock.Now()}
		if err := fx.svc.Meta.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	c := &caseFixture{fixture: fx}
	c.clerk = mk("clerk@justice.example", navette.RoleAgent, court.ID, "")
	c.colleague = mk("colleague@justice.example", navette.RoleAgent, court.ID, "")
	c.service = mk("greffe-correctionnel@justice.example", navette.RoleService, court.ID, "")
	for _, u := range []*navette.User{c.clerk, c.colleague} {
		if err := fx.svc.Meta.AddMember(ctx, &navette.Member{ServiceID: c.service.ID, UserID: u.ID, CreatedAt: fx.svc.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	c.lawyer = mk("lawyer@avocats.example", navette.RolePartner, "", "Barreau de Lyon")
	c.partner = mk("partner@avocats.example", navette.RolePartner, "", "barreau  de LYON")
	c.otherBar = mk("other@avocats.example", navette.RolePartner, "", "Barreau de Paris")
	c.stranger = mk("stranger@justice.example", navette.RoleAgent, "", "")
	return c
}

// send makes, uploads and submits a deposit of one small file.
func (c *caseFixture) send(t *testing.T, from *navette.User, ref string, to ...*navette.User) *deposit.View {
	t.Helper()
	c.svc.Clock.(*navette.FakeClock).Advance(time.Second)
	var emails []string
	for _, u := range to {
		emails = append(emails, u.Email)
	}
	v, err := c.svc.Create(context.Background(), from, deposit.Draft{Recipients: emails, Reference: ref})
	if err != nil {
		t.Fatal(err)
	}
	return c.submit(t, from, v)
}

func (c *caseFixture) submit(t *testing.T, from *navette.User, v *deposit.View) *deposit.View {
	t.Helper()
	ctx := context.Background()
	data := []byte("pièce " + v.ID)
	f, err := c.svc.StartFile(ctx, from, v.ID, "piece.pdf", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.svc.Write(ctx, from, f.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := c.svc.Finish(ctx, from, f.ID); err != nil {
		t.Fatal(err)
	}
	v, err = c.svc.Submit(ctx, from, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.CaseID == "" {
		t.Fatalf("deposit %s joined no case", v.ID)
	}
	return v
}

func TestCaseJoin(t *testing.T) {
	c := newCaseFixture(t)
	first := c.send(t, c.clerk, "Parquet 26/12345", c.lawyer)
	for _, tc := range []struct {
		name string
		from *navette.User
		ref  string
		to   *navette.User
		same bool
	}{
		{"same reference written otherwise", c.clerk, "PARQUET-26 12345", c.lawyer, true},
		{"a colleague of the same court", c.colleague, "parquet 26.12345", c.lawyer, true},
		{"a lawyer of the same bar", c.clerk, "Parquet 26/12345", c.partner, true},
		{"the lawyer writes to the court's mailbox", c.lawyer, "Parquet 26/12345", c.service, true},
		{"another reference", c.clerk, "Parquet 26/12346", c.lawyer, false},
		{"another bar", c.clerk, "Parquet 26/12345", c.otherBar, false},
		{"no court", c.stranger, "Parquet 26/12345", c.lawyer, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := c.send(t, tc.from, tc.ref, tc.to)
			if got := v.CaseID == first.CaseID; got != tc.same {
				t.Errorf("same case = %v, want %v", got, tc.same)
			}
		})
	}
}

func TestCaseVisibility(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	d1 := c.send(t, c.clerk, "RG 24/00042", c.lawyer)
	d2 := c.send(t, c.lawyer, "RG 24/00042", c.service)
	d3 := c.send(t, c.clerk, "RG 24/00042", c.partner)
	if d1.CaseID != d2.CaseID || d2.CaseID != d3.CaseID {
		t.Fatalf("cases %s %s %s, want one", d1.CaseID, d2.CaseID, d3.CaseID)
	}
	// A draft of the case, not yet submitted, joins nothing.
	draft, err := c.svc.Create(ctx, c.clerk, deposit.Draft{Recipients: []string{c.lawyer.Email}, Reference: "RG 24/00042"})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(k *deposit.Case) []string {
		var out []string
		for _, v := range k.Deposits {
			out = append(out, v.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		who  *navette.User
		want []string // newest first; nil: not found
	}{
		{"clerk", c.clerk, []string{d3.ID, d2.ID, d1.ID}}, // d2 through the mailbox
		{"colleague", c.colleague, []string{d2.ID}},
		{"lawyer", c.lawyer, []string{d2.ID, d1.ID}},
		{"partner", c.partner, []string{d3.ID}},
		{"other bar", c.otherBar, nil},
		{"stranger", c.stranger, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := c.svc.Case(ctx, tc.who, d1.CaseID)
			if tc.want == nil {
				if !navette.IsCode(err, navette.ENOTFOUND) {
					t.Fatalf("Case = %v, %v; want ENOTFOUND", k, err)
				}
				_, miss := c.svc.Case(ctx, tc.who, navette.NewID())
				if navette.ErrorMessage(err) != navette.ErrorMessage(miss) {
					t.Errorf("a foreign case answers %q, a missing one %q", err, miss)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(k); !equal(got, tc.want) {
				t.Errorf("deposits %v, want %v", got, tc.want)
			}
			list, err := c.svc.Cases(ctx, tc.who, "rg 24 00042")
			if err != nil || len(list) != 1 || list[0].ID != d1.CaseID || !equal(ids(list[0]), tc.want) {
				t.Errorf("Cases(q) = %v, %v", list, err)
			}
			if list, err := c.svc.Cases(ctx, tc.who, "RG 99"); err != nil || len(list) != 0 {
				t.Errorf("Cases(other q) = %v, %v; want none", list, err)
			}
		})
	}
	if _, err := c.svc.Case(ctx, c.clerk, "not-an-id"); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("Case(malformed id) = %v, want ENOTFOUND", err)
	}
	if v, err := c.svc.Get(ctx, c.clerk, draft.ID); err != nil || v.CaseID != "" {
		t.Errorf("draft case = %q, %v; want none", v.CaseID, err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReply(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	d1 := c.send(t, c.clerk, "RG 24/00042", c.lawyer)
	r1, err := c.svc.Reply(ctx, c.lawyer, d1.ID, deposit.Answer{Message: "Mes observations"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r1.Recipients) != 1 || r1.Recipients[0].UserID != c.service.ID || r1.CaseID != d1.CaseID || r1.Reference != "RG 24/00042" || r1.State != navette.DepositDraft {
		t.Fatalf("reply to %v in case %s, reference %q, %s; want a draft to the clerk's mailbox in case %s", r1.Recipients, r1.CaseID, r1.Reference, r1.State, d1.CaseID)
	}
	r1 = c.submit(t, c.lawyer, r1)
	if r1.CaseID != d1.CaseID {
		t.Fatalf("submitted reply in case %s, want %s", r1.CaseID, d1.CaseID)
	}
	// The colleague, a member of the mailbox, answers the lawyer (on behalf
	// of the mailbox, by default).
	r2, err := c.svc.Reply(ctx, c.colleague, r1.ID, deposit.Answer{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r2.Recipients) != 1 || r2.Recipients[0].UserID != c.lawyer.ID || r2.CaseID != d1.CaseID {
		t.Fatalf("reply to %v in case %s; want the lawyer, case %s", r2.Recipients, r2.CaseID, d1.CaseID)
	}
	evs, err := c.svc.Meta.Events(ctx, navette.EventFilter{DepositID: r2.ID})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs {
		found = found || (e.Type == navette.EventDepositReply && e.Detail == r1.ID)
	}
	if !found {
		t.Errorf("no %s event naming %s: %v", navette.EventDepositReply, r1.ID, evs)
	}

	// A partner may not answer an agent in person where they could not
	// deposit.
	d3 := c.send(t, c.stranger, "Expertise 7", c.lawyer)
	for _, tc := range []struct {
		name string
		who  *navette.User
		id   string
		code string
	}{
		{"partner to an agent in person", c.lawyer, d3.ID, navette.EFORBIDDEN},
		{"the sender", c.clerk, d1.ID, navette.EFORBIDDEN},
		{"not a recipient", c.otherBar, d1.ID, navette.ENOTFOUND},
		{"unknown", c.lawyer, navette.NewID(), navette.ENOTFOUND},
	} {
		if _, err := c.svc.Reply(ctx, tc.who, tc.id, deposit.Answer{}); !navette.IsCode(err, tc.code) {
			t.Errorf("%s: Reply = %v, want %s", tc.name, err, tc.code)
		}
	}
	c.svc.PartnersToAgents = true
	r3, err := c.svc.Reply(ctx, c.lawyer, d3.ID, deposit.Answer{})
	if err != nil || r3.Recipients[0].UserID != c.stranger.ID {
		t.Fatalf("with partners to agents allowed, Reply = %v, %v", r3, err)
	}
}

func TestExtend(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	c.svc.Limits = navette.Limits{MaxRetentionDays: 30}
	c.svc.DefaultRetentionDays = 7
	d := c.send(t, c.clerk, "RG 1", c.lawyer, c.service)
	expires := d.ExpiresAt
	for _, tc := range []struct {
		name string
		who  *navette.User
		days int
		code string
	}{
		{"zero days", c.clerk, 0, navette.EINVALID},
		{"past the ceiling", c.clerk, 24, navette.EINVALID},
		{"a recipient", c.lawyer, 3, navette.EFORBIDDEN},
		{"a stranger", c.stranger, 3, navette.ENOTFOUND},
	} {
		if _, err := c.svc.Extend(ctx, tc.who, d.ID, tc.days); !navette.IsCode(err, tc.code) {
			t.Errorf("%s: Extend = %v, want %s", tc.name, err, tc.code)
		}
	}
	v, err := c.svc.Extend(ctx, c.clerk, d.ID, 23) // 7 + 23 = 30 days from creation
	if err != nil {
		t.Fatal(err)
	}
	if want := expires.Add(23 * 24 * time.Hour); !v.ExpiresAt.Equal(want) || v.RetentionDays != 30 {
		t.Errorf("expires %v after %d days, want %v after 30", v.ExpiresAt, v.RetentionDays, want)
	}
	if _, err := c.svc.Extend(ctx, c.clerk, d.ID, 1); !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("Extend past the ceiling = %v, want EINVALID", err)
	}
	ns, err := c.svc.Meta.Notices(ctx, navette.NoticeFilter{DepositID: d.ID})
	if err != nil {
		t.Fatal(err)
	}
	told := map[string]bool{}
	for _, n := range ns {
		if n.Kind == navette.NoticeExtended {
			told[n.UserID] = true
		}
	}
	if !told[c.lawyer.ID] || !told[c.service.ID] || len(told) != 2 {
		t.Errorf("extension notices to %v, want the lawyer and the mailbox", told)
	}
	evs, err := c.svc.Meta.Events(ctx, navette.EventFilter{DepositID: d.ID})
	if err != nil {
		t.Fatal(err)
	}
	var ext *navette.Event
	for i := range evs {
		if evs[i].Type == navette.EventDepositExtended {
			ext = &evs[i]
		}
	}
	if ext == nil || ext.Detail != v.ExpiresAt.UTC().Format(time.RFC3339) || len(ext.Claims) == 0 {
		t.Fatalf("extension event %+v; want one with the new expiry and claims", ext)
	}
	c.svc.Clock.(*navette.FakeClock).Advance(31 * 24 * time.Hour)
	if _, err := c.svc.Extend(ctx, c.clerk, d.ID, 1); !navette.IsCode(err, navette.EGONE) {
		t.Errorf("Extend after expiry = %v, want EGONE", err)
	}
}

func TestCaseBundle(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	d1 := c.send(t, c.clerk, "RG 24/00042", c.lawyer)
	d2 := c.send(t, c.lawyer, "rg 24-00042", c.service)
	if _, err := c.svc.CaseBundle(ctx, c.otherBar, d1.CaseID); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Fatalf("a stranger's bundle: %v, want ENOTFOUND", err)
	}
	b, err := c.svc.CaseBundle(ctx, c.lawyer, d1.CaseID)
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
	content := map[string][]byte{}
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		content[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	wantNames := []string{d1.CreatedAt.UTC().Format("2006-01-02") + " RG 24_00042 (" + d1.ID[:8] + ")/piece.pdf",
		d2.CreatedAt.UTC().Format("2006-01-02") + " rg 24-00042 (" + d2.ID[:8] + ")/piece.pdf",
		deposit.ManifestCSV, deposit.ManifestJSON}
	if !equal(names, wantNames) {
		t.Fatalf("archive holds %q, want %q", names, wantNames)
	}
	var m struct {
		Case  string `json:"case"`
		Files []struct {
			Path, SHA256, Direction string
			DepositID               string `json:"deposit_id"`
			Size                    int64
		} `json:"files"`
	}
	if err := json.Unmarshal(content[deposit.ManifestJSON], &m); err != nil || m.Case != d1.CaseID || len(m.Files) != 2 {
		t.Fatalf("manifest %s: %v", content[deposit.ManifestJSON], err)
	}
	for i, f := range m.Files {
		data := content[f.Path]
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(data)) != f.Size || !bytes.Equal(data, []byte("pièce "+f.DepositID)) {
			t.Errorf("file %s: %d bytes, SHA-256 %x; manifest says %d, %s", f.Path, len(data), sum, f.Size, f.SHA256)
		}
		if want := []string{"received", "sent"}[i]; f.Direction != want {
			t.Errorf("file %s: direction %s, want %s", f.Path, f.Direction, want)
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(content[deposit.ManifestCSV])).ReadAll()
	if err != nil || len(rows) != 3 || rows[1][0] != m.Files[0].Path || rows[2][2] != m.Files[1].SHA256 {
		t.Errorf("CSV manifest %q, %v", rows, err)
	}
	// The lawyer's download of the clerk's deposit was recorded.
	v, err := c.svc.Get(ctx, c.clerk, d1.ID)
	if err != nil || v.Recipients[0].FirstDownloadAt.IsZero() {
		t.Errorf("the bundle's download is not recorded: %+v, %v", v.Recipients, err)
	}
}
