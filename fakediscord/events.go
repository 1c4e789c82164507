package fakediscord

import (
	"sync"
)

// EventKind says what changed.
type EventKind string

// Event kinds published to subscribers.
const (
	EventMessageCreate       EventKind = "message_create"
	EventMessageUpdate       EventKind = "message_update"
	EventMessageDelete       EventKind = "message_delete"
	EventInteractionCreate   EventKind = "interaction_create"
	EventInteractionResponse EventKind = "interaction_response"
)

// Event is one change on the server, for live views such as the playground.
type Event struct {
	Kind          EventKind
	ChannelID     string
	GuildID       string
	MessageID     string
	Message       *Message // snapshot after the change (nil for interaction events)
	InteractionID string
	// VisibleTo is the only user who sees the message (ephemeral), or "".
	VisibleTo string
	// ResponseType is the interaction callback type for interaction_response.
	ResponseType int
}

// subscriber buffers events without bound so a slow reader never blocks the
// server; the pump goroutine hands them over in order.
type subscriber struct {
	mu    sync.Mutex
	queue []Event
	wake  chan struct{}
	done  chan struct{}
	once  sync.Once
	out   chan Event
}

func (sub *subscriber) push(e Event) {
	sub.mu.Lock()
	sub.queue = append(sub.queue, e)
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

func (sub *subscriber) close() { sub.once.Do(func() { close(sub.done) }) }

func (sub *subscriber) pump() {
	defer close(sub.out)
	for {
		sub.mu.Lock()
		var next *Event
		if len(sub.queue) > 0 {
			e := sub.queue[0]
			sub.queue = sub.queue[1:]
			next = &e
		}
		sub.mu.Unlock()
		if next == nil {
			select {
			case <-sub.wake:
				continue
			case <-sub.done:
				return
			}
		}
		select {
		case sub.out <- *next:
		case <-sub.done:
			return
		}
	}
}

// Subscribe streams every message create/edit/delete and interaction
// create/response from now on. Call cancel to stop; the channel is closed
// after cancel or when the server closes.
func (s *Server) Subscribe() (<-chan Event, func()) {
	sub := &subscriber{wake: make(chan struct{}, 1), done: make(chan struct{}), out: make(chan Event)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		close(sub.out)
		return sub.out, func() {}
	}
	s.subscribers[sub] = struct{}{}
	s.mu.Unlock()
	go sub.pump()
	return sub.out, func() {
		s.mu.Lock()
		delete(s.subscribers, sub)
		s.mu.Unlock()
		sub.close()
	}
}

func (s *Server) publishLocked(kind EventKind, sm *storedMessage) {
	if len(s.subscribers) == 0 {
		return
	}
	snap := s.snapshotLocked(sm)
	e := Event{Kind: kind, ChannelID: sm.msg.ChannelID, GuildID: sm.msg.GuildID, MessageID: sm.msg.ID,
		Message: snap, InteractionID: sm.interactionID, VisibleTo: sm.visibleTo}
	for sub := range s.subscribers {
		sub.push(e)
	}
}

func (s *Server) publishInteractionLocked(it *interactionState) {
	if len(s.subscribers) == 0 {
		return
	}
	kind := EventInteractionResponse
	if !it.responded {
		kind = EventInteractionCreate
	}
	e := Event{Kind: kind, ChannelID: it.channelID, GuildID: it.guildID, InteractionID: it.id, MessageID: it.originalID, ResponseType: it.respType}
	if it.ephemeral {
		e.VisibleTo = it.userID
	}
	for sub := range s.subscribers {
		sub.push(e)
	}
}
