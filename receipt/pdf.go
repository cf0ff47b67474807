package receipt

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"regexp"
	"strconv"
	"unicode/utf16"
)

// Bounds of FromPDF.
const (
	MaxPDFSize       = 64 << 20 // the whole PDF
	maxPDFObjects    = 100000   // objects scanned
	maxEmbeddedFiles = 64
	maxPDFDict       = 64 << 10 // one dictionary's text
	maxPDFDepth      = 16
)

// AttachmentName is the name of the receipt's JSON attached to its PDF.
const AttachmentName = "receipt.json"

var objHeader = regexp.MustCompile(`(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj\b`)

// FromPDF returns the receipt JSON attached to a receipt PDF: the embedded
// file named receipt.json (or the only embedded file), uncompressed if it
// is FlateDecode-compressed. It reads plain (unencrypted, not
// object-stream) PDFs such as navette writes, and is bounded in size,
// object count and output.
func FromPDF(pdf []byte) ([]byte, error) {
	if len(pdf) > MaxPDFSize {
		return nil, failf("the PDF is larger than %d bytes", "le PDF dépasse %d octets", MaxPDFSize)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return nil, failf("not a PDF", "ce n'est pas un PDF")
	}
	a := &pdfAttachments{files: map[int][]byte{}, names: map[string]int{}}
	if err := a.scan(pdf); err != nil {
		return nil, err
	}
	return a.receipt()
}

// pdfAttachments are the files a PDF embeds, as FromPDF finds them.
type pdfAttachments struct {
	files map[int][]byte // embedded file streams by object number
	order []int          // their object numbers, first seen first
	names map[string]int // file spec names to their stream's object number
	// twice is set when two file specifications name different streams
	// receipt.json, one names two streams (EF's F and UF), or one
	// embedded file's object is defined twice with different bytes (an
	// incremental update, which a reader resolves by the cross-reference
	// table FromPDF does not read): which is the receipt would then be a
	// guess.
	twice bool
}

// scan reads the objects of pdf, one after the other, and keeps its
// embedded files and the names their file specifications give them.
func (a *pdfAttachments) scan(pdf []byte) error {
	pos, n := 0, 0
	for pos < len(pdf) {
		m := objHeader.FindSubmatchIndex(pdf[pos:])
		if m == nil {
			return nil
		}
		if n++; n > maxPDFObjects {
			return failf("the PDF has too many objects", "le PDF a trop d'objets")
		}
		num, _ := strconv.Atoi(string(pdf[pos+m[2] : pos+m[3]]))
		next, err := a.object(pdf, num, pos+m[1])
		if err != nil {
			return err
		}
		pos = next
	}
	return nil
}

// object reads the object num of pdf whose body starts at i, keeping it if
// it is an embedded file or a file specification, and returns where the
// scan goes on. An object that is not a dictionary is passed over.
func (a *pdfAttachments) object(pdf []byte, num, i int) (int, error) {
	p := &pdfParser{b: pdf, i: i}
	p.space()
	if !p.has("<<") {
		return i, nil
	}
	v, err := p.value(0)
	if err != nil {
		return i, nil
	}
	dict, _ := v.(pdfDict)
	switch {
	case dict.name("Type") == "EmbeddedFile":
		data, end, err := p.stream(dict)
		if err != nil {
			return 0, err
		}
		return end, a.addFile(num, data)
	case dict["EF"] != nil:
		a.addSpec(dict)
	}
	return p.i, nil
}

// addFile keeps the embedded file stream of object num.
func (a *pdfAttachments) addFile(num int, data []byte) error {
	if len(a.files) == maxEmbeddedFiles {
		return failf("the PDF has too many attached files", "le PDF a trop de fichiers joints")
	}
	if prev, dup := a.files[num]; !dup {
		a.order = append(a.order, num)
	} else if !bytes.Equal(prev, data) {
		a.twice = true
	}
	a.files[num] = data
	return nil
}

