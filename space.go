package navette

import (
	"context"
	"math"
	"strconv"
	"strings"
)

// Space is the room on the file system under a blob store, in bytes.
type Space struct {
	Free  int64 // available to navette (not counting blocks reserved for root)
	Total int64 // size of the file system
}

// SpaceReporter is a BlobStore that can tell the room left under it: the
// local disk can, an object store cannot.
type SpaceReporter interface {
	Space(ctx context.Context) (Space, error)
}

// DefaultReserve is the free space kept by default: the larger of 5 % of
// the file system and 1 GiB.
const DefaultReserve = "5%/1GiB"

// Reserve is the free space an operator keeps on the blob storage: uploads
// that would leave less are refused. It is the larger of Percent of the file
// system and Bytes; the zero Reserve keeps nothing.
type Reserve struct {
	Percent float64 // 0 to 100
	Bytes   int64
}

// Of returns the bytes the reserve keeps on a file system of total bytes.
func (r Reserve) Of(total int64) int64 {
	p := int64(math.Ceil(float64(total) * r.Percent / 100))
	return max(p, r.Bytes)
}

// String writes the reserve as ParseReserve reads it.
func (r Reserve) String() string {
	var parts []string
	if r.Percent > 0 {
		parts = append(parts, strconv.FormatFloat(r.Percent, 'f', -1, 64)+"%")
	}
	if r.Bytes > 0 || len(parts) == 0 {
		parts = append(parts, exactSize(r.Bytes))
	}
	return strings.Join(parts, "/")
}

// sizeUnits are the units ParseReserve accepts, by suffix.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

// ParseReserve reads a reserve of free space: a size ("10GiB", "500MB",
// "1073741824"), a share of the file system ("5%", "0.5%"), or both
// separated by a slash ("5%/1GiB": the larger of the two). "0" keeps
// nothing. Units are B, KiB, MiB, GiB, TiB (powers of 1024; K, M, G, T too)
// and kB, MB, GB, TB (powers of 1000), in any case. Returns EINVALID for
// anything else.
func ParseReserve(s string) (Reserve, error) {
	bad := func() (Reserve, error) {
		return Reserve{}, Errorf(EINVALID, "A reserve of free space is a size such as 10GiB, a share such as 5%%, or both as 5%%/1GiB; %q is neither.", clip(s, 40))
	}
	var r Reserve
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) > 2 {
		return bad()
	}
	seenPct, seenSize := false, false
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if num, ok := strings.CutSuffix(p, "%"); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if seenPct || err != nil || !(v >= 0 && v <= 100) || strings.ContainsAny(num, "eEpPxX_") {
				return bad()
			}
			r.Percent, seenPct = v, true
			continue
		}
		n, ok := parseSize(p)
		if seenSize || !ok {
			return bad()
		}
		r.Bytes, seenSize = n, true
	}
	return r, nil
}

// parseSize reads a whole number of bytes with an optional unit.
func parseSize(s string) (int64, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 18 {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	unit, ok := sizeUnits[strings.ToLower(strings.TrimSpace(s[i:]))]
	if err != nil || !ok || n > math.MaxInt64/unit {
		return 0, false
	}
	return n * unit, true
}

// FormatSize writes n bytes in binary units, as file managers do: "1 GiB",
// "1.5 MiB", "100 B".
func FormatSize(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + units[i:i+1] + "iB"
}

// exactSize writes n bytes in the largest binary unit that divides it.
func exactSize(n int64) string {
	for _, u := range []string{"TiB", "GiB", "MiB", "KiB"} {
		if m := sizeUnits[strings.ToLower(u)]; n >= m && n%m == 0 {
			return strconv.FormatInt(n/m, 10) + u
		}
	}
	return strconv.FormatInt(n, 10)
}

// clip cuts s to at most n bytes, for echoing input in messages.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
