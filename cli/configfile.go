package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The configuration file is flat TOML: "name = value" lines, where name
// is that of a flag of serve and value a string ("…" or '…'), an integer or
// true/false, with # comments. Tables, arrays, floats, dates and multi-line
// strings are refused: every setting of navette is one scalar, and a file
// any TOML reader understands is parsed here with the standard library
// alone.

// maxConfigSize bounds the configuration file read.
const maxConfigSize = 1 << 20

// valueKind is the TOML type of a value in the configuration file.
type valueKind int

const (
	kindString valueKind = iota
	kindInt
	kindBool
)

func (k valueKind) String() string {
	switch k {
	case kindInt:
		return "an integer"
	case kindBool:
		return "true or false"
	}
	return "a string"
}

// fileSetting is one "name = value" line of the configuration file.
type fileSetting struct {
	Key  string
	Line int
	Kind valueKind
	// Text is the value: a string's contents, an integer's digits
	// without underscores, "true" or "false".
	Text string
}

// configError is an error at a line of the configuration file.
type configError struct {
	Line int
	Msg  string
}

func (e *configError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// parseConfigFile reads the settings of a configuration file, in order.
// Errors name the line.
func parseConfigFile(r io.Reader) ([]fileSetting, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxConfigSize+1))
	sc.Buffer(make([]byte, 4096), maxConfigSize+1)
	var out []fileSetting
	seen := map[string]int{}
	n, size := 0, 0
	for sc.Scan() {
		n++
		raw := sc.Bytes()
		size += len(raw) + 1
		s, ok, err := readConfigLine(raw, n, size)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if prev, dup := seen[s.Key]; dup {
			return nil, &configError{n, fmt.Sprintf("%s is already set on line %d", s.Key, prev)}
		}
		seen[s.Key] = n
		s.Line = n
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, scanError(err, n)
	}
	return out, nil
}

// readConfigLine checks line n of the file, its bytes raw, the file being
// size bytes up to its end, and parses it; ok is false for a blank or
// comment line.
func readConfigLine(raw []byte, n, size int) (s fileSetting, ok bool, err error) {
	if size > maxConfigSize+1 {
		return s, false, &configError{n, "the file is larger than 1 MiB"}
	}
	if !utf8.Valid(raw) {
		return s, false, &configError{n, "not UTF-8"}
	}
	s, ok, err = parseConfigLine(strings.TrimSuffix(string(raw), "\r"))
	if err != nil {
		return s, false, &configError{n, err.Error()}
	}
	return s, ok, nil
}

// scanError is the error of a scanner that stopped after n lines: a line
// too long for it is a file too large.
func scanError(err error, n int) error {
	if errors.Is(err, bufio.ErrTooLong) {
		return &configError{n + 1, "the file is larger than 1 MiB"}
	}
	return err
}

// parseConfigLine parses one line; ok is false for a blank or comment line.
func parseConfigLine(line string) (s fileSetting, ok bool, err error) {
	rest := strings.TrimLeft(line, " \t")
	if rest == "" || rest[0] == '#' {
		return s, false, nil
	}
	if rest[0] == '[' {
		return s, false, errors.New("tables are not used: every setting is a top-level name = value")
	}
	if s.Key, rest, err = parseConfigKey(rest); err != nil {
		return s, false, err
	}
	var n int
	s.Kind, s.Text, n, err = parseConfigValue(rest)
	if err != nil {
		return s, false, fmt.Errorf("%s: %v", s.Key, err)
	}
	if err := checkConfigTail(s.Key, rest[n:]); err != nil {
		return s, false, err
	}
	return s, true, nil
}

// parseConfigKey reads a setting's name and the = after it, and returns the
// rest of the line, from its value.
func parseConfigKey(rest string) (key, value string, err error) {
	i := bareKeyLen(rest)
	if i == 0 {
		return "", "", errors.New(`expected a setting name = value (names are those of the flags of "navette serve", e.g. max-file-size)`)
	}
	key = rest[:i]
	rest = strings.TrimLeft(rest[i:], " \t")
	if rest == "" || rest[0] != '=' {
		if rest != "" && rest[0] == '.' {
			return key, "", fmt.Errorf("%s: dotted names are not used", key)
		}
		return key, "", fmt.Errorf("%s: expected = after the name", key)
	}
	return key, strings.TrimLeft(rest[1:], " \t"), nil
}

// checkConfigTail checks what follows a value: nothing, or a comment.
func checkConfigTail(key, tail string) error {
	tail = strings.TrimLeft(tail, " \t")
	if tail != "" && tail[0] != '#' {
		return fmt.Errorf("%s: unexpected %q after the value", key, clip(tail))
	}
	if tail != "" && strings.ContainsFunc(tail, isControl) {
		return errors.New("control character in a comment")
	}
	return nil
}

// bareKeyLen is the length of the bare key at the start of s.
func bareKeyLen(s string) int {
	i := 0
	for i < len(s) && isBareKeyByte(s[i]) {
		i++
	}
	return i
}

func isBareKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// isControl reports the characters TOML forbids in strings and comments
// (tab aside).
func isControl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }

