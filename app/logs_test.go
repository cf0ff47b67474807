package app_test

import (
	"bufio"
	"bytes"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"navette"
	"navette/api"
	"navette/app"
	"navette/app/apptest"
)

// CanaryPrefix starts every canary a test plants where the logs must never
// show it (file names, references, messages, file contents); scripts/test.sh
// searches the logs of the whole suite for it.
const CanaryPrefix = "CANARY-"

// TestLogsKeepSecrets runs a whole scenario against the real server with
// JSON logs at debug level — a deposit whose reference, message, file name
// and contents are canaries, sign-in by e-mailed code and second factor in
// a browser session, listings and downloads by session and by API token, a
// bearer token that is wrong, a revocation, a sweep — and fails if any log
// line holds a canary, a token, a session, its CSRF token, a sign-in code
// or a TOTP secret. It also checks that every line of a request carries its
// request id, that a well-formed X-Request-Id is kept and another is
// replaced, and that the access log names the user.
func TestLogsKeepSecrets(t *testing.T) {
	var logs syncBuffer
	var w io.Writer = &logs
	if s := apptest.SuiteLog(); s != nil {
		w = io.MultiWriter(&logs, s)
	}
	e := newEnv(t, func(c *app.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	run := fmt.Sprintf("%x", e.clock.Now().UnixNano())
	canary := func(what string) string { return CanaryPrefix + what + "-" + run }
	ref, msg, name, content := canary("reference"), canary("message"), canary("file")+".pdf", canary("content")

	var d api.Deposit
	e.doJSON("POST", api.PathDeposits, e.agent, api.CreateDeposit{Recipients: []string{lawyerEmail}, Reference: ref, Message: msg, RetentionDays: 7}, http.StatusCreated, &d)
	data := []byte(strings.Repeat(content+"\n", 4096))
	e.upload(e.agent, d.ID, name, data)
	e.submit(e.agent, d.ID)

	b, secret := e.signIn(t, lawyerEmail)
	resp, body := b.do(t, "GET", api.PathDeposits, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), d.ID) {
		t.Fatalf("inbox by session: %d %s", resp.StatusCode, body)
	}
	var got api.Deposit
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.lawyer, nil, http.StatusOK, &got)
	if len(got.Files) != 1 {
		t.Fatalf("files: %+v", got.Files)
	}
	resp, body = b.do(t, "GET", filePath(got, got.Files[0]), nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("download by session: %d, %d bytes", resp.StatusCode, len(body))
	}
	resp, body = e.do("GET", filePath(got, got.Files[0]), e.lawyer, nil, "X-Request-Id", "client-chosen-id.42")
	if resp.StatusCode != 200 || !bytes.Equal(body, data) || resp.Header.Get("X-Request-Id") != "client-chosen-id.42" {
		t.Fatalf("download by token: %d, %d bytes, request id %q", resp.StatusCode, len(body), resp.Header.Get("X-Request-Id"))
	}
	badToken := "nvt_" + canary("token")
	resp, _ = e.do("GET", api.PathDeposits, badToken, nil, "X-Request-Id", "not well formed!")
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("X-Request-Id") == "not well formed!" || resp.Header.Get("X-Request-Id") == "" {
		t.Fatalf("wrong token: %d, request id %q", resp.StatusCode, resp.Header.Get("X-Request-Id"))
	}
	admin := e.user("admin@justice.example", "Admin", navette.RoleAdmin)
	if resp, b := e.do("PUT", api.PathAdminSettings, admin, strings.NewReader(`{"max_files": 12}`), "Content-Type", "application/json", "X-Request-Id", "admin-change-0001"); resp.StatusCode != http.StatusOK {
		t.Fatalf("settings: %d %s", resp.StatusCode, b)
	}
	if resp, b := e.do("DELETE", api.PathDeposits+"/"+d.ID, e.agent, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", resp.StatusCode, b)
	}
	if _, err := e.app.Deposits.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}

	secrets := map[string]string{
		"reference": ref, "message": msg, "file name": name, "file contents": content,
		"agent's token": e.agent, "lawyer's token": e.lawyer, "wrong token": badToken,
		"session": b.cookie, "CSRF token": b.csrf,
		"TOTP secret": base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret),
	}
	for c := range e.codes(t, lawyerEmail) {
		secrets["sign-in code "+c] = c
	}
	lawyerID := userID(t, e, lawyerEmail)
	byRequest := map[string][]map[string]any{}
	var access []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		n++
		for what, s := range secrets {
			if s != "" && strings.Contains(line, s) {
				t.Errorf("a log line holds the %s: %s", what, line)
			}
		}
		if strings.Contains(line, CanaryPrefix) {
			t.Errorf("a log line holds a canary: %s", line)
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		if id, _ := rec["request_id"].(string); id != "" {
			byRequest[id] = append(byRequest[id], rec)
		}
		if rec["msg"] == "request" {
			if rec["request_id"] == nil {
				t.Errorf("access log line without request id: %s", line)
			}
			access = append(access, rec)
		}
	}
	if n < 10 || len(access) < 10 {
		t.Fatalf("only %d lines, %d of access: %s", n, len(access), logs.String())
	}
	var kept, byLawyer bool
	for _, rec := range access {
		id := rec["request_id"].(string)
		if id == "client-chosen-id.42" {
			kept = true
		}
		if id == "not well formed!" {
			t.Errorf("a malformed X-Request-Id was logged: %v", rec)
		}
		if rec["user"] == lawyerID {
			byLawyer = true
		}
	}
	if !kept || !byLawyer {
		t.Errorf("client's request id kept: %v; lawyer's id on an access line: %v", kept, byLawyer)
	}
	// A request that logs besides its access line: each of its lines
	// carries its id.
	if recs := byRequest["admin-change-0001"]; len(recs) != 2 || recs[0]["msg"] != "platform settings changed" || recs[1]["msg"] != "request" {
		t.Errorf("lines of the settings change: %v", recs)
	}
}
