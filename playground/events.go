package playground

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot/fakediscord"
)

// liveEvent is one Server-Sent Event for the page.
type liveEvent struct {
	name string // SSE event name: "message", "notice" or "modal"
	data any
	// visibleTo limits the event to one user's pages ("" = everyone).
	visibleTo string
}

// messageEvent is the data of a "message" event.
type messageEvent struct {
	Kind    string      `json:"kind"` // "create", "update", "delete"
	Message messageView `json:"message"`
}

// noticeEvent is the data of a "notice" event: something the Discord
// client itself would tell the user, e.g. "This interaction failed".
type noticeEvent struct {
	Level string `json:"level"`
	Text  string `json:"text"`
}

// clientBuffer is how many events a page may lag behind before its stream
// is cut; the browser reconnects and reloads the channel.
const clientBuffer = 256

type client struct {
	userID string
	events chan liveEvent
	gone   chan struct{}
	once   sync.Once
}

func (c *client) drop() { c.once.Do(func() { close(c.gone) }) }

// hub fans events out to the open pages.
type hub struct {
	mu      sync.Mutex
	clients map[*client]struct{}
	closed  bool
}

func newHub() *hub { return &hub{clients: map[*client]struct{}{}} }

func (h *hub) add(userID string) (*client, bool) {
	c := &client{userID: userID, events: make(chan liveEvent, clientBuffer), gone: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, false
	}
	h.clients[c] = struct{}{}
	return c, true
}

func (h *hub) remove(c *client) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
	c.drop()
}

// broadcast never blocks: a page that cannot keep up is cut off.
func (h *hub) broadcast(e liveEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if e.visibleTo != "" && e.visibleTo != c.userID {
			continue
		}
		select {
		case c.events <- e:
		default:
			delete(h.clients, c)
			c.drop()
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.clients {
		delete(h.clients, c)
		c.drop()
	}
}

// pump turns the server's changes in the channel into page events.
func (p *Playground) pump(events <-chan fakediscord.Event) {
	for {
		select {
		case <-p.ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			if e.Message == nil || e.ChannelID != p.channelID {
				continue
			}
			kind := "update"
			switch e.Kind {
			case fakediscord.EventMessageCreate:
				kind = "create"
			case fakediscord.EventMessageDelete:
				kind = "delete"
			}
			if e.Message.Deleted {
				kind = "delete"
			}
			p.hub.broadcast(liveEvent{name: "message", data: messageEvent{Kind: kind, Message: p.view(e.Message)}, visibleTo: e.VisibleTo})
		}
	}
}

// watch tells the user's pages when the bot does not answer an
// interaction within Discord's window, as Discord shows "This interaction
// failed", and shows them the dialog when the answer is a modal. Giving up
// waiting (ResponseWait) is not a failure by itself.
func (p *Playground) watch(it *fakediscord.Interaction, u User) {
	p.tasks.Go(func() {
		ctx, cancel := context.WithTimeout(p.ctx, p.wait)
		defer cancel()
		resp, err := it.WaitResponse(ctx)
		if err == nil && resp.Type == int(discordgo.InteractionResponseModal) {
			p.showModal(it, u)
			return
		}
		if err != nil && it.Failed() && p.ctx.Err() == nil {
			p.log.Warn("interaction not answered", "interaction", it.ID(), "err", err.Error())
			p.hub.broadcast(liveEvent{name: "notice", visibleTo: u.ID,
				data: noticeEvent{Level: "error", Text: "This interaction failed: digitbot did not answer in time."}})
		}
	})
}

// keepAlive is how often an idle stream gets a comment, so proxies and
// browsers keep it open.
const keepAlive = 20 * time.Second

// getEvents is the live stream of one user's view of the channel
// (text/event-stream). It starts with a "ready" event; the page loads the
// channel after it, so nothing falls between the load and the stream.
func (p *Playground) getEvents(w http.ResponseWriter, r *http.Request) {
	u, ok := p.user(r.URL.Query().Get("user"))
	if !ok {
		writeError(w, http.StatusBadRequest, p.unknownUser(r.URL.Query().Get("user")))
		return
	}
	rc := http.NewResponseController(w)
	c, ok := p.hub.add(u.ID)
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "The playground is shutting down.")
		return
	}
	defer p.hub.remove(c)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := writeSSE(w, "ready", map[string]string{"user": u.Key}); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.gone:
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case e := <-c.events:
			if writeSSE(w, e.name, e.data) != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

func writeSSE(w http.ResponseWriter, name string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
	return err
}
