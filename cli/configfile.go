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
		if size > maxConfigSize+1 {
			return nil, &configError{n, "the file is larger than 1 MiB"}
		}
		if !utf8.Valid(raw) {
			return nil, &configError{n, "not UTF-8"}
		}
		line := strings.TrimSuffix(string(raw), "\r")
		s, ok, err := parseConfigLine(line)
		if err != nil {
			return nil, &configError{n, err.Error()}
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
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &configError{n + 1, "the file is larger than 1 MiB"}
		}
		return nil, err
	}
	return out, nil
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
	i := 0
	for i < len(rest) && isBareKeyByte(rest[i]) {
		i++
	}
	if i == 0 {
		return s, false, errors.New(`expected a setting name = value (names are those of the flags of "navette serve", e.g. max-file-size)`)
	}
	s.Key = rest[:i]
	rest = strings.TrimLeft(rest[i:], " \t")
	if rest == "" || rest[0] != '=' {
		if rest != "" && rest[0] == '.' {
			return s, false, fmt.Errorf("%s: dotted names are not used", s.Key)
		}
		return s, false, fmt.Errorf("%s: expected = after the name", s.Key)
	}
	rest = strings.TrimLeft(rest[1:], " \t")
	var n int
	s.Kind, s.Text, n, err = parseConfigValue(rest)
	if err != nil {
		return s, false, fmt.Errorf("%s: %v", s.Key, err)
	}
	tail := strings.TrimLeft(rest[n:], " \t")
	if tail != "" && tail[0] != '#' {
		return s, false, fmt.Errorf("%s: unexpected %q after the value", s.Key, clip(tail))
	}
	if tail != "" && strings.ContainsFunc(tail, isControl) {
		return s, false, errors.New("control character in a comment")
	}
	return s, true, nil
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
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return 0, "", 0, errors.New("the string has no closing '")
		}
		text := v[1 : 1+end]
		if strings.ContainsFunc(text, isControl) {
			return 0, "", 0, errors.New("control character in a string")
		}
		return kindString, text, end + 2, nil
	case v[0] == '[' || v[0] == '{':
		return 0, "", 0, errors.New("arrays and tables are not used: give one value")
	}
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
	body := w
	if body != "" && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	if body == "" || len(body) > 1 && body[0] == '0' {
		return "", bad
	}
	var b strings.Builder
	if w[0] == '-' {
		b.WriteByte('-')
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '_' && i > 0 && i < len(body)-1 && isDigit(body[i-1]) && isDigit(body[i+1]):
		default:
			return "", bad
		}
	}
	if _, err := strconv.ParseInt(b.String(), 10, 64); err != nil {
		return "", fmt.Errorf("%s is out of range", clip(w))
	}
	return b.String(), nil
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
			if i+1 >= len(v) {
				return 0, "", 0, errors.New("the string has no closing \"")
			}
			esc := v[i+1]
			i += 2
			switch esc {
			case 'b':
				b.WriteByte('\b')
			case 't':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			case 'f':
				b.WriteByte('\f')
			case 'r':
				b.WriteByte('\r')
			case 'e':
				b.WriteByte(0x1b)
			case '"':
				b.WriteByte('"')
			case '\\':
				b.WriteByte('\\')
			case 'u', 'U':
				n := 4
				if esc == 'U' {
					n = 8
				}
				if i+n > len(v) {
					return 0, "", 0, errors.New("short \\u escape")
				}
				cp, err := strconv.ParseUint(v[i:i+n], 16, 32)
				if err != nil || !utf8.ValidRune(rune(cp)) {
					return 0, "", 0, fmt.Errorf("bad escape \\%c%s", esc, v[i:i+n])
				}
				b.WriteRune(rune(cp))
				i += n
			default:
				return 0, "", 0, fmt.Errorf("bad escape \\%c", esc)
			}
		case isControl(r):
			return 0, "", 0, errors.New("control character in a string")
		default:
			b.WriteString(v[i : i+size])
			i += size
		}
	}
	return 0, "", 0, errors.New("the string has no closing \"")
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
