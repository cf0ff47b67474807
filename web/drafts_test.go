package web

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/deposit"
)

// TestDraftsPage lists the sender's drafts with what they hold, links them
// from the sent page, and discards one: refused to anyone but its sender
// and for a deposit already sent.
func TestDraftsPage(t *testing.T) {
	for _, theme := range []string{ThemeNavette, ThemeDSFR} {
		t.Run(theme, func(t *testing.T) { testDraftsPage(t, theme) })
	}
}

func testDraftsPage(t *testing.T, theme string) {
	f := newFixture(t, theme)
	ctx := t.Context()
	svc := f.h.Deposits
	empty, err := svc.Create(ctx, f.agent, deposit.Draft{Recipients: []string{f.lawyer.Email}, Reference: "RG 26/100"})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	half, err := svc.Create(ctx, f.agent, deposit.Draft{Recipients: []string{f.lawyer.Email}, Reference: "PARQUET 26/200"})
	if err != nil {
		t.Fatal(err)
	}
	done, err := svc.StartFile(ctx, f.agent, half.ID, "pv.pdf", 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Write(ctx, f.agent, done.ID, 0, bytes.NewReader([]byte("abc"))); err != nil {
		t.Fatal(err)
	}
	if err := svc.Finish(ctx, f.agent, done.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.StartFile(ctx, f.agent, half.ID, "scelle.mp4", 1000); err != nil {
		t.Fatal(err)
	}
	sent := f.deposit(t, "RG 26/300", map[string][]byte{"a.pdf": {1}})

	for _, lang := range []string{"fr", "en"} {
		w := f.get(t, f.agent, "/drafts?lang="+lang)
		body := w.Body.String()
		checkPage(t, "/drafts "+lang, body)
		if w.Code != http.StatusOK {
			t.Fatalf("/drafts %s: %d", lang, w.Code)
		}
		want := []string{"RG 26/100", "PARQUET 26/200", "Maître Lévêque", "/new?draft=" + half.ID, `action="/deposits/` + empty.ID + `/discard"`, `name="csrf" value="csrf-token"`}
		if lang == "fr" {
			want = append(want, "1 sur 2", "aucun", "Brouillons", "3 nov. 2026 à 10:00")
		} else {
			want = append(want, "1 of 2", "Drafts", "Discard the draft PARQUET 26/200")
		}
		for _, s := range want {
			if !strings.Contains(body, s) {
				t.Errorf("/drafts %s lacks %q:\n%s", lang, s, body)
			}
		}
		if strings.Contains(body, "RG 26/300") {
			t.Errorf("/drafts %s lists a sent deposit", lang)
		}
		if strings.Index(body, "PARQUET 26/200") > strings.Index(body, "RG 26/100") {
			t.Errorf("/drafts %s: not newest first", lang)
		}
	}
	if s := f.get(t, f.agent, "/sent").Body.String(); !strings.Contains(s, `href="/drafts"`) || !strings.Contains(s, "Brouillons en attente : 2") {
		t.Error("the sent page does not lead to the drafts")
	}
	if s := f.get(t, f.agent, "/deposits/"+half.ID).Body.String(); !strings.Contains(s, `href="/new?draft=`+half.ID+`"`) {
		t.Error("the draft's page does not offer to resume it")
	}
	if s := f.get(t, f.agent, "/deposits/"+sent.ID).Body.String(); strings.Contains(s, `/new?draft=`) {
		t.Error("a sent deposit's page offers to resume it")
	}
	if s := f.get(t, f.lawyer, "/drafts").Body.String(); !strings.Contains(s, "Vous n’avez aucun brouillon.") || strings.Contains(s, "RG 26/100") {
		t.Error("the lawyer sees the agent's drafts")
	}
	if s := f.get(t, f.lawyer, "/sent").Body.String(); strings.Contains(s, `href="/drafts"`) {
		t.Error("the sent page leads to drafts there are none of")
	}

	for _, c := range []struct {
		name string
		u    *navette.User
		id   string
		want int
	}{
		{"by a recipient", f.lawyer, half.ID, http.StatusNotFound},
		{"by a stranger", f.stranger, half.ID, http.StatusNotFound},
		{"a sent deposit", f.agent, sent.ID, http.StatusConflict},
		{"an unknown deposit", f.agent, navette.NewID(), http.StatusNotFound},
	} {
		if w := f.post(t, c.u, "/deposits/"+c.id+"/discard", "csrf=csrf-token"); w.Code != c.want {
			t.Errorf("discard %s: %d, want %d", c.name, w.Code, c.want)
		}
	}
	w := f.post(t, f.agent, "/deposits/"+half.ID+"/discard", "csrf=csrf-token")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/drafts?done=discarded" {
		t.Fatalf("discard: %d %s", w.Code, w.Header().Get("Location"))
	}
	body := f.get(t, f.agent, "/drafts?done=discarded").Body.String()
	if !strings.Contains(body, "Le brouillon est abandonné") || strings.Contains(body, "PARQUET 26/200") || !strings.Contains(body, "RG 26/100") {
		t.Errorf("after the discard:\n%s", body)
	}
	if v, err := svc.Get(ctx, f.agent, sent.ID); err != nil || v.State != navette.DepositAvailable {
		t.Errorf("the sent deposit after the refused discard: %v", err)
	}
}