// parseConfigValue parses the value at the start of v and returns how many
// bytes it took.
func parseConfigValue(v string) (valueKind, string, int, error) {
	switch {
	case v == "":
		return 0, "", 0, errors.New("the value is missing")
	case strings.HasPrefix(v, `"""`) || strings.HasPrefix(v, "'''"):
		return 0, "", 0, errors.New("multi-line strings are not used")
	case v[0] == '"':
		return parseBasicString(v)
	case v[0] == '\'':
		return parseLiteralString(v)
	case v[0] == '[' || v[0] == '{':
		return 0, "", 0, errors.New("arrays and tables are not used: give one value")
	}
	return parseBareValue(v)
}

// parseLiteralString parses a '…' string, which has no escapes.
func parseLiteralString(v string) (valueKind, string, int, error) {
	end := strings.IndexByte(v[1:], '\'')
	if end < 0 {
		return 0, "", 0, errors.New("the string has no closing '")
	}
	text := v[1 : 1+end]
	if strings.ContainsFunc(text, isControl) {
		return 0, "", 0, errors.New("control character in a string")
	}
	return kindString, text, end + 2, nil
}

// parseBareValue parses an unquoted value, up to a blank or a comment: a
// boolean or a decimal integer.
func parseBareValue(v string) (valueKind, string, int, error) {
	word := v
	if i := strings.IndexAny(v, " \t#"); i >= 0 {
		word = v[:i]
	}
	switch word {
	case "true", "false":
		return kindBool, word, len(word), nil
	}
	digits, err := parseTOMLInt(word)
	if err != nil {
		return 0, "", 0, err
	}
	return kindInt, digits, len(word), nil
}

// parseTOMLInt checks a decimal TOML integer (sign, underscores between
// digits, no leading zero) and returns it without underscores.
func parseTOMLInt(w string) (string, error) {
	bad := fmt.Errorf("%q is not a value: strings are quoted (\"30m\"), integers are decimal, booleans are true or false", clip(w))
	sign, body := cutSign(w)
	if body == "" || len(body) > 1 && body[0] == '0' {
		return "", bad
	}
	digits, ok := tomlDigits(body)
	if !ok {
		return "", bad
	}
	if sign == "-" {
		digits = "-" + digits
	}
	if _, err := strconv.ParseInt(digits, 10, 64); err != nil {
		return "", fmt.Errorf("%s is out of range", clip(w))
	}
	return digits, nil
}

// cutSign splits a TOML integer into its sign, "+", "-" or "" for none,
// and the rest.
func cutSign(w string) (sign, body string) {
	if w != "" && (w[0] == '+' || w[0] == '-') {
		return w[:1], w[1:]
	}
	return "", w
}

// tomlDigits returns body's digits without the underscores between them;
// ok is false for any other byte, or an underscore not between digits.
func tomlDigits(body string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case isDigit(c):
			b.WriteByte(c)
		case c == '_' && i > 0 && i < len(body)-1 && isDigit(body[i-1]) && isDigit(body[i+1]):
		default:
			return "", false
		}
	}
	return b.String(), true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseBasicString parses a "…" string with TOML's escapes.
func parseBasicString(v string) (valueKind, string, int, error) {
	var b strings.Builder
	for i := 1; i < len(v); {
		r, size := utf8.DecodeRuneInString(v[i:])
		switch {
		case r == '"':
			return kindString, b.String(), i + 1, nil
		case r == '\\':
			n, err := unescape(&b, v[i:])
			if err != nil {
				return 0, "", 0, err
			}
			i += n
		case isControl(r):
			return 0, "", 0, errors.New("control character in a string")
		default:
			b.WriteString(v[i : i+size])
			i += size
		}
	}
	return 0, "", 0, errors.New("the string has no closing \"")
}

// escapes are TOML's one-letter escapes and what they stand for.
var escapes = map[byte]byte{'b': '\b', 't': '\t', 'n': '\n', 'f': '\f', 'r': '\r', 'e': 0x1b, '"': '"', '\\': '\\'}

// unescape writes to b what the escape at the start of v (a backslash)
// stands for, and returns its length.
func unescape(b *strings.Builder, v string) (int, error) {
	if len(v) < 2 {
		return 0, errors.New("the string has no closing \"")
	}
	esc := v[1]
	if c, ok := escapes[esc]; ok {
		b.WriteByte(c)
		return 2, nil
	}
	if esc != 'u' && esc != 'U' {
		return 0, fmt.Errorf("bad escape \\%c", esc)
	}
	return unescapeCodePoint(b, v)
}

// unescapeCodePoint writes to b the character a \uXXXX or \UXXXXXXXX
// escape at the start of v stands for, and returns the escape's length.
func unescapeCodePoint(b *strings.Builder, v string) (int, error) {
	esc := v[1]
	n := 4
	if esc == 'U' {
		n = 8
	}
	if 2+n > len(v) {
		return 0, errors.New("short \\u escape")
	}
	cp, err := strconv.ParseUint(v[2:2+n], 16, 32)
	if err != nil || !utf8.ValidRune(rune(cp)) {
		return 0, fmt.Errorf("bad escape \\%c%s", esc, v[2:2+n])
	}
	b.WriteRune(rune(cp))
	return 2 + n, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// quoteTOML writes s as a TOML basic string.
func quoteTOML(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case isControl(r) || r == '\t':
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
