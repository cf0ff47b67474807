package receipt

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// smallLog is a journal of a few downloads and one event without claims.
func smallLog(t testing.TB, seed byte) *testLog {
	l := newTestLog(t, seed)
	for i := range 5 {
		l.addDownload(i)
	}
	l.add(Event{Time: Time{time.Date(2026, 12, 5, 13, 10, 0, 0, time.UTC)}, Type: "deposit.opened", ActorID: "lawyer", DepositID: "dep1", Detail: "r1"}, "")
	return l
}

// TestVerify: a receipt with a TSA token, one without, and a redacted one
// verify, through Marshal and Parse, and their texts say what they prove
// and what they do not.
func TestVerify(t *testing.T) {
	l := smallLog(t, 1)
	tsa := newTestTSA(t, true)
	for _, tc := range []struct {
		name         string
		r            *Receipt
		opts         *Options
		want, wantEN []string
		absent       []string
	}{
		{"tsa", l.receipt(2, 0, tsa, false), nil,
			[]string{"REÇU VALIDE — Téléchargement complet d'un fichier", "Référence : RG 26/00002 — «Dupont» & <Cie>", "pièce n°2.pdf — 1 002 octets — SHA-256 ",
				"Par : Me Durand <durand@avocats.test> (authentifié par code envoyé par courriel et second facteur (TOTP) le 5 décembre 2026 à 14:07:46 (heure de Paris)",
				"Date de l'événement : 5 décembre 2026 à 14:08:46 (heure de Paris) — 2026-12-05 13:08:46.123456 UTC",
				"état signé à 6 événements", "Horodatage : CN=Test TSA,O=navette tests — 5 décembre 2026 à 14:09:30 (heure de Paris) — 2026-12-05 13:09:30.000000 UTC (non vérifié)",
				"signé par un certificat au nom de « CN=Test TSA,O=navette tests » et daté du 5 décembre 2026 à 14:09:30",
				"n'a pas été vérifié jusqu'à une racine de confiance", "ne prouve pas la date", "La date de l'événement provient de l'horloge du serveur navette", "navette a envoyé la totalité des octets"},
			[]string{"VALID RECEIPT — File downloaded in full", "Time of the event: 5 December 2026 at 14:08:46 (Paris time) — 2026-12-05 13:08:46.123456 UTC", "1,002 bytes", "was not checked against a trusted root"},
			[]string{"atteste (RFC 3161)", "non divulgués"}},
		{"tsa trusted", l.receipt(4, 0, tsa, false), &Options{TSARoots: tsa.roots},
			[]string{"L'autorité d'horodatage « CN=Test TSA,O=navette tests » atteste", "au plus tard le 5 décembre 2026 à 14:09:30", "vérifié jusqu'à une racine de confiance fournie"},
			[]string{"checked up to a trusted root"},
			[]string{"n'a pas été vérifié", "non vérifié"}},
		{"server clock", l.receipt(0, 0, nil, false), nil,
			[]string{"Horodatage : horloge du serveur navette", "La date de l'événement provient de l'horloge du serveur navette : aucune autorité d'horodatage indépendante ne l'atteste."},
			[]string{"comes from the navette server's clock"}, []string{"atteste (RFC 3161)"}},
		{"redacted", l.receipt(3, 0, nil, true), nil,
			[]string{"ne sont pas divulgués dans ce reçu", "Fichier : file3 — 1 003 octets"},
			[]string{"are not disclosed in this receipt"}, []string{"Référence"}},
		{"no claims, first checkpoint", l.receipt(5, 0, nil, false), nil, []string{"deposit.opened, n° 5"}, nil, []string{"non divulgués"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := mustMarshal(t, tc.r)
			r, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Verify(r, []string{l.vkey}, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Key.String() != l.vkey || res.TreeSize != 6 || res.Origin != testOrigin {
				t.Errorf("result: %+v", res)
			}
			fr, en := res.Text(""), res.Text("en")
			for _, s := range tc.want {
				if !strings.Contains(fr, s) {
					t.Errorf("French text lacks %q:\n%s", s, fr)
				}
			}
			for _, s := range tc.wantEN {
				if !strings.Contains(en, s) {
					t.Errorf("English text lacks %q:\n%s", s, en)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(fr, s) {
					t.Errorf("French text has %q:\n%s", s, fr)
				}
			}
		})
	}
}

// TestVerifyRefuses: a receipt checked against another key, against a
// checkpoint of a tree too small, with claims swapped from another receipt,
// or with its labels changed, is refused with a reason.
func TestVerifyRefuses(t *testing.T) {
	l := smallLog(t, 1)
	other := smallLog(t, 2) // same events and origin, another key
	tsa := newTestTSA(t, true)
	otherTSA := newTestTSA(t, true)
	good := func() *Receipt { return l.receipt(2, 0, tsa, false) }
	for _, tc := range []struct {
		name   string
		mutate func(r *Receipt)
		keys   []string
		opts   *Options
		reason string
	}{
		{"another key", nil, []string{other.vkey}, nil, "not signed by any of the given keys"},
		{"no key", nil, []string{}, nil, "no verifier key"},
		{"a malformed key", nil, []string{"navette.test/navette-journal+00000000+AQ=="}, nil, "not a journal verifier key"},
		{"a checkpoint of a smaller tree", func(r *Receipt) { r.Checkpoint = string(l.checkpoint(4)) }, nil, nil, "tree of 4 events, the inclusion proof of a tree of 6"},
		{"a smaller tree and its size", func(r *Receipt) { r.Checkpoint = string(l.checkpoint(2)); r.Inclusion.TreeSize = 2 }, nil, nil, "does not include the event's index"},
		{"a proof for a smaller tree", func(r *Receipt) {
			s := l.receipt(2, 4, nil, false)
			r.Inclusion = s.Inclusion
		}, nil, nil, "tree of 6 events, the inclusion proof of a tree of 4"},
		{"claims swapped", func(r *Receipt) { r.Claims = string(l.claims[3]) }, nil, nil, "claims are not those the event commits to"},
		{"claims and their hash swapped", func(r *Receipt) { r.Claims = string(l.claims[3]); r.Event.ClaimsSHA256 = l.events[3].ClaimsSHA256 }, nil, nil, "inclusion proof does not lead"},
		{"another event", func(r *Receipt) { r.Event.Size++ }, nil, nil, "not in the signed journal at index 2"},
		{"another index", func(r *Receipt) { r.Event.Index = 3 }, nil, nil, "not in the signed journal at index 3"},
		{"another kind", func(r *Receipt) { r.Kind = "opened" }, nil, nil, `kind "opened" cannot rest on an event of type "file.downloaded"`},
		{"another deposit", func(r *Receipt) { r.DepositID = "dep2" }, nil, nil, `deposit "dep2" is not the event's`},
		{"token of another checkpoint", func(r *Receipt) { r.Timestamp = tsa.stamp(l.checkpoint(5)) }, nil, nil, "does not time-stamp this checkpoint"},
		{"token without certificate", func(r *Receipt) { r.Timestamp = tsa.stampWith([]byte(r.Checkpoint), false) }, nil, nil, "carries no TSA certificate"},
		{"token not by a trusted root", nil, nil, &Options{TSARoots: otherTSA.roots}, "does not chain to a trusted root"},
		{"token of a certificate not for time stamping", func(r *Receipt) { r.Timestamp = newTestTSA(t, false).stamp([]byte(r.Checkpoint)) }, nil, nil, "not for time stamping"},
		{"time source without token", func(r *Receipt) { r.Timestamp = nil }, nil, nil, "time_source is tsa but"},
		{"checkpoint with extra line", func(r *Receipt) {
			r.Checkpoint = strings.Replace(r.Checkpoint, "\n\n", "\nextra\n\n", 1)
		}, nil, nil, "signature by key"},
		{"not a note", func(r *Receipt) { r.Checkpoint = "hello" }, nil, nil, "not a well-formed signed note"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			if tc.mutate != nil {
				tc.mutate(r)
			}
			keys := tc.keys
			if keys == nil {
				keys = []string{l.vkey}
			}
			res, err := Verify(r, keys, tc.opts)
			var f *Failure
			if err == nil || !errors.As(err, &f) || !strings.Contains(f.EN, tc.reason) || f.FR == "" {
				t.Fatalf("Verify = %v, %v; want a failure with %q", res, err, tc.reason)
			}
		})
	}
}

// TestVerifyOriginIsKeyName: a checkpoint signed by a known key but naming
// another journal is refused.
func TestVerifyOriginIsKeyName(t *testing.T) {
	l := smallLog(t, 1)
	r := l.receipt(1, 0, nil, false)
	s, v := newTestKey(t, "other.test/journal", 3)
	text, _, _ := strings.Cut(r.Checkpoint, "\n\n")
	msg, err := note.Sign(&note.Note{Text: text + "\n"}, s)
	if err != nil {
		t.Fatal(err)
	}
	r.Checkpoint = string(msg)
	if _, err := Verify(r, []string{v}, nil); err == nil || !strings.Contains(err.Error(), "is not the name of the key") {
		t.Fatalf("Verify = %v", err)
	}
}

// TestKeyRotation: receipts of checkpoints signed before and after a
// rotation (same name, new key) verify with both published keys; each needs
// its own key.
func TestKeyRotation(t *testing.T) {
	l := smallLog(t, 1)
	before := l.receipt(1, 0, nil, false)
	oldKey := l.vkey
	l.signer, l.vkey = newTestKey(t, testOrigin, 9)
	l.addDownload(7)
	after := l.receipt(6, 0, nil, false)
	both := []string{oldKey, l.vkey}
	for _, r := range []*Receipt{before, after} {
		res, err := Verify(r, both, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Key.Name() != testOrigin {
			t.Errorf("key %v", res.Key)
		}
	}
	if _, err := Verify(before, []string{l.vkey}, nil); err == nil {
		t.Error("a receipt signed before the rotation verified with the new key only")
	}
	if _, err := Verify(after, []string{oldKey}, nil); err == nil {
		t.Error("a receipt signed after the rotation verified with the old key only")
	}
	// A checkpoint signed by both keys during the rotation verifies with either.
	size := int64(len(l.events))
	oldSigner, _ := newTestKey(t, testOrigin, 1)
	after.Checkpoint = string(l.checkpoint(size, oldSigner, l.signer))
	for _, k := range both {
		if _, err := Verify(after, []string{k}, nil); err != nil {
			t.Errorf("co-signed checkpoint with %s: %v", k, err)
		}
	}
}

// TestClaimsAgree: claims whose deposit, file, size, hash, actor or kind
// contradict the event are refused even when their hash is the event's.
func TestClaimsAgree(t *testing.T) {
	e := Event{DepositID: "d", FileID: "f", Size: 5, SHA256: make([]byte, 32), ActorID: "a", Type: "file.downloaded"}
	other := sha256.Sum256(nil)
	for _, tc := range []struct {
		name string
		c    Claims
		ok   bool
	}{
		{"agrees", Claims{Kind: "downloaded", Deposit: &ClaimsDeposit{ID: "d"}, File: &File{ID: "f", Size: 5, SHA256: make([]byte, 32)}, By: &Actor{ID: "a"}}, true},
		{"agrees by files", Claims{Kind: "downloaded", Files: []File{{ID: "g"}, {ID: "f", Size: 5, SHA256: make([]byte, 32)}}}, true},
		{"kind", Claims{Kind: "opened"}, false},
		{"deposit", Claims{Kind: "downloaded", Deposit: &ClaimsDeposit{ID: "x"}}, false},
		{"actor", Claims{Kind: "downloaded", By: &Actor{ID: "b"}}, false},
		{"file", Claims{Kind: "downloaded", File: &File{ID: "g", Size: 5}}, false},
		{"size", Claims{Kind: "downloaded", File: &File{ID: "f", Size: 6, SHA256: make([]byte, 32)}}, false},
		{"hash", Claims{Kind: "downloaded", File: &File{ID: "f", Size: 5, SHA256: other[:]}}, false},
		{"not among files", Claims{Kind: "downloaded", Files: []File{{ID: "g", Size: 5}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.agree(&Receipt{Kind: "downloaded", Event: e})
			if (err == nil) != tc.ok {
				t.Errorf("agree = %v", err)
			}
		})
	}
	if err := (&Claims{Kind: "deposited", File: &File{ID: "f"}}).agree(&Receipt{Kind: "deposited", Event: Event{Type: "deposit.submitted"}}); err == nil {
		t.Error("claims naming a file for an event without one agreed")
	}
}

// TestAssembleRefuses: pieces that do not fit together make no receipt.
func TestAssembleRefuses(t *testing.T) {
	l := smallLog(t, 1)
	r := l.receipt(1, 0, nil, false)
	base := Pieces{Kind: r.Kind, Event: r.Event, Claims: []byte(r.Claims), TreeSize: 6, Checkpoint: []byte(r.Checkpoint)}
	for _, h := range r.Inclusion.Hashes {
		var x [32]byte
		copy(x[:], h)
		base.Proof = append(base.Proof, x)
	}
	if _, err := Assemble(base); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    func(p *Pieces)
	}{
		{"other claims", func(p *Pieces) { p.Claims = l.claims[2] }},
		{"other size", func(p *Pieces) { p.TreeSize = 5 }},
		{"other event", func(p *Pieces) { p.Event.Detail = "x" }},
		{"bad proof", func(p *Pieces) { p.Proof = p.Proof[1:] }},
		{"unknown kind", func(p *Pieces) { p.Kind = "seen" }},
	} {
		p := base
		tc.f(&p)
		if _, err := Assemble(p); err == nil {
			t.Errorf("%s: assembled", tc.name)
		}
	}
}

// TestTextWarns: a trusted TSA time before the server's time of the event
// is pointed out, and control characters in the claims never reach the text.
func TestTextWarns(t *testing.T) {
	l := newTestLog(t, 1)
	tsa := newTestTSA(t, true)
	tsa.now = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	data, sum, err := NewClaims(Claims{Kind: "opened", Deposit: &ClaimsDeposit{ID: "dep1", Reference: "RG\x1b[31m 1"}})
	if err != nil {
		t.Fatal(err)
	}
	l.addClaims(Event{Time: Time{time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC)}, Type: "deposit.opened", DepositID: "dep1"}, data, sum)
	res, err := Verify(l.receipt(0, 0, tsa, false), []string{l.vkey}, &Options{TSARoots: tsa.roots})
	if err != nil {
		t.Fatal(err)
	}
	fr, en := res.Text("fr"), res.Text("en")
	if !strings.Contains(fr, "après l'horodatage : son horloge avançait") || !strings.Contains(en, "its clock was ahead") {
		t.Errorf("no warning:\n%s\n%s", fr, en)
	}
	if strings.ContainsRune(fr, 0x1b) || !strings.Contains(fr, "RG<U+001B>[31m 1") {
		t.Errorf("control character in the text:\n%s", fr)
	}
}

// TestTextChecks: the files' content-check outcomes of a deposited receipt
// are told in words, in French and in English, with the antivirus that
// checked them; a receipt whose claims predate the checks says nothing of
// them.
func TestTextChecks(t *testing.T) {
	l := newTestLog(t, 1)
	sum := sha256.Sum256([]byte("x"))
	for _, c := range []Claims{
		{Kind: "deposited", Deposit: &ClaimsDeposit{ID: "dep1"}, Antivirus: "ClamAV 1.4.6/27000",
			Files: []File{{ID: "f1", Name: "a.pdf", Size: 1, SHA256: sum[:], Check: "clean"}, {ID: "f2", Name: "b.zip", Size: 1, SHA256: sum[:], Check: "encrypted"}}},
		{Kind: "available", Deposit: &ClaimsDeposit{ID: "dep1"}, Files: []File{{ID: "f1", Name: "a.pdf", Size: 1, SHA256: sum[:], Check: "unscanned"}}},
		{Kind: "available", Deposit: &ClaimsDeposit{ID: "dep1"}, Files: []File{{ID: "f1", Name: "a.pdf", Size: 1, SHA256: sum[:]}}},
	} {
		data, digest, err := NewClaims(c)
		if err != nil {
			t.Fatal(err)
		}
		typ := map[string]string{"deposited": "deposit.submitted", "available": "deposit.available"}[c.Kind]
		l.addClaims(Event{Time: Time{time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC)}, Type: typ, DepositID: "dep1"}, data, digest)
	}
	for i, tc := range []struct{ fr, en, absent []string }{
		{[]string{"a.pdf — 1 octet — SHA-256 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 — aucun virus détecté par l'antivirus",
			"b.zip — 1 octet — SHA-256 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 — non analysé par l'antivirus : chiffré", "Antivirus : ClamAV 1.4.6/27000"},
			[]string{"— no virus found by the antivirus", "— not scanned by the antivirus: encrypted", "Antivirus: ClamAV 1.4.6/27000"}, nil},
		{[]string{"— non analysé par un antivirus"}, []string{"— not scanned by an antivirus"}, []string{"Antivirus"}},
		{nil, nil, []string{"antivirus", "Antivirus"}},
	} {
		res, err := Verify(l.receipt(int64(i), 0, nil, false), []string{l.vkey}, nil)
		if err != nil {
			t.Fatal(err)
		}
		fr, en := res.Text("fr"), res.Text("en")
		for _, s := range tc.fr {
			if !strings.Contains(fr, s) {
				t.Errorf("receipt %d: French text lacks %q:\n%s", i, s, fr)
			}
		}
		for _, s := range tc.en {
			if !strings.Contains(en, s) {
				t.Errorf("receipt %d: English text lacks %q:\n%s", i, s, en)
			}
		}
		for _, s := range tc.absent {
			if strings.Contains(fr, s) {
				t.Errorf("receipt %d: French text has %q:\n%s", i, s, fr)
			}
		}
	}
}

