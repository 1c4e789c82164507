package fakediscord

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// ID is the interaction id.
func (i *Interaction) ID() string { return i.id }

// Token is the interaction token.
func (i *Interaction) Token() string { return i.Payload.Token }

func (i *Interaction) state() *interactionState { return i.s.interactions[i.id] }

// Response is the first (initial) response to an interaction.
type Response struct {
	Type int // callback type: 4, 5, 6, 7, 9...
	// Elapsed is the time from the interaction's creation to the response,
	// on the server clock.
	Elapsed time.Duration
	// Message is the response message: the reply (4), the loading message
	// (5), or the component's message (6, 7); nil for a modal.
	Message *Message
	// Modal is the modal's JSON for type 9.
	Modal json.RawMessage
}

func (i *Interaction) responseLocked() *Response {
	it := i.state()
	r := &Response{Type: it.respType, Elapsed: it.respElapsed, Modal: it.modal}
	if sm, ok := i.s.messages[it.originalID]; ok {
		r.Message = i.s.snapshotLocked(sm)
	}
	return r
}

// WaitResponse waits for the initial response. It fails early if the
// response deadline passed on the server clock without one.
func (i *Interaction) WaitResponse(ctx context.Context) (*Response, error) {
	var r *Response
	var dead bool
	err := i.s.waitFor(ctx, func() bool {
		it := i.state()
		if it.responded {
			r = i.responseLocked()
			return true
		}
		if i.s.clock.Now().Sub(it.created) > i.s.opts.ResponseDeadline {
			dead = true
			return true
		}
		return false
	})
	if err != nil {
		return nil, fmt.Errorf("fakediscord: waiting for the response to interaction %s: %w", i.id, err)
	}
	if dead {
		return nil, fmt.Errorf("fakediscord: interaction %s was not answered within %v (\"This interaction failed\")", i.id, i.s.opts.ResponseDeadline)
	}
	return r, nil
}

// Response returns the initial response, or nil if none yet.
func (i *Interaction) Response() *Response {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	if !i.state().responded {
		return nil
	}
	return i.responseLocked()
}

// WaitFinal waits until the visible result is complete and returns it: the
// reply for type 4 and 7, the edited original for type 5 (deferred), and the
// component's message once edited for type 6.
func (i *Interaction) WaitFinal(ctx context.Context) (*Message, error) {
	var out *Message
	err := i.s.waitFor(ctx, func() bool {
		it := i.state()
		if !it.responded {
			return false
		}
		sm, ok := i.s.messages[it.originalID]
		if !ok {
			return false
		}
		switch it.respType {
		case respDeferredChannelMsg:
			if sm.msg.Flags&msgFlagLoading != 0 && !sm.deleted {
				return false
			}
		case respDeferredUpdateMessage:
			if len(sm.versions) <= it.baseVersions && !sm.deleted {
				return false
			}
		}
		out = i.s.snapshotLocked(sm)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("fakediscord: waiting for the final response to interaction %s: %w", i.id, err)
	}
	return out, nil
}

// Original returns the @original message, or nil.
func (i *Interaction) Original() *Message {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	sm, ok := i.s.messages[i.state().originalID]
	if !ok {
		return nil
	}
	return i.s.snapshotLocked(sm)
}

// Followups returns the follow-up messages, oldest first.
func (i *Interaction) Followups() []*Message {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	var out []*Message
	for _, id := range i.state().followups {
		out = append(out, i.s.snapshotLocked(i.s.messages[id]))
	}
	return out
}

// WaitFollowups waits for at least n follow-ups.
func (i *Interaction) WaitFollowups(ctx context.Context, n int) ([]*Message, error) {
	if err := i.s.waitFor(ctx, func() bool { return len(i.state().followups) >= n }); err != nil {
		return nil, err
	}
	return i.Followups(), nil
}

// Ephemeral reports whether the initial response is visible only to the invoker.
func (i *Interaction) Ephemeral() bool {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	return i.state().ephemeral
}

// Acknowledged reports whether an initial response was accepted.
func (i *Interaction) Acknowledged() bool {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	return i.state().responded
}

// Failed reports whether the response deadline passed (server clock)
// without an initial response: the user sees "This interaction failed".
func (i *Interaction) Failed() bool {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	it := i.state()
	return !it.responded && i.s.clock.Now().Sub(it.created) > i.s.opts.ResponseDeadline
}

// Attempts returns every call the bot made about this interaction and its
// outcome (including refused ones), in order.
func (i *Interaction) Attempts() []ResponseAttempt {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	return append([]ResponseAttempt(nil), i.state().attempts...)
}

// WaitAttempts waits until the bot made at least n calls about the interaction.
func (i *Interaction) WaitAttempts(ctx context.Context, n int) ([]ResponseAttempt, error) {
	if err := i.s.waitFor(ctx, func() bool { return len(i.state().attempts) >= n }); err != nil {
		return nil, err
	}
	return i.Attempts(), nil
}