// addSpec keeps the name a file specification gives its embedded file.
func (a *pdfAttachments) addSpec(spec pdfDict) {
	ef, _ := spec["EF"].(pdfDict)
	ref, ok := ef["F"].(pdfRef)
	if uf, isRef := ef["UF"].(pdfRef); isRef && ok && uf != ref {
		a.twice = true // which of them is the attachment depends on the reader
	} else if isRef {
		ref, ok = uf, true
	}
	if !ok {
		return
	}
	for _, k := range []string{"UF", "F"} {
		if s, ok := spec[k].(pdfString); ok && s.text() != "" {
			if prev, ok := a.names[s.text()]; ok && prev != int(ref) && s.text() == AttachmentName {
				a.twice = true
			}
			a.names[s.text()] = int(ref)
			return
		}
	}
}

// receipt returns the file named receipt.json, or the only file,
// uncompressed; none when several are named receipt.json.
func (a *pdfAttachments) receipt() ([]byte, error) {
	if a.twice {
		return nil, failf("the PDF has several attached files named receipt.json, or two versions of one", "le PDF a plusieurs fichiers joints nommés receipt.json, ou deux versions d'un même fichier")
	}
	if num, ok := a.names[AttachmentName]; ok && a.files[num] != nil {
		return inflate(a.files[num])
	}
	switch len(a.order) {
	case 1:
		return inflate(a.files[a.order[0]])
	case 0:
		return nil, failf("the PDF has no attached receipt (receipt.json)", "le PDF n'a pas de reçu joint (receipt.json)")
	}
	return nil, failf("the PDF has several attached files and none named receipt.json", "le PDF a plusieurs fichiers joints et aucun ne s'appelle receipt.json")
}

func inflate(e []byte) ([]byte, error) {
	if e[0] == 0 {
		return e[1:], nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(e[1:]))
	if err != nil {
		return nil, failf("the attached receipt cannot be decompressed", "le reçu joint ne peut être décompressé")
	}
	out, err := io.ReadAll(io.LimitReader(zr, MaxReceiptSize+1))
	if err != nil {
		return nil, failf("the attached receipt cannot be decompressed", "le reçu joint ne peut être décompressé")
	}
	if len(out) > MaxReceiptSize {
		return nil, failf("the attached receipt is larger than %d bytes", "le reçu joint dépasse %d octets", MaxReceiptSize)
	}
	return out, nil
}

// PDF values: dictionaries, arrays, names, strings, numbers, references.
type (
	pdfDict   map[string]any
	pdfName   string
	pdfString []byte
	pdfRef    int
	pdfNum    int64
)

func (d pdfDict) name(k string) string {
	n, _ := d[k].(pdfName)
	return string(n)
}

// text decodes a PDF text string: UTF-16BE after a byte order mark, or
// PDFDocEncoding (read as Latin-1, enough for a file name).
func (s pdfString) text() string {
	if len(s) >= 2 && s[0] == 0xfe && s[1] == 0xff {
		u := make([]uint16, 0, len(s)/2)
		for i := 2; i+1 < len(s); i += 2 {
			u = append(u, uint16(s[i])<<8|uint16(s[i+1]))
		}
		return string(utf16.Decode(u))
	}
	r := make([]rune, len(s))
	for i, c := range s {
		r[i] = rune(c)
	}
	return string(r)
}

var errPDF = errors.New("malformed PDF object")

type pdfParser struct {
	b     []byte
	i     int
	start int
}

func (p *pdfParser) has(s string) bool { return bytes.HasPrefix(p.b[p.i:], []byte(s)) }

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == 0
}

func isPDFDelim(c byte) bool {
	return isPDFSpace(c) || bytes.IndexByte([]byte("()<>[]{}/%"), c) >= 0
}

