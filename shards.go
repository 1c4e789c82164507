package digitbot

import (
	"fmt"
	"strconv"
	"strings"
)

// ShardRanges writes ascending shard ids as ranges, "0-15" or "0-3,8": the
// form of the `shard_ids` setting, also used wherever a process says which
// shards it runs.
func ShardRanges(ids []int) string {
	var parts []string
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", ids[i], ids[j]))
		} else {
			parts = append(parts, strconv.Itoa(ids[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
