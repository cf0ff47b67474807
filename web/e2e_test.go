package web_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/api"
	"navette/app"
	"navette/app/apptest"
	"navette/internal/testbrowser"
	"navette/totp"
	"navette/web"
)

// node is a whole navette node behind a front server on 127.0.0.1 that can
// slow uploads down and records where each tus PATCH starts. Until the node
// serves the pages itself, the front server mounts them, resolving the
// session cookie as the API's middleware does.
type node struct {
	app  *app.App
	URL  string
	rate atomic.Int64 // bytes per second of upload bodies; 0: no limit

	// refuse, when set, answers the upload PATCHes the front receives
	// with its refusal instead of passing them on.
	refuse atomic.Pointer[refusal]

	// holdDeletes, when set, holds each upload deletion the front
	// receives until a submission has been answered, or for 3 s: a
	// deletion overtaken by the submission that follows it (failure
	// injection: a browser on a real network may see it, a loopback
	// rarely).
	holdDeletes atomic.Pointer[hold]

	// held, when set, holds the requests it names until it is released:
	// a request slow to be answered, the page's user acting meanwhile
	// (failure injection: a loaded server or a real network, which a
	// loopback does not make).
	held atomic.Pointer[holding]

	// cut, when set, passes on the requests it names and then answers
	// them by closing the connection: the answer lost on its way back
	// (failure injection: a network cut, which a loopback does not make).
	cut atomic.Pointer[cutting]

	// heldAnswer, when set, passes on the requests it names, whatever the
	// browser does meanwhile, and holds their answers until it is
	// released, then drops them: the page left while its request was on
	// its way back (failure injection: a loopback answers before the page
	// can be reloaded).
	heldAnswer atomic.Pointer[answerHold]

	mu      sync.Mutex
	patches []int64
}

// hold is a gate released once.
type hold struct {
	once sync.Once
	c    chan struct{}
}

func newHold() *hold { return &hold{c: make(chan struct{})} }

func (h *hold) release() { h.once.Do(func() { close(h.c) }) }

// holding is a hold of the requests of method whose path ends with
// suffix.
type holding struct {
	*hold
	method, suffix string
}

// holdRequests holds, until the hold it returns is released, the requests
// of method whose path ends with suffix that n's front receives; t's end
// releases it.
func (n *node) holdRequests(t *testing.T, method, suffix string) *hold {
	h := newHold()
	t.Cleanup(h.release)
	n.held.Store(&holding{hold: h, method: method, suffix: suffix})
	return h
}

// cutting names the requests to cut: the first left ones of method whose
// path ends with suffix.
type cutting struct {
	method, suffix string
	left           atomic.Int64
}

// newCut returns a cutting of the first left requests of method whose
// path ends with suffix.
func newCut(method, suffix string, left int64) *cutting {
	c := &cutting{method: method, suffix: suffix}
	c.left.Store(left)
	return c
}

// take reports whether r is one more request to cut, counting it.
func (c *cutting) take(r *http.Request) bool {
	return r.Method == c.method && strings.HasSuffix(r.URL.Path, c.suffix) && c.left.Add(-1) >= 0
}

// answerHold holds the answers of the requests of a cutting.
type answerHold struct {
	*hold
	*cutting
	answered chan struct{} // gets a value as each request held is answered by the server
}

// holdAnswers holds, until the hold it returns is released, the answers of
// the first left requests of method whose path ends with suffix that n's
// front receives; t's end releases it.
func (n *node) holdAnswers(t *testing.T, method, suffix string, left int64) *answerHold {
	a := &answerHold{hold: newHold(), cutting: newCut(method, suffix, left), answered: make(chan struct{}, left)}
	t.Cleanup(a.release)
	n.heldAnswer.Store(a)
	return a
}

// refusal is an upload refusal the front answers with, as the server
// words it: to every PATCH if always, else to the first left ones.
type refusal struct {
	status int
	detail string
	typ    string // the problem type; "" for the conflict's
	always bool
	left   atomic.Int64
}

// take reports whether the refusal answers one more PATCH, counting it.
func (f *refusal) take() bool { return f.always || f.left.Add(-1) >= 0 }

