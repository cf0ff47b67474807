// Package testbrowser drives Debian's Chromium, headless, for end-to-end
// tests of the web interface. It installs the browser with apt-get when
// /usr/bin/chromium is missing (under a lock file, so that test packages run
// in parallel install it once), starts it with a fresh profile, records
// every network request and fails the test if one leaves the origin under
// test, runs axe-core (vendored, see scripts/vendor-web.sh) on the pages it
// is asked to check, failing on any violation whatever its impact, and
// checks that nothing in a page reaches past the viewport's right edge. A browser
// that cannot be installed or started fails the test: it is never skipped.
// A package whose TestMain is Main shares one Chromium between its tests,
// each in a browser context of its own. Only tests import it.
package testbrowser

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"navette/internal/testtool"
)

// ExecPath is where Debian installs Chromium.
const ExecPath = "/usr/bin/chromium"

//go:embed axe/axe.min.js
var axeSource string

const installTimeout = 15 * time.Minute

var install = sync.OnceValue(installChromium)

// Install installs Debian's chromium package if ExecPath is missing.
func Install() error { return install() }

func installChromium() error {
	installed := func() bool {
		_, err := os.Stat(ExecPath)
		return err == nil
	}
	return testtool.Install(filepath.Join(os.TempDir(), "navette-chromium.lock"), "the chromium install", installed, aptInstall)
}

// aptInstall installs chromium with apt-get.
func aptInstall() error {
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	for _, args := range [][]string{
		{"apt-get", "-o", "DPkg::Lock::Timeout=600", "update"},
		{"apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", "chromium", "fonts-liberation"},
	} {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	if _, err := os.Stat(ExecPath); err != nil {
		return fmt.Errorf("apt-get installed chromium but %s is missing: %w", ExecPath, err)
	}
	return nil
}

// Browser is a headless Chromium tab bound to one origin.
type Browser struct {
	// Ctx is the chromedp context of the tab: pass it to chromedp.Run.
	Ctx    context.Context
	t      testing.TB
	origin string

	mu        sync.Mutex
	requests  []string
	offOrigin []string
	allowed   map[string]bool
	// urls are the URLs of the requests by id, and headers the headers
	// the browser sent: by id until its URL is known, then by URL.
	urls    map[network.RequestID]string
	pending map[network.RequestID]network.Headers
	headers map[string]network.Headers
}

// New starts a browser for pages of origin (scheme://host:port), stopped
// when t ends. Every request the tab makes is recorded; one to another
// origin fails t at its end. In a package whose TestMain is Main, the
// browser is a fresh browser context of the package's one Chromium: a
// profile of its own (cookies, storage, cache, downloads), kept in memory
// and thrown away when t ends.
func New(t testing.TB, origin string) *Browser {
	t.Helper()
	if err := Install(); err != nil {
		t.Fatalf("testbrowser: %v", err)
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		t.Fatalf("testbrowser: bad origin %q", origin)
	}
	var ctx context.Context
	var cancel func()
	parent, shares, err := sharedBrowser()
	if err != nil {
		t.Fatalf("testbrowser: start chromium: %v", err)
	}
	if shares {
		ctx, cancel = chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	} else {
		profile := t.TempDir()
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), options(profile)...)
		var cancelTab func()
		ctx, cancelTab = chromedp.NewContext(actx)
		cancel = func() {
			cancelTab()
			cancelAlloc()
		}
	}
	b := &Browser{Ctx: ctx, t: t, origin: u.Scheme + "://" + u.Host}
	t.Cleanup(func() {
		cancel()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, r := range b.offOrigin {
			t.Errorf("testbrowser: a request left the origin %s: %s", b.origin, r)
		}
	})
	if err := chromedp.Listen(ctx, b.record); err != nil {
		t.Fatalf("testbrowser: start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("testbrowser: enable the network domain: %v", err)
	}
	if shares {
		// The page keeps the focus as the one window of its own browser
		// would, whatever the windows of other browser contexts do: the
		// keyboard and passkeys need a focused page.
		if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
			t.Fatalf("testbrowser: keep the focus: %v", err)
		}
	}
	return b
}

