package pdf

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"

	"navette"
)

// at is a winter date: Paris is UTC+1.
var at = time.Date(2026, 12, 5, 13, 8, 44, 123456000, time.UTC)

// realistic returns an attestation of kind with long names, accents, ten
// files and a long reference.
func realistic(kind string) *Attestation {
	a := &Attestation{
		Kind:      kind,
		ID:        "rcp_01JEXAMPLE7Q9Z3V5W8Y2K4M6N",
		IssuedAt:  at.Add(2 * time.Second),
		Operator:  "Ministère de la Justice — Tribunal judiciaire de Saint-Étienne-du-Rouvray",
		Platform:  "navette",
		DepositID: "dep_01JEXAMPLEQ4R7T9V2X5Z8B3D6F",
		Reference: "RG n° 24/01234 — Procédure « Société Générale d'Équipements Électriques c/ Établissements Lefèvre-Dupré & Fils » — pièces complémentaires n° 12 à 47",
		CreatedAt: at.Add(-72 * time.Hour),
		ExpiresAt: at.Add(27 * 24 * time.Hour),
		Sender:    &Party{Name: "Maître Anne-Sophie de La Rochefoucauld-Béranger", Email: "anne-sophie.delarochefoucauld-beranger@cabinet-larochefoucauld-avocats.fr", Org: "Cabinet La Rochefoucauld & Associés"},
		Recipients: []Party{
			{Name: "Greffe du tribunal judiciaire", Email: "greffe.tj-saint-etienne-du-rouvray@justice.fr", Kind: "service"},
			{Name: "Éléonore Lefèvre-Dupré", Email: "eleonore.lefevre@example.fr", Kind: "person"},
		},
		By:        &Party{Name: "François-Xavier Œhlenschläger", Email: "fx.oehlenschlaeger@justice.fr", Auth: &Auth{Method: "code+totp", At: at.Add(-9 * time.Minute)}},
		For:       &Party{Name: "Greffe du tribunal judiciaire", Email: "greffe.tj-saint-etienne-du-rouvray@justice.fr", Kind: "service"},
		Antivirus: "ClamAV 1.4.6/27000/Thu Dec  4 09:21:01 2026",
		Checkpoint: Checkpoint{
			Origin:   "navette.justice.fr/navette-journal",
			Size:     1235,
			RootHash: "qL3mJ7s1Yc0Xz0m1Vh0p2aJ2Nq8T9v3m3q1eK6b1x0U=",
			KeyName:  "navette.justice.fr/navette-journal",
			KeyHash:  "8c1d2e3f",
		},
		Time:    TimeSource{TSA: "CN=Horodatage Qualifié Test,O=Autorité de Test,C=FR", Time: at.Add(30 * time.Second), Serial: "505517544986007604493513788933185912036953731343", Chained: true},
		KeysURL: "https://navette.justice.fr/api/v1/journal/keys",
		JSON:    []byte(`{"format":"navette-receipt/v1","id":"rcp_01JEXAMPLE7Q9Z3V5W8Y2K4M6N","kind":"` + kind + `","claims":"{\"v\":1,\"reference\":\"RG n° 24/01234 — « test »\"}"}` + "\n"),
	}
	names := []string{
		"Conclusions récapitulatives d'appel n° 3 — version définitive signée.pdf",
		"Pièce 12 - Procès-verbal de constat d'huissier du 14 février 2026.pdf",
		"Pièce 13 - Expertise judiciaire (rapport définitif, annexes A à F).pdf",
		"Bordereau_de_communication_de_pièces_numérotées_de_12_à_47_inclus_version_corrigée.pdf",
		"Pièce 14 - Courriel.eml",
		"Pièce 15 - Photographies du chantier (été 2025).zip",
		"Pièce 16 - Facture n° FA-2025-000123.pdf",
		"Pièce 17 - Attestation de témoin (art. 202 CPC).pdf",
		"Pièce 18 - Plan cadastral.tiff",
		"Pièce 19 - Relevé bancaire — janvier à décembre 2025.xlsx",
	}
	for i, n := range names {
		sum := sha256.Sum256([]byte(n))
		check := "aucun virus détecté par l'antivirus"
		if i == 4 {
			check = "non analysé par l'antivirus : chiffré"
		}
		a.Files = append(a.Files, File{Name: n, Size: int64(i+1) * 1234567 * int64(i*i+1), SHA256: hex.EncodeToString(sum[:]), Check: check})
	}
	a.Events = []Event{{Index: 1234, Time: at, Type: eventType(kind)}}
	if kind == KindUnclaimed {
		a.NotFetchedBy = []Party{{Name: "Huissier", Email: "huissier@etude.example"}}
		a.PartlyFetchedBy = []Partial{{Party: Party{Name: "Me Durand", Email: "durand@avocat.example", Kind: "person"}, Fetched: []int{1}, NotFetched: []int{2, 3, 4, 5, 6, 7, 8, 9, 10}}}
	}
	return a
}