// answer writes the refusal as the upload API's problem document.
func (f *refusal) answer(w http.ResponseWriter, r *http.Request) {
	typ := f.typ
	if typ == "" {
		typ = "tag:navette,2026:problem:" + navette.ECONFLICT
	}
	p := api.Problem{Type: typ, Title: http.StatusText(f.status), Status: f.status,
		Detail: f.detail, Instance: r.URL.Path, Code: navette.ECONFLICT}
	b, _ := json.Marshal(p)
	w.Header().Set("Content-Type", api.ProblemContentType)
	w.Header().Set("Tus-Resumable", "1.0.0")
	w.WriteHeader(f.status)
	w.Write(b)
}

func startNode(t *testing.T) *node { return startThemed(t, "") }

// startThemed starts a node whose pages are in theme, behind a front
// server that records and can slow tus uploads.
func startThemed(t *testing.T, theme string) *node {
	t.Helper()
	return startWith(t, func(c *app.Config) { c.Theme = theme })
}

// startWith starts a node configured by more too, behind a front server
// that records and can slow tus uploads.
func startWith(t *testing.T, more func(*app.Config)) *node {
	t.Helper()
	a := apptest.Start(t, nil, func(c *app.Config) {
		c.StaffCodes = true
		c.Limits = navette.Limits{MaxFileSize: 64 << 20, MaxFiles: 5}
		quickAnswers(c)
		more(c)
	})
	n := &node{app: a}
	front := httptest.NewServer(n.front(a.URL()))
	t.Cleanup(front.Close)
	n.URL = front.URL
	return n
}

// front returns the handler of n's front server, which passes requests on
// to target, slowing, holding, cutting or refusing those n says to.
func (n *node) front(target string) http.Handler {
	to, _ := url.Parse(target)
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(to)
			pr.Out.Host = pr.In.Host
		},
		FlushInterval: -1,
		ErrorLog:      log.New(io.Discard, "", 0),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/api/v1/uploads/") {
			off, _ := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
			n.mu.Lock()
			n.patches = append(n.patches, off)
			n.mu.Unlock()
			if f := n.refuse.Load(); f != nil && f.take() {
				io.Copy(io.Discard, r.Body)
				f.answer(w, r)
				return
			}
			if rate := n.rate.Load(); rate > 0 {
				r.Body = &slowBody{r: r.Body, rate: rate}
			}
		}
		if h := n.held.Load(); h != nil && r.Method == h.method && strings.HasSuffix(r.URL.Path, h.suffix) {
			<-h.c
		}
		if a := n.heldAnswer.Load(); a != nil && a.take(r) {
			proxy.ServeHTTP(httptest.NewRecorder(), r.WithContext(context.WithoutCancel(r.Context())))
			a.answered <- struct{}{}
			<-a.c
			dropAnswer(w)
			return
		}
		if c := n.cut.Load(); c != nil && c.take(r) {
			proxy.ServeHTTP(httptest.NewRecorder(), r)
			dropAnswer(w)
			return
		}
		if h := n.holdDeletes.Load(); h != nil {
			switch {
			case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/api/v1/uploads/"):
				select {
				case <-h.c:
				case <-time.After(3 * time.Second):
				}
			case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/submit"):
				proxy.ServeHTTP(w, r)
				h.release()
				return
			}
		}
		proxy.ServeHTTP(w, r)
	})
}

// dropAnswer closes the connection of w unanswered.
func dropAnswer(w http.ResponseWriter) {
	if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
		c.Close()
	}
}

// quickAnswers lets a node answer code requests and refused codes at
// once: the pages' tests do not time them (app's TestTimingTellsNothing does), and
// the floor of 250 ms would add up over their hundred sign-ins.
func quickAnswers(c *app.Config) { c.Auth.AnswerTime = time.Millisecond }

// slowBody reads at most rate bytes a second.
type slowBody struct {
	r     io.ReadCloser
	rate  int64
	start time.Time
	n     int64
}