// options are Chromium's options, with its profile in the directory
// profile.
func options(profile string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ExecPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints,DialMediaRouteProvider"),
		// Chromium's own background requests (component and extension
		// updates to update.googleapis.com and clients2.google.com, fetched
		// from gvt1.com) survive the flags above: Google's names do not
		// resolve, so that they never leave, and a test can prove that
		// nothing else does (TestNoEgress).
		// A page's request to any origin but its own fails the test all the
		// same (record).
		chromedp.Flag("host-resolver-rules", "MAP *.google.com ~NOTFOUND, MAP *.googleapis.com ~NOTFOUND, MAP *.gstatic.com ~NOTFOUND, MAP *.gvt1.com ~NOTFOUND"),
		chromedp.Flag("lang", "fr-FR"),
		chromedp.Env("TZ=Europe/Paris", "TMPDIR="+profile),
	}
}

// shared is the one Chromium of a package whose TestMain is Main, started
// by the first New.
var shared struct {
	sync.Mutex
	on      bool            // Main runs the package's tests
	ctx     context.Context // the browser's first tab, nil until started
	stop    func()
	profile string
}

// Main runs the package's tests (m.Run) with one Chromium for all of
// them, then stops it and exits with their status. Each New then opens a
// browser context of that Chromium, which takes a tab's time where
// starting a browser takes seconds of CPU. A package that needs a
// browser's own start under test (TestNoEgress watches its connections)
// does not use it.
func Main(m *testing.M) {
	shared.Lock()
	shared.on = true
	shared.Unlock()
	code := m.Run()
	stopShared()
	os.Exit(code)
}

// sharedBrowser returns the first tab of the package's one Chromium,
// starting it (again, if it has stopped), or false if the package's
// TestMain is not Main.
func sharedBrowser() (context.Context, bool, error) {
	shared.Lock()
	defer shared.Unlock()
	if !shared.on {
		return nil, false, nil
	}
	if shared.ctx != nil && shared.ctx.Err() == nil {
		return shared.ctx, true, nil
	}
	stopLocked()
	profile, err := os.MkdirTemp("", "navette-chromium-")
	if err != nil {
		return nil, true, err
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), options(profile)...)
	ctx, cancel := chromedp.NewContext(actx)
	shared.ctx, shared.profile = ctx, profile
	shared.stop = func() {
		cancel()
		cancelAlloc()
	}
	if err := chromedp.Do(ctx); err != nil {
		stopLocked()
		return nil, true, err
	}
	return ctx, true, nil
}

// stopShared stops the package's Chromium, if it runs, and removes its
// profile.
func stopShared() {
	shared.Lock()
	defer shared.Unlock()
	stopLocked()
}

func stopLocked() {
	if shared.stop != nil {
		shared.stop()
		os.RemoveAll(shared.profile)
	}
	shared.ctx, shared.stop, shared.profile = nil, nil, ""
}

// record notes each request, and the headers the browser sent with it;
// it runs on the browser's reading goroutine.
func (b *Browser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.urls == nil {
		b.urls, b.pending, b.headers = map[network.RequestID]string{}, map[network.RequestID]network.Headers{}, map[string]network.Headers{}
	}
	var e *network.EventRequestWillBeSent
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		e = ev
	case *network.EventRequestWillBeSentExtraInfo:
		if u, ok := b.urls[ev.RequestID]; ok {
			b.headers[u] = ev.Headers
		} else {
			b.pending[ev.RequestID] = ev.Headers
		}
		return
	default:
		return
	}
	raw := e.Request.URL
	b.urls[e.RequestID] = raw
	if h, ok := b.pending[e.RequestID]; ok {
		b.headers[raw] = h
		delete(b.pending, e.RequestID)
	}
	b.requests = append(b.requests, e.Request.Method+" "+raw)
	if strings.HasPrefix(raw, "data:") || strings.HasPrefix(raw, "blob:") || raw == "about:blank" {
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme+"://"+u.Host != b.origin && !b.allowed[u.Scheme+"://"+u.Host]) {
		b.offOrigin = append(b.offOrigin, e.Request.Method+" "+raw)
	}
}