func eventType(kind string) string {
	return map[string]string{
		KindDeposited: "deposit.submitted", KindAvailable: "deposit.available", KindNotified: "notice.sent",
		KindOpened: "deposit.opened", KindDownloaded: "file.downloaded", KindUnclaimed: "deposit.expired",
		KindRevoked: "deposit.revoked", KindPurged: "deposit.purged",
	}[kind]
}

// poppler returns the path of a poppler-utils tool, failing the test if it
// is missing.
func poppler(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is missing: install poppler-utils (apt-get install poppler-utils): %v", name, err)
	}
	return p
}

func render(t *testing.T, a *Attestation) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(t.Context(), &buf, a); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "attestation.pdf")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("NAVETTE_PDF_KEEP"); dir != "" { // to look at the layout during development
		os.WriteFile(filepath.Join(dir, a.Kind+".pdf"), buf.Bytes(), 0o644)
	}
	return file
}

// text returns the PDF's text in content order, white space collapsed.
func text(t *testing.T, file string) string {
	t.Helper()
	out, err := exec.Command(poppler(t, "pdftotext"), "-raw", "-enc", "UTF-8", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func TestWrite(t *testing.T) {
	for _, kind := range []string{KindDeposited, KindAvailable, KindNotified, KindOpened, KindDownloaded, KindUnclaimed, KindRevoked, KindPurged} {
		t.Run(kind, func(t *testing.T) {
			a := realistic(kind)
			file := render(t, a)
			txt := text(t, file)
			flat := strings.Join(strings.Fields(txt), "")
			for _, want := range []string{
				titles[kind],
				"Référence du dossier " + a.Reference,
				"05/12/2026 14:08:44 (UTC+01:00)", // the event, Paris
				"2026-12-05 13:08:44 UTC",         // the event, UTC
				"05/12/2026 14:09:14 (UTC+01:00)", // the TSA's time
				"Émise le 05/12/2026 14:08:46 (UTC+01:00)",
				"vendredi 1er janvier 2027 à 14:08:44 (heure de Paris)",
				"François-Xavier Œhlenschläger",
				"navette verify --key cles-journal.txt receipt.json",
				"https://navette.justice.fr/api/v1/journal/keys",
				"docs/proofs.md",
				a.Checkpoint.RootHash,
				"CN=Horodatage Qualifié Test,O=Autorité de Test,C=FR",
				"Analyse antivirus n° 1 : aucun virus détecté par l'antivirus",
				"n° 5 : non analysé par l'antivirus : chiffré",
				"Antivirus ClamAV 1.4.6/27000/Thu Dec 4 09:21:01 2026",
			} {
				if !strings.Contains(txt, want) {
					t.Errorf("text lacks %q:\n%s", want, txt)
				}
			}
			for _, f := range a.Files {
				if !strings.Contains(flat, f.SHA256) {
					t.Errorf("text lacks the SHA-256 of %s, %s", f.Name, f.SHA256)
				}
				if !strings.Contains(flat, strings.Join(strings.Fields(f.Name), "")) {
					t.Errorf("text lacks the file name %s", f.Name)
				}
			}
			if kind == KindUnclaimed {
				for _, want := range []string{"mis à la disposition des destinataires indiqués, et que ceux-ci ne les avaient pas téléchargés, ou seulement ceux indiqués",
					"Non retiré par Huissier <huissier@etude.example>", "Retiré en partie par Me Durand <durand@avocat.example>",
					"a téléchargé le fichier n° 1 ; n'a pas téléchargé les fichiers n° 2, 3, 4, 5, 6, 7, 8, 9, 10"} {
					if !strings.Contains(txt, want) {
						t.Errorf("text lacks %q:\n%s", want, txt)
					}
				}
			}
			sum := sha256.Sum256(a.JSON)
			if !strings.Contains(txt, hex.EncodeToString(sum[:])) {
				t.Errorf("text lacks the SHA-256 of the attached JSON")
			}
			if strings.Contains(txt, "sans référence") {
				t.Errorf("text says (sans référence)")
			}
			if got := detach(t, file); !bytes.Equal(got, a.JSON) {
				t.Errorf("attached JSON differs:\n got %q\nwant %q", got, a.JSON)
			}
		})
	}
}

// detach returns the one file attached to the PDF, named receipt.json.
func detach(t *testing.T, file string) []byte {
	t.Helper()
	pdfdetach := poppler(t, "pdfdetach")
	out, err := exec.Command(pdfdetach, "-list", file).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfdetach -list: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^1 embedded files\n1: receipt\.json\s*$`).Match(out) {
		t.Fatalf("pdfdetach -list:\n%s", out)
	}
	dst := filepath.Join(t.TempDir(), "receipt.json")
	if out, err := exec.Command(pdfdetach, "-save", "1", "-o", dst, file).CombinedOutput(); err != nil {
		t.Fatalf("pdfdetach -save: %v\n%s", err, out)
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWriteSparse renders a redacted attestation, without names,
// reference, files or time-stamping authority.
func TestWriteSparse(t *testing.T) {
	a := &Attestation{
		Kind:       KindOpened,
		ID:         "rcp_1",
		IssuedAt:   at,
		DepositID:  "dep_1",
		Events:     []Event{{Index: 0, Time: time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC), Type: "deposit.opened"}},
		Checkpoint: Checkpoint{Origin: "localhost/navette-journal", Size: 1, RootHash: "AAAA", KeyName: "localhost/navette-journal"},
		JSON:       []byte(`{}`),
	}
	txt := text(t, render(t, a))
	for _, want := range []string{
		"Attestation d'ouverture",
		"non communiquée dans ce reçu",
		"01/07/2026 10:00:00 (UTC+02:00)", // summer: Paris is UTC+2
		"2026-07-01 08:00:00 UTC",
		"les dates proviennent de l'horloge du serveur de la plateforme",
		"https://<adresse de la plateforme>/api/v1/journal/keys",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q:\n%s", want, txt)
		}
	}
}

func TestWriteInvalid(t *testing.T) {
	for _, a := range []*Attestation{
		{Kind: "signed", JSON: []byte("{}")},
		{Kind: KindDeposited},
	} {
		if err := Write(t.Context(), &bytes.Buffer{}, a); navette.ErrorCode(err) != navette.EINVALID {
			t.Errorf("%+v: got %v, want EINVALID", a, err)
		}
	}
}

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Dossier « Lefèvre » — n° 3", "Dossier « Lefèvre » — n° 3"},
		{"facture\u202Efdp.exe", "facture<U+202E>fdp.exe"},
		{"a\nb\tc", "a<U+000A>b<U+0009>c"},
		{"bad \xff byte", "bad <U+FFFD> byte"},
		{"trombone 📎", "trombone <U+1F4CE>"},
	} {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSize(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 octet"},
		{1, "1 octet"},
		{999, "999 octets"},
		{1234567, "1 234 567 octets\n(1,2 Mo)"},
		{5 << 30, "5 368 709 120 octets\n(5,4 Go)"},
	} {
		if got := strings.ReplaceAll(size(tc.n), "\u00a0", " "); got != tc.want {
			t.Errorf("size(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// FuzzWrite renders attestations whose texts come from outside (file
// names, reference, people's names): whatever they hold, Write succeeds.
// fuzz: 2000x
func FuzzWrite(f *testing.F) {
	f.Add("Pièce 12 — « constat ».pdf", "RG 24/01234", "Éléonore")
	f.Add("📎 emoji 𝔘𝔫𝔦𝔠𝔬𝔡𝔢.pdf", "漢字の参照", "\u202Eevil\x00\xff")
	f.Add(strings.Repeat("x", 2000), strings.Repeat("long ", 400), "")
	f.Fuzz(func(t *testing.T, name, reference, person string) {
		a := realistic(KindDownloaded)
		a.Files = a.Files[:1]
		a.Files[0].Name = name
		a.Reference = reference
		a.By.Name = person
		if err := Write(t.Context(), io.Discard, a); err != nil {
			t.Fatal(err)
		}
	})
}

// TestWriteLeavesFontsAlone renders attestations at once, as a server does,
// and checks that the embedded fonts are byte for byte what they were:
// fpdf writes into the font bytes it is handed, and a shared font written
// by one document while another reads it was a data race (CI, under the
// race detector) and a corrupted font for every later document.
func TestWriteLeavesFontsAlone(t *testing.T) {
	fonts := map[string][]byte{"goregular": goregular.TTF, "gobold": gobold.TTF, "goitalic": goitalic.TTF, "gomono": gomono.TTF}
	before := map[string][32]byte{}
	for name, b := range fonts {
		before[name] = sha256.Sum256(b)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			a := realistic(KindDownloaded)
			a.Checkpoint.RootHash = "ABCxyz0123 é —" // glyphs whose widths fpdf copies
			if err := Write(t.Context(), io.Discard, a); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for name, b := range fonts {
		if sha256.Sum256(b) != before[name] {
			t.Errorf("%s: the embedded font changed while rendering", name)
		}
	}
}

// BenchmarkWrite renders a realistic attestation (ten files, accents, long
// names), as the web route and the API do for each request.
func BenchmarkWrite(b *testing.B) {
	a := realistic(KindDeposited)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Write(b.Context(), &buf, a); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}

// TestWriteConcurrently renders two different attestations at once, as the
// server does for two requests, and checks that each shows its own facts,
// glyphs and receipt, and none of the other's.
func TestWriteConcurrently(t *testing.T) {
	one, two := realistic(KindDownloaded), realistic(KindRevoked)
	two.ID = "rcp_02KSECONDATTESTATION0000"
	two.Reference = "RG n° 25/09876 — Dossier « Ærøskøbing c/ Łódź »"
	two.By = &Party{Name: "Zoë Ångström-Núñez", Email: "zoe.angstrom@example.fr"}
	two.Checkpoint.RootHash = "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg="
	attestations := []*Attestation{one, two}
	out := make([][]byte, len(attestations))
	var wg sync.WaitGroup
	for i, a := range attestations {
		wg.Go(func() {
			var buf bytes.Buffer
			if err := Write(t.Context(), &buf, a); err != nil {
				t.Error(err)
			}
			out[i] = buf.Bytes()
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	shows := func(a *Attestation) []string {
		return []string{titles[a.Kind], "Attestation n° " + a.ID, "Référence du dossier " + a.Reference, a.By.Name, a.Checkpoint.RootHash}
	}
	for i, a := range attestations {
		file := filepath.Join(t.TempDir(), "attestation.pdf")
		if err := os.WriteFile(file, out[i], 0o600); err != nil {
			t.Fatal(err)
		}
		txt := text(t, file)
		for _, want := range shows(a) {
			if !strings.Contains(txt, want) {
				t.Errorf("%s: text lacks %q:\n%s", a.ID, want, txt)
			}
		}
		for _, other := range shows(attestations[1-i]) {
			if strings.Contains(txt, other) {
				t.Errorf("%s: text shows the other attestation's %q", a.ID, other)
			}
		}
		if got := detach(t, file); !bytes.Equal(got, a.JSON) {
			t.Errorf("%s: attached JSON differs:\n got %q\nwant %q", a.ID, got, a.JSON)
		}
	}
}

// BenchmarkWriteConcurrently renders attestations from 16 goroutines a
// processor, as many requests at once do, and reports the largest heap seen
// meanwhile.
func BenchmarkWriteConcurrently(b *testing.B) {
	a := realistic(KindDeposited)
	peak := watchHeap()
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		var buf bytes.Buffer
		for pb.Next() {
			buf.Reset()
			if err := Write(b.Context(), &buf, a); err != nil {
				b.Error(err)
			}
		}
	})
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
}

// watchHeap samples the bytes of heap objects, live or not yet swept, until
// the function it returns is called, which returns the largest seen.
func watchHeap() func() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		return peak
	}
}

// TestWriteGivesUpWhenTheRequestEnds holds every render slot, as that many
// attestations being drawn would: a Write waits for one, and returns an
// error wrapping its context's as soon as the context ends.
func TestWriteGivesUpWhenTheRequestEnds(t *testing.T) {
	for range cap(renders) {
		renders <- struct{}{}
	}
	defer func() {
		for range cap(renders) {
			<-renders
		}
	}()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Write(ctx, io.Discard, realistic(KindDeposited)) }()
	select {
	case err := <-done:
		t.Fatalf("Write returned %v while every render slot was held", err)
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Write: %v, want an error wrapping context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Write still waits for a render slot after its context ended")
	}
}

// TestSignInInFrench: the attestation names every sign-in method in
// French, those of a recovery code and of an identity provider's class
// included, which it printed as navette's codes ("code+recovery",
// "oidc:eidas2").
func TestSignInInFrench(t *testing.T) {
	at := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	for method, want := range map[string]string{
		"code+recovery": "code envoyé par courriel et code de récupération",
		"oidc:eidas2":   "fournisseur d'identité (OpenID Connect), classe eidas2",
		"oidc":          "fournisseur d'identité (OpenID Connect), session",
		"code+totp":     "code envoyé par courriel et second facteur (TOTP)",
	} {
		got := signIn(&Auth{Method: method, At: at, Level: "substantial"})
		if !strings.HasPrefix(got, want) || strings.Contains(got, method+",") {
			t.Errorf("%s: %q, want it to start with %q", method, got, want)
		}
	}
}

// TestRedactedUnclaimedNamesNobody: the attestation of non-collection that
// every recipient gets, the claims withheld, names no recipient: it said
// "les destinataires indiqués n'avaient pas retiré le dépôt", of none
// indicated, which a judge shown it by a lawyer who had fetched it all
// would read as said of that lawyer. It now says that some recipients had
// not fetched every file, that it does not say which, and that every
// recipient gets the same attestation.
func TestRedactedUnclaimedNamesNobody(t *testing.T) {
	a := realistic(KindUnclaimed)
	a.Reference, a.Sender, a.Recipients, a.By, a.For, a.NotFetchedBy, a.PartlyFetchedBy, a.Files, a.Antivirus = "", nil, nil, nil, nil, nil, nil, nil, ""
	got := text(t, render(t, a))
	for _, want := range []string{"des destinataires du dépôt n'avaient pas téléchargé tous ses fichiers", "ne dit pas lesquels", "chaque destinataire reçoit la même"} {
		if !strings.Contains(got, want) {
			t.Errorf("the attestation lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "les destinataires indiqués") {
		t.Errorf("the attestation speaks of recipients it does not indicate:\n%s", got)
	}
}

// TestLookAlikesShown: the attestation writes as their code the letters
// that pass for Latin ones in a word of Latin letters (a Cyrillic а in a
// name, a Greek ο in a file name), as navette verify does.
func TestLookAlikesShown(t *testing.T) {
	a := realistic(KindDownloaded)
	a.By.Name, a.Files = "Me Dur\u0430nd", a.Files[:1]
	a.Files[0].Name = "r\u03bfle.pdf"
	got := text(t, render(t, a))
	for _, want := range []string{"Dur<U+0430>nd", "r<U+03BF>le.pdf"} {
		if !strings.Contains(got, want) {
			t.Errorf("the attestation lacks %q:\n%s", want, got)
		}
	}
}