func (s *slowBody) Read(p []byte) (int, error) {
	if s.start.IsZero() {
		s.start = time.Now()
	}
	if len(p) > 32<<10 {
		p = p[:32<<10]
	}
	m, err := s.r.Read(p)
	s.n += int64(m)
	if ahead := time.Duration(float64(s.n)/float64(s.rate)*float64(time.Second)) - time.Since(s.start); ahead > 0 {
		time.Sleep(ahead)
	}
	return m, err
}

func (s *slowBody) Close() error { return s.r.Close() }

func (n *node) patchOffsets() []int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]int64(nil), n.patches...)
}

// user creates a user of the node.
func (n *node) user(t *testing.T, email, name string, role navette.Role) *navette.User {
	t.Helper()
	u, err := n.app.Accounts.CreateUser(context.Background(), email, name, role)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// code waits for the newest sign-in code e-mailed to email that no
// earlier call returned (usedCodes): a code asked for within a second of
// the last one would otherwise find the last one.
func (n *node) code(t *testing.T, email string, after time.Time) string {
	t.Helper()
	re := regexp.MustCompile(`\b(\d{4} \d{4})\b`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		msgs, err := n.app.Outbox.List(50)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.To.Email == email && m.Kind == navette.NoticeSignInCode && !m.Date.Before(after.Add(-time.Second)) {
				if c := re.FindStringSubmatch(m.Text); c != nil {
					if _, used := usedCodes.LoadOrStore(n.URL+" "+email+" "+c[1], true); !used {
						return c[1]
					}
				}
			}
		}
	}
	t.Fatalf("no new sign-in code for %s in the outbox", email)
	return ""
}

// signIn signs email in through the pages: e-mailed code, then TOTP
// enrolment, checking each page with axe; it ends on the page the role
// starts from.
func signIn(t *testing.T, n *node, b *testbrowser.Browser, email string) {
	t.Helper()
	b.Navigate(n.URL + "/signin")
	signInHere(t, n, b, email)
}

// signInHere signs email in for the first time from the sign-in page b
// is on (enrolling TOTP, passing the recovery codes), wherever that page
// goes on to.
func signInHere(t *testing.T, n *node, b *testbrowser.Browser, email string) {
	t.Helper()
	b.Axe("/signin")
	start := time.Now()
	b.Run("ask for a code",
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.Submit(chromedp.CSS("#email")),
		chromedp.WaitVisible(chromedp.CSS("#code")),
	)
	b.Axe("/signin/code")
	code := n.code(t, email, start)
	b.Run("give the code",
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#totp-secret")),
	)
	b.Axe("/signin/enrol")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(b.Text("#totp-secret"), " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	b.Run("enrol the second factor",
		chromedp.SendKeys(chromedp.CSS("#code"), totp.Code(secret, totp.Step(time.Now()))),
		chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitNotPresent(chromedp.CSS("#totp-secret")),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	)
	passCodes(t, b)
	if loc := b.Location(); strings.Contains(loc, "/signin") {
		t.Fatalf("after sign-in: %s", loc)
	}
}

// passCodes checks the page that shows the recovery codes once, after an
// enrolment, goes on from it, and returns the codes.
func passCodes(t *testing.T, b *testbrowser.Browser) []string {
	t.Helper()
	if loc := b.Location(); !strings.Contains(loc, "/account/recovery-codes") {
		t.Fatalf("after the enrolment: %s, not the recovery codes", loc)
	}
	b.Axe("/account/recovery-codes")
	codes := testbrowser.Eval[[]string](b, `[...document.querySelectorAll('#recovery-codes code')].map(c => c.textContent)`)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown", len(codes))
	}
	b.Run("go on from the recovery codes",
		chromedp.Click(chromedp.CSS("#codes-done")),
		chromedp.WaitNotPresent(chromedp.CSS("#recovery-codes")),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	)
	return codes
}

