package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"
)

// paceIdentify delays a shard's first IDENTIFY so that the shards of a bot
// started all at once identify bucket by bucket, as Discord asks: "you may
// start up to max_concurrency shards at a time, and you must start them by
// bucket in order", with rate_limit_key = shard_id % max_concurrency and
// one IDENTIFY per key per 5 seconds
// (https://discord.com/developers/docs/events/gateway#max-concurrency).
// digitbot runs one process per shard, so the processes cannot take turns;
// shard k waits k / max_concurrency windows instead. An IDENTIFY that
// comes too fast anyway gets op 9, which discordgo answers by identifying
// again; Start then waits for READY (open).
func (b *Bot) paceIdentify(ctx context.Context) error {
	s := b.s
	if s.ShardCount <= 1 || s.ShardID <= 0 {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, b.cfg.RequestTimeout)
	gb, err := s.GatewayBot(discordgo.WithContext(rctx))
	cancel()
	if err != nil {
		return gatewayError(err)
	}
	mc := 1
	if gb.SessionStartLimit.MaxConcurrency > 0 {
		mc = gb.SessionStartLimit.MaxConcurrency
	}
	wait := time.Duration(s.ShardID/mc) * b.cfg.IdentifyInterval
	if wait <= 0 {
		return nil
	}
	b.log.Info("waiting for this shard's turn to identify", "shard_id", s.ShardID, "shard_count", s.ShardCount,
		"max_concurrency", mc, "wait", wait.String())
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bot: waiting for this shard's turn to identify: %w", ctx.Err())
	}
}