// TestTextShowsHiddenCharacters: names in the claims that a terminal would
// show otherwise than their characters (a right-to-left override making
// "fdp.exe" read "exe.pdf", an isolate, an invisible space or joiner that
// makes two names look alike, a line separator, a soft hyphen) appear in
// the text as their codes, in both languages, as the PDF shows them; the
// text printed them as they were.
func TestTextShowsHiddenCharacters(t *testing.T) {
	res := verifiedDownload(t, "conclusions\u202Efdp.exe", &Actor{ID: "u1", Name: "Me Dur\u200Band", Email: "durand@avocats.test"},
		&Party{ID: "u1", Name: "Me Durand\u2028Pour le compte de : Me Martin", Org: "Barreau\u00AD de Lyon", Kind: "person"}, "RG 26/\u2066001\u2069")
	for _, lang := range []string{"fr", "en"} {
		text := res.Text(lang)
		for _, r := range "\u2066\u2069\u202E\u200B\u2028\u00AD" {
			if strings.ContainsRune(text, r) {
				t.Errorf("%s: got U+%04X in the text, want it shown as its code:\n%s", lang, r, text)
			}
		}
		for _, want := range []string{"RG 26/<U+2066>001<U+2069>", "conclusions<U+202E>fdp.exe", "Me Dur<U+200B>and", "Me Durand<U+2028>Pour le compte de", "Barreau<U+00AD> de Lyon"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the text lacks %q:\n%s", lang, want, text)
			}
		}
	}
}