// space skips white space and comments.
func (p *pdfParser) space() {
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case isPDFSpace(c):
			p.i++
		case c == '%':
			for p.i < len(p.b) && p.b[p.i] != '\n' && p.b[p.i] != '\r' {
				p.i++
			}
		default:
			return
		}
	}
}

// value reads one value (a dictionary at the top, as an object starts).
func (p *pdfParser) value(depth int) (any, error) {
	if !p.enter(depth) {
		return nil, errPDF
	}
	p.space()
	if p.i >= len(p.b) {
		return nil, errPDF
	}
	switch c := p.b[p.i]; {
	case p.has("<<"):
		p.i += 2
		return p.dict(depth)
	case c == '[':
		p.i++
		return p.array(depth)
	case c == '/':
		p.i++
		return pdfName(p.token()), nil
	case c == '(':
		return p.literal()
	case c == '<':
		return p.hexString()
	case isNumberStart(c):
		return p.number(), nil
	default:
		return p.keyword()
	}
}

// enter reports whether a value of the given depth, starting here, stays
// within the parser's bounds; a value at the top starts a new object.
func (p *pdfParser) enter(depth int) bool {
	if depth == 0 {
		p.start = p.i
	}
	return depth <= maxPDFDepth && p.i-p.start <= maxPDFDict
}

// keyword reads a bare word: true, false or null.
func (p *pdfParser) keyword() (any, error) {
	t := p.token()
	if len(t) == 0 {
		return nil, errPDF
	}
	return pdfName(t), nil
}

// isNumberStart reports whether c starts a number.
func isNumberStart(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.'
}

// token reads the bytes up to the next delimiter.
func (p *pdfParser) token() []byte {
	s := p.i
	for p.i < len(p.b) && !isPDFDelim(p.b[p.i]) {
		p.i++
	}
	return p.b[s:p.i]
}