// tempFile writes size random bytes to a file named name and returns its
// path and SHA-256.
func tempFile(t *testing.T, name string, size int) (string, string) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return p, hex.EncodeToString(sum[:])
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// fillDeposit fills the new-deposit form for recipient, choosing files
// if any.
func fillDeposit(b *testbrowser.Browser, n *node, recipient, ref string, files ...string) {
	b.Navigate(n.URL + "/new")
	b.Run("fill the deposit",
		chromedp.SendKeys(chromedp.CSS("#recipient-input"), recipient),
		chromedp.WaitVisible(chromedp.CSS("#recipient-option-0")),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS("#recipients li")),
		chromedp.SendKeys(chromedp.CSS("#reference"), ref),
		chromedp.SendKeys(chromedp.CSS("#message"), "Pièces de la procédure."),
	)
	if len(files) > 0 {
		b.Run("choose the files", chromedp.SetUploadFiles(chromedp.CSS("#files"), files), chromedp.WaitVisible(chromedp.CSS("#file-list li")))
	}
}

// waitProgress waits until the total progress is at least frac, and
// returns the status text then.
func waitProgress(t *testing.T, b *testbrowser.Browser, frac float64) string {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		p := testbrowser.Eval[float64](b, `document.getElementById("total-progress").value / document.getElementById("total-progress").max`)
		if p >= frac {
			return testbrowser.Eval[string](b, `document.getElementById("total-text").textContent`)
		}
	}
	t.Fatalf("the upload did not reach %.0f %%", frac*100)
	return ""
}

// depositID returns the id in a /deposits/{id} location.
func depositID(t *testing.T, loc string) string {
	t.Helper()
	m := regexp.MustCompile(`/deposits/([a-z2-7]{32})`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("not a deposit page: %s", loc)
	}
	return m[1]
}

// TestEndToEnd: an agent fills the form, drops two files and presses
// "Envoyer" once: the deposit is created, the files upload with their
// progress, and it is sent when the last is stored. The lawyer signs in
// with the code from the outbox, enrols a second factor, finds the
// deposit, downloads each file and the ZIP, and the SHA-256 match; a
// stranger gets the 404 page.
func TestEndToEnd(t *testing.T) {
	n := startNode(t)
	agent := n.user(t, "greffe.amiens@justice.example", "Greffe correctionnel Amiens", navette.RoleAgent)
	lawyer := n.user(t, "leveque@avocat.example", "Maître Lévêque", navette.RolePartner)
	n.user(t, "autre@avocat.example", "Maître Autre", navette.RolePartner)

	ab := testbrowser.New(t, n.URL)
	signIn(t, n, ab, agent.Email)
	n.rate.Store(4 << 20)
	fillDeposit(ab, n, "leveque", "PARQUET 26/12345")
	sums := dropFiles(t, ab, dropped{"procès-verbal.pdf", 1, 3 << 20}, dropped{"audition.mp4", 2, 5 << 20})
	sum1, sum2 := sums[0], sums[1]
	ab.Axe("/new")
	ab.Run("send", chromedp.Click(chromedp.CSS("#send")))
	text := waitProgress(t, ab, 0.2)
	if !strings.Contains(text, "%") || !strings.Contains(text, "/s") || !strings.Contains(text, "restantes") {
		t.Errorf("progress shows no speed or time left: %q", text)
	}
	if s := ab.Text("#file-list li .status"); !strings.Contains(s, "%") {
		t.Errorf("per-file progress: %q", s)
	}
	if live := testbrowser.Eval[string](ab, `document.getElementById("live").textContent`); live == "" {
		t.Error("nothing announced to screen readers")
	}
	if !testbrowser.Eval[bool](ab, `document.getElementById("send").disabled`) {
		t.Error("Envoyer can be pressed again while sending")
	}
	ab.Axe("/new (sending)")
	ab.Run("wait for the deposit to be sent", chromedp.WaitVisible(chromedp.CSS(".facts")))
	n.rate.Store(0)
	id := depositID(t, ab.Location())
	if !strings.Contains(ab.Text("main"), "Le dépôt est envoyé") {
		t.Errorf("not sent: %s", ab.Text("main"))
	}
	ab.Axe("/deposits/{id} (sender)")
	page := ab.Text("main")
	for _, s := range []string{sum1, sum2, "Maître Lévêque", "Pas encore téléchargé"} {
		if !strings.Contains(page, s) {
			t.Errorf("the sender's page lacks %q", s)
		}
	}

	lb := testbrowser.New(t, n.URL)
	signIn(t, n, lb, lawyer.Email)
	if loc := lb.Location(); !strings.HasSuffix(loc, "/inbox") {
		t.Errorf("the lawyer starts at %s, want /inbox", loc)
	}
	lb.Axe("/inbox")
	if in := lb.Text("main"); !strings.Contains(in, "PARQUET 26/12345") || !strings.Contains(in, "Nouveau") {
		t.Errorf("inbox: %s", in)
	}
	lb.Run("open the deposit", chromedp.Click(chromedp.CSS(`a[href="/deposits/`+id+`"]`)), chromedp.WaitVisible(chromedp.CSS(".facts")))
	lb.Axe("/deposits/{id} (recipient)")
	v, err := n.app.Deposits.Get(context.Background(), lawyer, id)
	if err != nil || len(v.Files) != 2 {
		t.Fatalf("the deposit as the lawyer sees it: %+v, %v", v, err)
	}
	want := map[string]string{"procès-verbal.pdf": sum1, "audition.mp4": sum2}
	for _, f := range v.Files {
		got := lb.Download(chromedp.Click(chromedp.CSS(`a[href="/deposits/` + id + `/files/` + f.ID + `"]`)))
		if s := fileSHA(t, got); s != want[f.Name] {
			t.Errorf("downloaded %s has SHA-256 %s, want %s", f.Name, s, want[f.Name])
		} else if !strings.Contains(lb.Text("main"), s) {
			t.Errorf("the SHA-256 shown differs from the download's %s", s)
		}
	}
	zipPath := lb.Download(chromedp.Click(chromedp.CSS(`a[href="/deposits/` + id + `/zip"]`)))
	checkZip(t, zipPath, map[string]string{"procès-verbal.pdf": sum1, "audition.mp4": sum2})

	sb := testbrowser.New(t, n.URL)
	signIn(t, n, sb, "autre@avocat.example")
	res, err := chromedp.Run(sb.Ctx, chromedp.NavigateResponse(n.URL+"/deposits/"+id))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusNotFound || !strings.Contains(sb.Text("h1"), "Page introuvable") {
		t.Errorf("stranger: %d %q", res.Status, sb.Text("h1"))
	}
	sb.Axe("404")
}

