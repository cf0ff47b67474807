package web

import (
	"html/template"
	"strconv"
	"strings"

	"rsc.io/qr"
)

// qrQuiet is the quiet zone around a QR code, in modules, as the standard
// requires for readers to find the code.
const qrQuiet = 4

// qrSVG returns a QR code of text as an inline SVG image labelled label, or
// "" if text is too long to encode. The markup is built from numbers only:
// text never appears in it, and label is escaped. It has no style attribute
// (the pages' Content-Security-Policy forbids inline styles); its size on
// screen comes from the "qr" class of the stylesheets. Each run of black
// modules on a row is one rectangle of the single path.
func qrSVG(text, label string) template.HTML {
	c, err := qr.Encode(text, qr.M)
	if err != nil {
		return ""
	}
	side := strconv.Itoa(c.Size + 2*qrQuiet)
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 `)
	b.WriteString(side + " " + side)
	b.WriteString(`" width="200" height="200" shape-rendering="crispEdges" role="img" aria-label="`)
	label = template.HTMLEscapeString(label)
	b.WriteString(label)
	b.WriteString(`"><title>`)
	b.WriteString(label)
	b.WriteString(`</title><rect width="`)
	b.WriteString(side)
	b.WriteString(`" height="`)
	b.WriteString(side)
	b.WriteString(`" fill="#fff"/><path fill="#000" d="`)
	b.WriteString(qrPath(c))
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String())
}

// qrPath returns the d attribute drawing every black module of c, shifted
// by the quiet zone: one "M{x} {y}h{n}v1h-{n}z" rectangle per horizontal
// run of black modules.
func qrPath(c *qr.Code) string {
	var b strings.Builder
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; {
			if !c.Black(x, y) {
				x++
				continue
			}
			n := 1
			for x+n < c.Size && c.Black(x+n, y) {
				n++
			}
			w := strconv.Itoa(n)
			b.WriteString("M" + strconv.Itoa(x+qrQuiet) + " " + strconv.Itoa(y+qrQuiet) + "h" + w + "v1h-" + w + "z")
			x += n
		}
	}
	return b.String()
}