// dict reads the rest of a dictionary after its "<<", of the given depth.
func (p *pdfParser) dict(depth int) (any, error) {
	d := pdfDict{}
	for {
		p.space()
		if p.has(">>") {
			p.i += 2
			return d, nil
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		name, ok := k.(pdfName)
		if !ok {
			return nil, errPDF
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d[string(name)] = v
	}
}

// array reads the rest of an array after its "[", of the given depth.
func (p *pdfParser) array(depth int) (any, error) {
	var a []any
	for {
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return a, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
}

// number reads an integer, or a reference "N G R"; a real number, not
// needed here, reads as -1.
func (p *pdfParser) number() any {
	n, err := strconv.ParseInt(string(p.token()), 10, 64)
	if err != nil {
		return pdfNum(-1)
	}
	save := p.i
	p.space()
	g := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	if p.i > g {
		p.space()
		if p.has("R") && (p.i+1 == len(p.b) || isPDFDelim(p.b[p.i+1])) {
			p.i++
			return pdfRef(n)
		}
	}
	p.i = save
	return pdfNum(n)
}

func (p *pdfParser) literal() (pdfString, error) {
	p.i++
	var s []byte
	nest := 0
	for p.i < len(p.b) {
		if p.i-p.start > maxPDFDict {
			return nil, errPDF
		}
		c := p.b[p.i]
		p.i++
		switch c {
		case '(':
			nest++
		case ')':
			if nest == 0 {
				return s, nil
			}
			nest--
		case '\\':
			e, ok, err := p.escape()
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			c = e
		}
		s = append(s, c)
	}
	return nil, errPDF
}

// pdfEscapes are the bytes a backslash and a letter stand for in a literal
// string.
var pdfEscapes = map[byte]byte{'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'f': '\f'}

// escape reads what follows a backslash in a literal string: the byte it
// stands for, or none (ok false) for a line continuation.
func (p *pdfParser) escape() (c byte, ok bool, err error) {
	if p.i >= len(p.b) {
		return 0, false, errPDF
	}
	c = p.b[p.i]
	p.i++
	if e, ok := pdfEscapes[c]; ok {
		return e, true, nil
	}
	switch {
	case c == '\r' || c == '\n':
		p.lineContinuation(c)
		return 0, false, nil
	case c >= '0' && c <= '7':
		return p.octal(c), true, nil
	}
	return c, true, nil
}

// lineContinuation skips the rest of the end of line whose first byte c
// follows a backslash: the LF of a CR LF.
func (p *pdfParser) lineContinuation(c byte) {
	if c == '\r' && p.i < len(p.b) && p.b[p.i] == '\n' {
		p.i++
	}
}

// octal reads the rest of an octal escape whose first digit is c: up to
// two more digits.
func (p *pdfParser) octal(c byte) byte {
	v := int(c - '0')
	for k := 0; k < 2 && p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '7'; k++ {
		v = v*8 + int(p.b[p.i]-'0')
		p.i++
	}
	return byte(v)
}

func (p *pdfParser) hexString() (pdfString, error) {
	p.i++
	digits, err := p.hexDigits()
	if err != nil {
		return nil, err
	}
	if len(digits)%2 == 1 {
		digits = append(digits, '0')
	}
	s := make([]byte, len(digits)/2)
	for i := range s {
		v, _ := strconv.ParseUint(string(digits[2*i:2*i+2]), 16, 8)
		s[i] = byte(v)
	}
	return s, nil
}

// hexDigits reads the hex digits of a hex string up to and past its ">",
// skipping white space.
func (p *pdfParser) hexDigits() ([]byte, error) {
	var digits []byte
	for p.i < len(p.b) && p.b[p.i] != '>' {
		if p.i-p.start > maxPDFDict {
			return nil, errPDF
		}
		c := p.b[p.i]
		p.i++
		if isPDFSpace(c) {
			continue
		}
		if _, err := strconv.ParseUint(string(c), 16, 8); err != nil {
			return nil, errPDF
		}
		digits = append(digits, c)
	}
	if p.i >= len(p.b) {
		return nil, errPDF
	}
	p.i++
	return digits, nil
}

// stream reads the stream after an embedded file's dictionary and returns
// its bytes prefixed by 1 if they are Flate-compressed, 0 if not, and the
// position after it.
func (p *pdfParser) stream(d pdfDict) ([]byte, int, error) {
	bad := failf("the PDF's attached file cannot be read", "le fichier joint au PDF est illisible")
	n, ok := d["Length"].(pdfNum)
	if !ok || n < 0 || n > MaxReceiptSize {
		return nil, 0, bad
	}
	flate, ok := flateFilter(d["Filter"])
	if !ok || !p.streamKeyword() || int64(len(p.b)-p.i) < int64(n) {
		return nil, 0, bad
	}
	data := p.b[p.i : p.i+int(n)]
	end := p.i + int(n)
	p.i = end
	p.space()
	if !p.has("endstream") {
		return nil, 0, bad
	}
	out := make([]byte, 1, len(data)+1)
	if flate {
		out[0] = 1
	}
	return append(out, data...), end, nil
}

// flateFilter reads a stream's Filter: ok when it is none or FlateDecode
// alone, flate when it is FlateDecode.
func flateFilter(f any) (flate, ok bool) {
	switch f := f.(type) {
	case nil:
		return false, true
	case pdfName:
		return f == "FlateDecode", f == "FlateDecode"
	case []any:
		if len(f) > 1 || len(f) == 1 && f[0] != pdfName("FlateDecode") {
			return false, false
		}
		return len(f) == 1, true
	}
	return false, false
}

// streamKeyword skips white space, the keyword "stream" and its end of
// line, and reports whether they were there.
func (p *pdfParser) streamKeyword() bool {
	p.space()
	if !p.has("stream") {
		return false
	}
	p.i += len("stream")
	for _, eol := range []string{"\r\n", "\n"} {
		if p.has(eol) {
			p.i += len(eol)
			return true
		}
	}
	return false
}