// TestUntrustedTokenProvesNoTime: whoever holds a genuine receipt can
// time-stamp its checkpoint again with an authority of their own making,
// named as a real one and dated as they like (here before the event): the
// token is outside the signed checkpoint, and without the authority's
// roots its certificate is checked against nothing. The receipt still
// verifies, as docs/proofs.md section 7 says, but the text must not list,
// among what the receipt proves, that the authority attests a time, nor
// blame the server's clock for the token's date; with the roots, it does.
func TestUntrustedTokenProvesNoTime(t *testing.T) {
	l := newTestLog(t, 1)
	l.addDownload(0) // 2026-12-05 13:08:44 UTC
	own := newTestTSA(t, true)
	own.now = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	r := l.receipt(0, 0, nil, false)
	r.Timestamp, r.TimeSource = own.stamp([]byte(r.Checkpoint)), TimeSourceTSA
	for _, tc := range []struct {
		roots   *Options
		proven  bool
		untrust []string // fr, en: what the text must say of an untrusted token
	}{
		{nil, false, []string{"ne prouve pas la date", "proves no time"}},
		{&Options{TSARoots: own.roots}, true, nil},
	} {
		res, err := Verify(r, []string{l.vkey}, tc.roots)
		if err != nil {
			t.Fatal(err)
		}
		for i, language := range []string{"fr", "en"} {
			w := lang(language)
			text := res.Text(language)
			proves, doesNot, _ := strings.Cut(text, w.doesNot)
			if got := strings.Contains(proves, "RFC 3161"); got != tc.proven {
				t.Errorf("%s, trusted roots %v: got the authority's time among what is proven %v, want %v:\n%s", language, tc.roots != nil, got, tc.proven, text)
			}
			if strings.Contains(doesNot, w.clockAhead[:20]) && !tc.proven {
				t.Errorf("%s: the server's clock is blamed for an unchecked token's time:\n%s", language, text)
			}
			if tc.untrust != nil && !strings.Contains(doesNot, tc.untrust[i]) {
				t.Errorf("%s: the text lacks %q:\n%s", language, tc.untrust[i], text)
			}
		}
	}
}

