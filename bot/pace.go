package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"
)

// identifyTurn is when a shard started at start may send its first
// IDENTIFY. Discord: "you may start up to max_concurrency shards at a
// time, and you must start them by bucket in order", with rate_limit_key
// = shard_id % max_concurrency and one IDENTIFY per key per 5 seconds
// (https://discord.com/developers/docs/events/gateway#max-concurrency).
// Shard k's turn is k / max_concurrency windows after the start: the
// buckets go in order within one process, and the processes of a fleet
// started together keep the same schedule without talking to each other.
// An IDENTIFY that comes too fast anyway gets op 9, which discordgo
// answers by identifying again; Start then waits for READY (shard.open).
func identifyTurn(start time.Time, shardID, maxConcurrency int, window time.Duration) time.Time {
	return start.Add(time.Duration(shardID/max(maxConcurrency, 1)) * window)
}

// sessionStartLimit is GET /gateway/bot's answer
// (https://discord.com/developers/docs/events/gateway#get-gateway-bot).
type sessionStartLimit struct {
	shards         int // recommended
	total          int
	remaining      int
	resetAfter     time.Duration
	maxConcurrency int
}

// SessionStartLimitError refuses a start that would use up Discord's
// daily session starts: "Upon hitting this limit, all active sessions for
// the app will be terminated, the bot token will be reset"
// (https://discord.com/developers/docs/events/gateway#identifying).
type SessionStartLimitError struct {
	Remaining  int           // session starts Discord still allows
	Total      int           // per period
	Needed     int           // shards this process would identify
	ResetAfter time.Duration // until the count is reset
}

func (e *SessionStartLimitError) Error() string {
	return fmt.Sprintf("discord allows %d more gateway session starts (of %d) for %s, and this process would start %d shards: "+
		"starting anyway would reach the limit, at which Discord resets the bot token; wait until the limit resets, or look for what keeps restarting the bot",
		e.Remaining, e.Total, e.ResetAfter.Round(time.Second), e.Needed)
}

// sessionStartLimit asks GET /gateway/bot.
func (b *Bot) sessionStartLimit(ctx context.Context) (sessionStartLimit, error) {
	rctx, cancel := context.WithTimeout(ctx, b.cfg.RequestTimeout)
	defer cancel()
	gb, err := b.s.GatewayBot(discordgo.WithContext(rctx))
	if err != nil {
		return sessionStartLimit{}, gatewayError(err)
	}
	l := gb.SessionStartLimit
	return sessionStartLimit{shards: gb.Shards, total: l.Total, remaining: l.Remaining,
		resetAfter: time.Duration(l.ResetAfter) * time.Millisecond, maxConcurrency: l.MaxConcurrency}, nil
}
