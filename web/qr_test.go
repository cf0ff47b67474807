package web

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"rsc.io/qr"

	"navette"
	"navette/auth"
)

const testOTPURI = "otpauth://totp/navette:avocat%40avocat.example?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=navette&algorithm=SHA1&digits=6&period=30"

// qrModules parses a path drawn by qrPath back into the set of black
// modules, in the code's coordinates (without the quiet zone).
func qrModules(t *testing.T, d string) map[[2]int]bool {
	t.Helper()
	re := regexp.MustCompile(`^M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
	black := map[[2]int]bool{}
	for d != "" {
		m := re.FindStringSubmatch(d)
		if m == nil {
			t.Fatalf("path not made of runs at %.40q", d)
		}
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		if back, _ := strconv.Atoi(m[4]); back != n || n < 1 {
			t.Fatalf("run %q does not close", m[0])
		}
		for i := range n {
			k := [2]int{x + i - qrQuiet, y - qrQuiet}
			if black[k] {
				t.Fatalf("module %v drawn twice", k)
			}
			black[k] = true
		}
		d = d[len(m[0]):]
	}
	return black
}

func TestQRSVG(t *testing.T) {
	c, err := qr.Encode(testOTPURI, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	label := "QR code of your second factor's key"
	svg := string(qrSVG(testOTPURI, label))
	if !strings.HasPrefix(svg, "<svg ") || !strings.HasSuffix(svg, "</svg>") || strings.Count(svg, "<svg") != 1 {
		t.Fatalf("not one svg element: %.80s", svg)
	}
	side := strconv.Itoa(c.Size + 8)
	if want := `viewBox="0 0 ` + side + " " + side + `"`; !strings.Contains(svg, want) {
		t.Errorf("no %s in %.200s", want, svg)
	}
	for _, want := range []string{`shape-rendering="crispEdges"`, `role="img"`, `class="qr"`,
		`aria-label="QR code of your second factor&#39;s key"`, `<title>QR code of your second factor&#39;s key</title>`,
		`<rect width="` + side + `" height="` + side + `" fill="#fff"/>`} {
		if !strings.Contains(svg, want) {
			t.Errorf("no %s in %.300s", want, svg)
		}
	}
	if strings.Contains(svg, "style") {
		t.Error("inline style in the SVG: the CSP forbids it")
	}
	if strings.Contains(svg, "otpauth") || strings.Contains(svg, "JBSWY3DP") {
		t.Error("the encoded text leaks into the markup")
	}
	if n := strings.Count(svg, "<path"); n != 1 {
		t.Fatalf("%d paths, want 1", n)
	}
	m := regexp.MustCompile(`<path fill="#000" d="([^"]*)"/>`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatal("no path")
	}
	drawn := qrModules(t, m[1])
	want := 0
	for y := range c.Size {
		for x := range c.Size {
			if c.Black(x, y) {
				want++
				if !drawn[[2]int{x, y}] {
					t.Fatalf("black module (%d,%d) not drawn", x, y)
				}
			}
		}
	}
	if len(drawn) != want {
		t.Errorf("%d modules drawn, want %d", len(drawn), want)
	}
	// Runs are merged: fewer rectangles than modules.
	if runs := strings.Count(m[1], "M"); runs >= want {
		t.Errorf("%d runs for %d modules: not merged", runs, want)
	}
}

func TestQRSVGTooLong(t *testing.T) {
	if got := qrSVG(strings.Repeat("x", 5000), "label"); got != "" {
		t.Errorf("text too long for a QR code: got %.40s", got)
	}
}

// TestEnrolPageQR renders the enrolment page of a session at StageEnrol,
// in both themes and languages, and checks that it shows the QR code.
func TestEnrolPageQR(t *testing.T) {
	for _, theme := range []string{ThemeNavette, ThemeDSFR} {
		f := newFixture(t, theme)
		now := f.clock.Now()
		sess := &navette.Session{ID: navette.NewID(), Hash: make([]byte, 32), UserID: f.lawyer.ID, Stage: navette.StageEnrol,
			Method: "code", CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(time.Hour)}
		rand.Read(sess.Hash)
		if err := f.meta.CreateSession(t.Context(), sess); err != nil {
			t.Fatal(err)
		}
		for lang, label := range map[string]string{"fr": "Code QR de la clé de votre second facteur", "en": "QR code of your second factor&#39;s key"} {
			r := httptest.NewRequest(http.MethodGet, "/signin/enrol?lang="+lang, nil)
			r = r.WithContext(auth.NewContext(r.Context(), &auth.Current{Session: sess, User: f.lawyer, CSRF: "csrf-token"}))
			w := httptest.NewRecorder()
			f.mux.ServeHTTP(w, r)
			what := theme + " " + lang + " /signin/enrol"
			if w.Code != http.StatusOK {
				t.Fatalf("%s: status %d", what, w.Code)
			}
			body := w.Body.String()
			checkPage(t, what, body)
			if !strings.Contains(body, `<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 `) {
				t.Errorf("%s: no QR code", what)
			}
			if !strings.Contains(body, `aria-label="`+label+`"`) {
				t.Errorf("%s: QR code not labelled %q", what, label)
			}
			if !strings.Contains(body, `id="totp-secret"`) || !strings.Contains(body, `href="otpauth://`) {
				t.Errorf("%s: the key and link are gone", what)
			}
			if strings.Contains(body, "style=") {
				t.Errorf("%s: inline style, forbidden by the CSP", what)
			}
		}
	}
}
