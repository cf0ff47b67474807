package client

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ParseReprDigest returns the SHA-256 digest of a Repr-Digest field (RFC
// 9530), given its field lines. The field is parsed strictly as an RFC 9651
// Dictionary: any syntax error fails the whole field, as does a sha-256
// member that is not a 32-byte Byte Sequence. Members for other algorithms
// are ignored. It returns nil, nil when the field is absent or has no
// sha-256 member.
func ParseReprDigest(lines []string) ([]byte, error) {
	if len(lines) == 0 {
		return nil, nil
	}
	dict, err := parseDictionary(strings.Join(lines, ","))
	if err != nil {
		return nil, fmt.Errorf("invalid Repr-Digest: %v", err)
	}
	v, ok := dict["sha-256"]
	if !ok {
		return nil, nil
	}
	if !v.isBytes {
		return nil, errors.New("invalid Repr-Digest: sha-256 is not a byte sequence")
	}
	if len(v.bytes) != sha256.Size {
		return nil, fmt.Errorf("invalid Repr-Digest: sha-256 has %d bytes, not %d", len(v.bytes), sha256.Size)
	}
	return v.bytes, nil
}

// FormatReprDigest returns the Repr-Digest field value of a SHA-256 digest.
func FormatReprDigest(sum []byte) string {
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum) + ":"
}

// sfValue is what the client keeps of a dictionary member: its bytes when
// it is a Byte Sequence item.
type sfValue struct {
	isBytes bool
	bytes   []byte
}

// sfParser parses structured field values (RFC 9651, section 4.2). Only
// byte sequences are kept; every other type is checked and discarded.
type sfParser struct {
	s string
	i int
}

var errSyntax = errors.New("syntax error")

func (p *sfParser) eof() bool { return p.i >= len(p.s) }
func (p *sfParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.i]
}
func (p *sfParser) skipSP() {
	for !p.eof() && p.s[p.i] == ' ' {
		p.i++
	}
}
func (p *sfParser) skipOWS() {
	for !p.eof() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// parseDictionary parses a whole field value as a Dictionary; a later
// member overrides an earlier one of the same key.
func parseDictionary(s string) (map[string]sfValue, error) {
	p := &sfParser{s: s}
	dict := map[string]sfValue{}
	p.skipSP()
	for !p.eof() {
		key, v, err := p.member()
		if err != nil {
			return nil, err
		}
		dict[key] = v
		if err := p.memberSeparator(); err != nil {
			return nil, err
		}
	}
	p.skipSP()
	if !p.eof() {
		return nil, fmt.Errorf("%w at %d", errSyntax, p.i)
	}
	return dict, nil
}

// member parses one dictionary member: a key and its value, or a key
// alone with its parameters (Boolean true).
func (p *sfParser) member() (string, sfValue, error) {
	key, err := p.key()
	if err != nil {
		return "", sfValue{}, err
	}
	if p.peek() != '=' {
		return key, sfValue{}, p.parameters()
	}
	p.i++
	v, err := p.itemOrInnerList()
	return key, v, err
}

// memberSeparator consumes the comma between two dictionary members and
// the whitespace around it; at the end of the field it consumes nothing.
func (p *sfParser) memberSeparator() error {
	p.skipOWS()
	if p.eof() {
		return nil
	}
	if p.s[p.i] != ',' {
		return fmt.Errorf("%w at %d: expected a comma", errSyntax, p.i)
	}
	p.i++
	p.skipOWS()
	if p.eof() {
		return fmt.Errorf("%w: trailing comma", errSyntax)
	}
	return nil
}

func (p *sfParser) itemOrInnerList() (sfValue, error) {
	if p.peek() == '(' {
		return sfValue{}, p.innerList()
	}
	v, err := p.bareItem()
	if err != nil {
		return sfValue{}, err
	}
	return v, p.parameters()
}

func (p *sfParser) innerList() error {
	p.i++ // (
	for !p.eof() {
		p.skipSP()
		if p.peek() == ')' {
			p.i++
			return p.parameters()
		}
		if _, err := p.bareItem(); err != nil {
			return err
		}
		if err := p.parameters(); err != nil {
			return err
		}
		if c := p.peek(); c != ' ' && c != ')' {
			return fmt.Errorf("%w at %d: in an inner list", errSyntax, p.i)
		}
	}
	return fmt.Errorf("%w: unterminated inner list", errSyntax)
}

func (p *sfParser) parameters() error {
	for p.peek() == ';' {
		p.i++
		p.skipSP()
		if _, err := p.key(); err != nil {
			return err
		}
		if p.peek() == '=' {
			p.i++
			if _, err := p.bareItem(); err != nil {
				return err
			}
		}
	}
	return nil
}

func isLCAlpha(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool   { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool   { return c >= 'A' && c <= 'Z' || isLCAlpha(c) }

func (p *sfParser) key() (string, error) {
	start := p.i
	if c := p.peek(); !isLCAlpha(c) && c != '*' {
		return "", fmt.Errorf("%w at %d: expected a key", errSyntax, p.i)
	}
	for !p.eof() && isKeyChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i], nil
}

// isKeyChar reports whether c may follow the first character of a key.
func isKeyChar(c byte) bool {
	return isLCAlpha(c) || isDigit(c) || strings.IndexByte("_-.*", c) >= 0
}

func (p *sfParser) bareItem() (sfValue, error) {
	c := p.peek()
	var err error
	switch {
	case c == '-' || isDigit(c):
		_, err = p.number()
	case c == '"':
		err = p.str()
	case c == '*' || isAlpha(c):
		p.token()
	case c == ':':
		b, err := p.byteSequence()
		return sfValue{isBytes: err == nil, bytes: b}, err
	case c == '?':
		err = p.boolean()
	case c == '@':
		err = p.date()
	case c == '%':
		err = p.displayString()
	default:
		err = fmt.Errorf("%w at %d: expected an item", errSyntax, p.i)
	}
	return sfValue{}, err
}

// date checks a Date: '@' and an Integer.
func (p *sfParser) date() error {
	p.i++ // @
	dec, err := p.number()
	if err == nil && dec {
		err = fmt.Errorf("%w: a date must be an integer", errSyntax)
	}
	return err
}

// number checks an Integer or Decimal and reports whether it was a Decimal.
func (p *sfParser) number() (decimal bool, err error) {
	if p.peek() == '-' {
		p.i++
	}
	if !isDigit(p.peek()) {
		return false, fmt.Errorf("%w at %d: expected a digit", errSyntax, p.i)
	}
	intDigits := p.digits()
	if intDigits > 15 {
		return false, fmt.Errorf("%w: number too long", errSyntax)
	}
	if p.peek() != '.' {
		return false, nil
	}
	if intDigits > 12 {
		return false, fmt.Errorf("%w: decimal too long", errSyntax)
	}
	p.i++ // .
	fracDigits := p.digits()
	if fracDigits > 3 {
		return false, fmt.Errorf("%w: number too long", errSyntax)
	}
	if fracDigits == 0 {
		return false, fmt.Errorf("%w: decimal ends with a dot", errSyntax)
	}
	return true, nil
}

// digits consumes a run of digits and returns its length.
func (p *sfParser) digits() int {
	start := p.i
	for isDigit(p.peek()) {
		p.i++
	}
	return p.i - start
}

func (p *sfParser) str() error {
	p.i++ // "
	for !p.eof() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if p.eof() || p.s[p.i] != '"' && p.s[p.i] != '\\' {
				return fmt.Errorf("%w: bad escape in a string", errSyntax)
			}
			p.i++
		case c == '"':
			return nil
		case c < 0x20 || c > 0x7e:
			return fmt.Errorf("%w: bad character in a string", errSyntax)
		}
	}
	return fmt.Errorf("%w: unterminated string", errSyntax)
}

