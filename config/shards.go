package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/digitbot/digitbot"
)

// MaxShardCount bounds shard_count: far above any bot's needs (Discord
// asks for a shard per 2,500 servers at most), low enough that a typo
// does not open a million connections.
const MaxShardCount = 65536

// ShardCount is the bot's total number of shards: "auto" (N = 0) asks
// Discord for its recommendation at start; a number fixes it, as every
// process of a fleet must.
type ShardCount struct {
	N int
	// bad is what was written when it is neither "auto" nor a whole
	// number: Validate reports it with the key's name.
	bad string
}

// Auto reports whether the count is Discord's recommendation.
func (c ShardCount) Auto() bool { return c.N == 0 && c.bad == "" }

// String is "auto" or the number.
func (c ShardCount) String() string {
	if c.bad != "" {
		return c.bad
	}
	if c.N == 0 {
		return "auto"
	}
	return strconv.Itoa(c.N)
}

// MarshalText writes "auto" or the number.
func (c ShardCount) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalTOML takes `shard_count = "auto"` or `shard_count = 16`.
func (c *ShardCount) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		*c = ShardCount{N: int(v)}
		if v < 1 || v > MaxShardCount {
			c.N, c.bad = 0, strconv.FormatInt(v, 10)
		}
	case string:
		c.parse(v)
	default:
		*c = ShardCount{bad: fmt.Sprint(v)}
	}
	return nil
}

// parse reads "auto" or a number from a string (environment variables).
func (c *ShardCount) parse(v string) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "auto") {
		*c = ShardCount{}
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxShardCount {
		*c = ShardCount{bad: v}
		return
	}
	*c = ShardCount{N: n}
}

// ShardIDs are the shards one process runs, ascending: `shard_ids =
// "0-15"`, `"0,2,4-7"` or `[0, 1, 2]`. Empty: all of them.
type ShardIDs struct {
	IDs []int
	// bad and why describe a value that is not a list of shard ids.
	bad, why string
}

// String writes the ids as ranges ("0-15,20"), "" for all.
func (s ShardIDs) String() string {
	if s.bad != "" {
		return s.bad
	}
	return digitbot.ShardRanges(s.IDs)
}

// MarshalText writes the ids as ranges.
func (s ShardIDs) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalTOML takes a string of ids and ranges, or an array of ids.
func (s *ShardIDs) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		s.parse(v)
	case []any:
		var parts []string
		for _, e := range v {
			n, ok := e.(int64)
			if !ok {
				*s = ShardIDs{bad: fmt.Sprint(v), why: "an array of shard_ids must hold whole numbers"}
				return nil
			}
			parts = append(parts, strconv.FormatInt(n, 10))
		}
		s.parse(strings.Join(parts, ","))
	default:
		*s = ShardIDs{bad: fmt.Sprint(v), why: `must be a string of ids and ranges like "0-15" or "0,2,4-7"`}
	}
	return nil
}

// parse reads "0-15", "0,2,4-7", "3".
func (s *ShardIDs) parse(v string) {
	v = strings.TrimSpace(v)
	*s = ShardIDs{}
	if v == "" {
		return
	}
	fail := func(why string) { *s = ShardIDs{bad: v, why: why} }
	seen := map[int]bool{}
	var ids []int
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, errA := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		var errB error
		if isRange {
			b, errB = strconv.Atoi(strings.TrimSpace(hi))
		}
		switch {
		case part == "" || errA != nil || errB != nil:
			fail(fmt.Sprintf("%q is not a shard id or a range like 0-15", part))
			return
		case a < 0 || b < 0:
			fail(fmt.Sprintf("%q: shard ids start at 0", part))
			return
		case b < a:
			fail(fmt.Sprintf("the range %q runs backwards", part))
			return
		case b >= MaxShardCount:
			fail(fmt.Sprintf("%q: shard ids go up to %d", part, MaxShardCount-1))
			return
		}
		for id := a; id <= b; id++ {
			if seen[id] {
				fail(fmt.Sprintf("shard %d is listed twice", id))
				return
			}
			seen[id] = true
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	s.IDs = ids
}

// Sharding is the shard count and this process's shards, the older
// shard_id folded in: a count of 0 means "auto", no ids means all.
func (c Config) Sharding() (count int, ids []int) {
	ids = c.ShardIDs.IDs
	if c.ShardID != nil && !c.ShardCount.Auto() {
		ids = []int{*c.ShardID}
	}
	return c.ShardCount.N, slices.Clone(ids)
}

// validateSharding checks shard_count, shard_ids and the older shard_id
// together.
func (c Config) validateSharding() error {
	bad := func(key, value, reason string) error {
		return &ValidationError{Key: key, Env: envName(key), Value: value, Reason: reason}
	}
	if c.ShardCount.bad != "" {
		return bad("shard_count", c.ShardCount.bad, fmt.Sprintf(`must be "auto" (Discord's recommendation) or a whole number of shards from 1 to %d`, MaxShardCount))
	}
	if c.ShardIDs.bad != "" {
		return bad("shard_ids", c.ShardIDs.bad, c.ShardIDs.why)
	}
	if c.ShardID != nil {
		id := *c.ShardID
		switch {
		case len(c.ShardIDs.IDs) > 0:
			return bad("shard_id", strconv.Itoa(id), "set shard_ids only (shard_id is its older one-shard form)")
		case c.ShardCount.Auto() && id != 0:
			return bad("shard_id", strconv.Itoa(id), `a shard id needs a fixed shard_count, the same in every process (shard_count is "auto")`)
		case !c.ShardCount.Auto() && (id < 0 || id >= c.ShardCount.N):
			return bad("shard_id", strconv.Itoa(id), fmt.Sprintf("must be from 0 to shard_count-1 (%d)", c.ShardCount.N-1))
		}
	}
	if len(c.ShardIDs.IDs) > 0 {
		if c.ShardCount.Auto() {
			return bad("shard_ids", c.ShardIDs.String(), `a list of shards needs a fixed shard_count, the same in every process (shard_count is "auto", which may change between starts)`)
		}
		if last := c.ShardIDs.IDs[len(c.ShardIDs.IDs)-1]; last >= c.ShardCount.N {
			return bad("shard_ids", c.ShardIDs.String(), fmt.Sprintf("shard %d is not below shard_count %d: ids run from 0 to %d", last, c.ShardCount.N, c.ShardCount.N-1))
		}
	}
	return nil
}