// Tab opens another tab of the same browser for t (a parallel subtest):
// it shares b's cookies and allowed origins, and a request of its to
// another origin fails t.
func (b *Browser) Tab(t testing.TB) *Browser {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.Ctx)
	tab := &Browser{Ctx: ctx, t: t, origin: b.origin, allowed: map[string]bool{}}
	b.mu.Lock()
	for o := range b.allowed {
		tab.allowed[o] = true
	}
	b.mu.Unlock()
	t.Cleanup(func() {
		cancel()
		tab.mu.Lock()
		defer tab.mu.Unlock()
		for _, r := range tab.offOrigin {
			t.Errorf("testbrowser: a request left the origins under test: %s", r)
		}
	})
	if err := chromedp.Listen(ctx, tab.record); err != nil {
		t.Fatalf("testbrowser: open a tab: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("testbrowser: enable the network domain: %v", err)
	}
	return tab
}

// Allow lets the tab also load pages of origin (scheme://host:port): a
// second node under test, such as one in another theme.
func (b *Browser) Allow(origin string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.allowed == nil {
		b.allowed = map[string]bool{}
	}
	b.allowed[strings.TrimSuffix(origin, "/")] = true
}

// SentHeader returns the value of the header name (in any case) that the
// browser sent with its last request for url whose headers it reported,
// "" if none: the headers the browser adds itself, such as
// Sec-Fetch-Site, included. A download's own request is not reported.
func (b *Browser) SentHeader(url, name string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, v := range b.headers[url] {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// Requests returns the requests made so far, as "METHOD URL".
func (b *Browser) Requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...)
}

// Run runs actions in the tab, failing the test on error with what the
// tab shows then (its address and text) and its last requests.
func (b *Browser) Run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\n%s", what, err, b.shows())
	}
}