func checkZip(t *testing.T, path string, want map[string]string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zipReader(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(zr) != len(want) {
		t.Errorf("zip holds %d files", len(zr))
	}
	for name, sum := range zr {
		if want[name] != sum {
			t.Errorf("zip: %s has SHA-256 %s, want %s", name, sum, want[name])
		}
	}
}

// TestResumeAfterReload: a sending cut halfway by a reload resumes where
// it stopped once the file is chosen again, and the deposit is sent
// without pressing "Envoyer" a second time.
func TestResumeAfterReload(t *testing.T) {
	n := startNode(t)
	agent := n.user(t, "greffe@justice.example", "Greffe", navette.RoleAgent)
	lawyer := n.user(t, "avocat@avocat.example", "Maître Avocat", navette.RolePartner)
	big, sum := tempFile(t, "scelle.bin", 24<<20)
	b := testbrowser.New(t, n.URL)
	signIn(t, n, b, agent.Email)
	n.rate.Store(6 << 20)
	fillDeposit(b, n, "avocat@", "RG 26/999", big)
	b.Run("send", chromedp.Click(chromedp.CSS("#send")))
	waitProgress(t, b, 0.45)
	b.Run("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#resume")))
	b.Axe("/new (resume)")
	if s := b.Text("#file-list li .status"); !strings.Contains(s, "Interrompu") {
		t.Errorf("after reload: %q", s)
	}
	if s := b.Text("#resume"); !strings.Contains(s, "choisissez de nouveau le fichier interrompu") || !strings.Contains(s, "il partira de lui-même") {
		t.Errorf("the resume message: %q", s)
	}
	if kept := testbrowser.Eval[string](b, `Object.keys(localStorage).map(k => k + "=" + localStorage.getItem(k)).join("\n")`); strings.Contains(kept, "scelle") || !strings.Contains(kept, "navette-tus::") {
		t.Errorf("the browser keeps a file name, or no upload to resume:\n%s", kept)
	}
	before := len(n.patchOffsets())
	b.Run("choose the file again",
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{big}),
		chromedp.WaitVisible(chromedp.CSS(".facts")),
	)
	n.rate.Store(0)
	after := n.patchOffsets()[before:]
	if len(after) == 0 || after[0] < 8<<20 {
		t.Errorf("the upload restarted from %v, not where it stopped", after)
	}
	id := depositID(t, b.Location())
	v, err := n.app.Deposits.Get(context.Background(), lawyer, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Files) != 1 || hex.EncodeToString(v.Files[0].SHA256) != sum {
		t.Errorf("stored file differs from the one chosen")
	}
	dl, err := n.app.Deposits.OpenFile(context.Background(), lawyer, id, v.Files[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if err := dl.WriteRange(context.Background(), h, 0, dl.Size()); err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(h.Sum(nil)) != sum {
		t.Error("downloaded content differs")
	}
}

// tabTo presses Tab until the focus is on an element matching sel (or
// leaves it there if it is already, the page having the focus), and fails
// t if the focused element shows no focus ring.
func tabTo(t *testing.T, b *testbrowser.Browser, sel string) {
	t.Helper()
	q := strconv.Quote(sel)
	for range 60 {
		if testbrowser.Eval[bool](b, `document.activeElement !== null && document.activeElement.matches(`+q+`) && document.activeElement.matches(":focus")`) {
			// A file input is hidden behind its label: the label's
			// "Choisir des fichiers" shows its focus.
			if o := testbrowser.Eval[string](b, `(function (e) {
				var pick = e.type === "file" && e.labels.length ? e.labels[0].querySelector(".pick") : null;
				return getComputedStyle(pick || e).outlineStyle;
			})(document.activeElement)`); o == "none" {
				t.Errorf("%s has no visible focus", sel)
			}
			return
		}
		b.Run("tab", chromedp.KeyEvent("\t"))
	}
	t.Fatalf("tab never reached %s", sel)
}

// keyboardSignIn signs email in with the keyboard alone: the address,
// the e-mailed code, then the enrolment of a TOTP second factor.
func keyboardSignIn(t *testing.T, n *node, b *testbrowser.Browser, email string) {
	t.Helper()
	b.Navigate(n.URL + "/signin")
	start := time.Now()
	tabTo(t, b, "#email")
	b.Run("type the address", chromedp.KeyEvent(email+"\r"), chromedp.WaitVisible(chromedp.CSS("#code")))
	tabTo(t, b, "#code")
	b.Run("type the code", chromedp.KeyEvent(n.code(t, email, start)+"\r"), chromedp.WaitVisible(chromedp.CSS("#totp-secret")))
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(b.Text("#totp-secret"), " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	tabTo(t, b, "#code")
	b.Run("type the TOTP code", chromedp.KeyEvent(totp.Code(secret, totp.Step(time.Now()))+"\r"),
		chromedp.WaitNotPresent(chromedp.CSS("#totp-secret")), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if loc := b.Location(); strings.Contains(loc, "/signin") {
		t.Fatalf("after signing in with the keyboard: %s", loc)
	}
	// The enrolment is followed by the recovery codes, shown once.
	if strings.Contains(b.Location(), "/account/recovery-codes") {
		tabTo(t, b, "#codes-done")
		b.Run("go on from the recovery codes", chromedp.KeyEvent("\r"),
			chromedp.WaitNotPresent(chromedp.CSS("#recovery-codes")), chromedp.WaitVisible(chromedp.CSS("main h1")))
	}
}

// TestKeyboardOnlyDeposit: with the keyboard alone (the operating
// system's file dialog aside), a clerk signs in, fills and sends a
// deposit, hearing the upload's progress (the live region), and the lawyer
// signs in, opens it from the inbox and downloads its file and the ZIP;
// the focus is visible at each step.
func TestKeyboardOnlyDeposit(t *testing.T) {
	n := startNode(t)
	agent := n.user(t, "greffe@justice.example", "Greffe", navette.RoleAgent)
	lawyer := n.user(t, "avocat@avocat.example", "Maître Avocat", navette.RolePartner)
	f, sum := tempFile(t, "piece.pdf", 100<<10)
	b := testbrowser.New(t, n.URL)
	keyboardSignIn(t, n, b, agent.Email)
	b.Navigate(n.URL + "/new")
	tabTo(t, b, "#recipient-input")
	b.Run("type a recipient", chromedp.KeyEvent("avocat@"), chromedp.WaitVisible(chromedp.CSS("#recipient-option-0")), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS("#recipients li")))
	tabTo(t, b, "#reference")
	b.Run("type the reference", chromedp.KeyEvent("RG 26/1"))
	tabTo(t, b, "#files")
	// The browser's own file button speaks the browser's language, not the
	// page's: it is hidden behind the label's French button.
	if got := testbrowser.Eval[string](b, `document.querySelector("label[for=files] .pick").innerText`); got != "Choisir des fichiers" {
		t.Errorf("file button: got %q, want %q", got, "Choisir des fichiers")
	}
	if w := testbrowser.Eval[float64](b, `document.getElementById("files").getBoundingClientRect().width`); w > 1 {
		t.Errorf("the native file control is %v px wide: its button would show in the browser's language", w)
	}
	b.Run("choose a file", chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{f}), chromedp.WaitVisible(chromedp.CSS("#file-list li")))
	// The upload is announced to screen readers while it runs: see
	// TestEndToEnd, which watches #live during the one-step send.
	tabTo(t, b, "#send")
	b.Run("send", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(".facts")))
	if !strings.Contains(b.Text("main"), "Le dépôt est envoyé") {
		t.Errorf("not sent: %s", b.Text("main"))
	}
	id := depositID(t, b.Location())

	lb := testbrowser.New(t, n.URL)
	keyboardSignIn(t, n, lb, lawyer.Email)
	tabTo(t, lb, `a[href="/deposits/`+id+`"]`)
	lb.Run("open the deposit", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(".facts")))
	tabTo(t, lb, `a[href^="/deposits/`+id+`/files/"]`)
	if got := fileSHA(t, lb.Download(chromedp.KeyEvent("\r"))); got != sum {
		t.Errorf("the file downloaded with the keyboard has SHA-256 %s, want %s", got, sum)
	}
	tabTo(t, lb, `a[href="/deposits/`+id+`/zip"]`)
	checkZip(t, lb.Download(chromedp.KeyEvent("\r")), map[string]string{"piece.pdf": sum})
}

