package bot

import "testing"

// TestInShard: Discord's rule, (guild_id >> 22) % num_shards == shard_id,
// so a READY of one shard does not make the other shards' servers look
// removed.
func TestInShard(t *testing.T) {
	const id = "1200000000000000001" // >> 22 = 286102294387
	home := int((uint64(1200000000000000001) >> 22) % 4)
	for shard := range 4 {
		if got := inShard(id, shard, 4); got != (shard == home) {
			t.Errorf("shard %d of 4: %v, want %v", shard, got, shard == home)
		}
	}
	if !inShard(id, 0, 1) || !inShard(id, 0, 0) {
		t.Error("one shard holds every server")
	}
	if inShard("not-a-snowflake", 0, 2) {
		t.Error("an id that is no snowflake was placed in a shard")
	}
}