// shows describes the tab for a failure: its address, the start of its
// text and the last requests it made.
func (b *Browser) shows() string {
	ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
	defer cancel()
	page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(0, 2000)`))
	if err != nil {
		page = "(the page cannot be read: " + err.Error() + ")"
	}
	reqs := b.Requests()
	if len(reqs) > 10 {
		reqs = reqs[len(reqs)-10:]
	}
	return "the tab shows " + page + "\nits last requests:\n" + strings.Join(reqs, "\n")
}

// Eval evaluates a JavaScript expression in the page and decodes its value.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// Violation is an axe-core finding.
type Violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// Axe runs axe-core on the current page (WCAG 2.0, 2.1 A and AA rules and
// best practices) and fails the test for each violation, whatever its
// impact (minor ones included). It does not have axe fetch the style
// sheets again (preload), which only its check of a locked orientation
// needs and which costs most of its time on the DSFR's. axe-core is evaluated
// through the DevTools protocol, which the page's Content-Security-Policy
// does not govern, so the page needs no allowance for it.
func (b *Browser) Axe(page string) []Violation {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, time.Minute)
	defer cancel()
	// On a wide screen DSFR's script takes the menu's dialog name
	// (aria-labelledby) off, the menu being no dialog there; on a loaded
	// machine axe could run before it and see a name on an element with
	// no role.
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](dsfrMenuSettledJS)); err != nil {
		b.t.Fatalf("axe on %s: DSFR's script did not settle the menu: %v", page, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeSource+";void 0")); err != nil {
		b.t.Fatalf("axe on %s: load: %v", page, err)
	}
	const run = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}, resultTypes: ["violations"], preload: false})
	.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.map(n => n.target.join(" ") + " — " + (n.failureSummary || ""))}))))`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe on %s: %v", page, err)
	}
	var vs []Violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		b.t.Fatalf("axe on %s: %v", page, err)
	}
	for _, v := range vs {
		b.t.Errorf("axe on %s: %s (%s): %s\n  %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
	return vs
}

// dsfrMenuSettledJS is true once DSFR's header menu is as its script
// leaves it: hidden (a closed dialog, on a narrow screen) or without the
// dialog's name (on a wide one), or absent.
const dsfrMenuSettledJS = `(() => {
	const m = document.getElementById("modal-menu");
	return !m || !m.hasAttribute("aria-labelledby") || getComputedStyle(m).visibility === "hidden";
})()`

// overflowJS lists what makes the page wider than the viewport: the
// document itself, then each visible element whose right edge passes the
// viewport's, unless an ancestor clips it (overflow hidden or clip, as
// visually hidden texts are). Scrolling containers do not excuse an
// element: on a phone, a table scrolled sideways hides its buttons.
const overflowJS = `(() => {
	const w = window.innerWidth, out = [];
	const se = document.scrollingElement;
	if (se.scrollWidth > w) out.push("the document is " + se.scrollWidth + " px wide");
	const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
		(typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).join(".") : "");
	const clipped = el => {
		for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
			const s = getComputedStyle(a);
			if (/hidden|clip/.test(s.overflowX) && a.getBoundingClientRect().right <= w + 1) return true;
		}
		return false;
	};
	for (const el of document.body.querySelectorAll("*")) {
		const r = el.getBoundingClientRect();
		if (r.width === 0 || r.height === 0 || r.right <= w + 1) continue;
		if (getComputedStyle(el).visibility === "hidden" || clipped(el)) continue;
		out.push(name(el) + " ends at " + Math.round(r.right) + " px (" + (el.textContent || "").trim().slice(0, 40) + ")");
		if (out.length > 8) break;
	}
	return out;
})()`

// Fits fails the test if anything of the current page reaches past the
// viewport's right edge, which would make the page scroll sideways; it
// returns what does.
func (b *Browser) Fits(page string) []string {
	b.t.Helper()
	over := Eval[[]string](b, overflowJS)
	for _, o := range over {
		b.t.Errorf("%s overflows the viewport: %s", page, o)
	}
	return over
}

// Navigate loads url and waits for it.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.Run("navigate to "+url, chromedp.Navigate(url))
}

// Location returns the tab's URL.
func (b *Browser) Location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.Ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("location: %v", err)
	}
	return loc
}

// Text returns the text of the first element matching the CSS selector.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// Cookies returns the browser's cookies.
func (b *Browser) Cookies() []*network.Cookie {
	b.t.Helper()
	res, err := chromedp.Call(b.Ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		b.t.Fatalf("cookies: %v", err)
	}
	return res.Cookies
}

// Download runs click, which must start a download, and returns the path of
// the file once the browser has written it whole.
func (b *Browser) Download(click chromedp.Action[chromedp.Void]) string {
	b.t.Helper()
	dir := b.t.TempDir()
	ctx, cancel := context.WithTimeout(b.Ctx, 2*time.Minute)
	defer cancel()
	done := make(chan string, 1)
	guids := map[string]string{}
	var mu sync.Mutex
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	err := chromedp.ListenBrowser(lctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *browser.EventDownloadWillBegin:
			guids[e.GUID] = e.SuggestedFilename
		case *browser.EventDownloadProgress:
			if e.State == browser.DownloadProgressStateCompleted {
				select {
				case done <- e.GUID:
				default:
				}
			}
		}
	})
	if err != nil {
		b.t.Fatalf("download: %v", err)
	}
	_, err = chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: ptr(true),
		BrowserContextID: chromedp.FromContext(b.Ctx).BrowserContextID,
	})
	if err != nil {
		b.t.Fatalf("download: %v", err)
	}
	if err := chromedp.Do(ctx, click); err != nil {
		b.t.Fatalf("download: %v", err)
	}
	select {
	case guid := <-done:
		return filepath.Join(dir, guid)
	case <-ctx.Done():
		b.t.Fatalf("download: not finished: %v", ctx.Err())
	}
	return ""
}

func ptr[T any](v T) *T { return &v }