// TestDSFRTheme signs in and deposits with the State theme, checking its
// pages with axe and that its assets load from the origin.
func TestDSFRTheme(t *testing.T) {
	n := startThemed(t, web.ThemeDSFR)
	agent := n.user(t, "greffe@justice.example", "Greffe", navette.RoleAgent)
	n.user(t, "avocat@avocat.example", "Maître Avocat", navette.RolePartner)
	f, _ := tempFile(t, "piece.pdf", 10<<10)
	b := testbrowser.New(t, n.URL)
	signIn(t, n, b, agent.Email)
	fillDeposit(b, n, "avocat@", "RG 26/7", f)
	b.Axe("/new (dsfr)")
	b.Run("send", chromedp.Click(chromedp.CSS("#send")), chromedp.WaitVisible(chromedp.CSS(".facts")))
	b.Axe("/deposits/{id} (dsfr)")
	b.Navigate(n.URL + "/sent")
	b.Axe("/sent (dsfr)")
	reqs := strings.Join(b.Requests(), "\n")
	for _, want := range []string{"/static/vendor/dsfr/dsfr.min.css", "/static/vendor/dsfr/fonts/Marianne-Regular.woff2"} {
		if !strings.Contains(reqs, want) {
			t.Errorf("the DSFR asset %s was not loaded", want)
		}
	}
}
