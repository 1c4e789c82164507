package bot

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Gateway close codes after which reconnecting cannot help.
const (
	closeAuthenticationFailed = 4004
	closeInvalidShard         = 4010
	closeShardingRequired     = 4011
	closeInvalidAPIVersion    = 4012
	closeInvalidIntents       = 4013
	closeDisallowedIntents    = 4014
)

// GatewayError is a refusal from Discord that retrying cannot fix: the
// operator has to change something, and Fix says what.
type GatewayError struct {
	CloseCode int    // the gateway close code, or 401 for a REST refusal
	Reason    string // what Discord said, in short
	Fix       string // what to do about it
}

func (e *GatewayError) Error() string {
	return fmt.Sprintf("discord refused the bot (%s, code %d): %s", e.Reason, e.CloseCode, e.Fix)
}

const fixToken = "reset the bot token in the Discord Developer Portal (Applications → your app → Bot → Reset Token) and set it in DIGITBOT_TOKEN or DIGITBOT_TOKEN_FILE"

// gatewayError turns the errors of discordgo's Open into a *GatewayError
// when they are final, and returns other errors unchanged.
func gatewayError(err error) error {
	if err == nil {
		return nil
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		switch ce.Code {
		case closeAuthenticationFailed:
			return &GatewayError{CloseCode: ce.Code, Reason: "authentication failed: the token is invalid", Fix: fixToken}
		case closeDisallowedIntents:
			return &GatewayError{CloseCode: ce.Code, Reason: "disallowed intents",
				Fix: "enable the Message Content intent in the Discord Developer Portal (Applications → your app → Bot → Privileged Gateway Intents), or set message_content_intent = false in the config file"}
		case closeInvalidIntents:
			return &GatewayError{CloseCode: ce.Code, Reason: "invalid intents", Fix: "this is a bug in digitbot: please report it"}
		case closeShardingRequired:
			return &GatewayError{CloseCode: ce.Code, Reason: "sharding required",
				Fix: "the bot is in too many servers for one connection: set shard_count = \"auto\" (the default, Discord's recommendation) or a larger shard_count (docs/operations.md, \"Limits of one process, and sharding\")"}
		case closeInvalidShard:
			return &GatewayError{CloseCode: ce.Code, Reason: "invalid shard",
				Fix: "shard_ids must be from 0 to shard_count-1, and shard_count the same in every process; a bot in over 150,000 servers must run a multiple of the shard count Discord gave it (shard_count = \"auto\" follows it)"}
		case closeInvalidAPIVersion:
			return &GatewayError{CloseCode: ce.Code, Reason: "invalid API version", Fix: "upgrade digitbot"}
		}
		return err
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized {
		return &GatewayError{CloseCode: http.StatusUnauthorized, Reason: "401 Unauthorized: the token is invalid", Fix: fixToken}
	}
	return err
}