func (p *sfParser) token() {
	p.i++ // first character checked by the caller
	for !p.eof() && isTokenChar(p.s[p.i]) {
		p.i++
	}
}

// isTokenChar reports whether c is a tchar, ':' or '/'.
func isTokenChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || strings.IndexByte("!#$%&'*+-.^_`|~:/", c) >= 0
}

func (p *sfParser) byteSequence() ([]byte, error) {
	p.i++ // :
	end := strings.IndexByte(p.s[p.i:], ':')
	if end < 0 {
		return nil, fmt.Errorf("%w: unterminated byte sequence", errSyntax)
	}
	b64 := p.s[p.i : p.i+end]
	p.i += end + 1
	return decodeSFBase64(b64)
}

// decodeSFBase64 decodes the base64 content of a Byte Sequence, whose
// padding is optional.
func decodeSFBase64(b64 string) ([]byte, error) {
	for i := 0; i < len(b64); i++ {
		if c := b64[i]; !isAlpha(c) && !isDigit(c) && c != '+' && c != '/' && c != '=' {
			return nil, fmt.Errorf("%w: bad character in a byte sequence", errSyntax)
		}
	}
	// Padding is optional (RFC 9651 section 4.2.7), but only at the end.
	data := strings.TrimRight(b64, "=")
	if strings.IndexByte(data, '=') >= 0 || len(b64)-len(data) > 2 {
		return nil, fmt.Errorf("%w: bad padding in a byte sequence", errSyntax)
	}
	b, err := base64.RawStdEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("%w: bad base64 in a byte sequence", errSyntax)
	}
	return b, nil
}

func (p *sfParser) boolean() error {
	p.i++ // ?
	if c := p.peek(); c != '0' && c != '1' {
		return fmt.Errorf("%w: bad boolean", errSyntax)
	}
	p.i++
	return nil
}

func (p *sfParser) displayString() error {
	p.i++ // %
	if p.peek() != '"' {
		return fmt.Errorf("%w: bad display string", errSyntax)
	}
	p.i++
	var b []byte
	for !p.eof() {
		c := p.s[p.i]
		p.i++
		switch {
		case c < 0x20 || c > 0x7e:
			return fmt.Errorf("%w: bad character in a display string", errSyntax)
		case c == '%':
			e, err := p.percentEscape()
			if err != nil {
				return err
			}
			b = append(b, e)
		case c == '"':
			if !utf8.Valid(b) {
				return fmt.Errorf("%w: display string is not UTF-8", errSyntax)
			}
			return nil
		default:
			b = append(b, c)
		}
	}
	return fmt.Errorf("%w: unterminated display string", errSyntax)
}

// percentEscape decodes the two lowercase hex digits after a '%' of a
// Display String.
func (p *sfParser) percentEscape() (byte, error) {
	if p.i+2 > len(p.s) || !isLowerHex(p.s[p.i]) || !isLowerHex(p.s[p.i+1]) {
		return 0, fmt.Errorf("%w: bad escape in a display string", errSyntax)
	}
	e := unhex(p.s[p.i])<<4 | unhex(p.s[p.i+1])
	p.i += 2
	return e, nil
}

func isLowerHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' }
func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c - 'a' + 10
}