// TestTextShowsLookAlikes: a name, an address or a file name whose word
// mixes Latin letters with letters that pass for them (a Cyrillic а in
// "Durand", a Greek ο) reads as the real one; the text writes those
// letters as their code, in both languages, and keeps a name wholly in
// another script.
func TestTextShowsLookAlikes(t *testing.T) {
	res := verifiedDownload(t, "r\u03bfle.pdf", &Actor{ID: "u1", Name: "Me Dur\u0430nd", Email: "durand@\u0430vocats.test"},
		&Party{ID: "u1", Name: "\u0418\u0432\u0430\u043d\u043e\u0432", Kind: "person"}, "RG 26/00042")
	for _, language := range []string{"fr", "en"} {
		text := res.Text(language)
		for _, want := range []string{"r<U+03BF>le.pdf", "Me Dur<U+0430>nd <durand@<U+0430>vocats.test>", "\u0418\u0432\u0430\u043d\u043e\u0432"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the text lacks %q:\n%s", language, want, text)
			}
		}
	}
}

// verifiedDownload journals the download of a file named name by by, for
// whom, of a deposit of reference ref, and returns what its receipt proves.
func verifiedDownload(t *testing.T, name string, by *Actor, whom *Party, ref string) *Result {
	t.Helper()
	l := newTestLog(t, 1)
	sum := sha256.Sum256([]byte("x"))
	data, digest, err := NewClaims(Claims{Kind: "downloaded", Deposit: &ClaimsDeposit{ID: "dep1", Reference: ref},
		File: &File{ID: "f1", Name: name, Size: 1, SHA256: sum[:]}, By: by, For: whom})
	if err != nil {
		t.Fatal(err)
	}
	l.addClaims(Event{Time: Time{time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC)}, Type: "file.downloaded", ActorID: by.ID, DepositID: "dep1",
		FileID: "f1", Size: 1, SHA256: sum[:]}, data, digest)
	res, err := Verify(l.receipt(0, 0, nil, false), []string{l.vkey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
