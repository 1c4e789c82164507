package playground

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/digitbot/digitbot/fakediscord"
)

// A bot answers a button press with a modal (response type 9); the page
// shows it as a dialog and sends back what the user typed, which the
// server delivers to the bot as a MODAL_SUBMIT interaction.

// modalLifetime is how long a modal can be submitted: as long as the
// interaction that opened it lives on Discord (its token, 15 minutes).
const modalLifetime = 15 * time.Minute

// openModal is a modal shown to one user and not yet submitted.
type openModal struct {
	opened *fakediscord.Interaction
	userID string
	at     time.Time
}

// modals holds the open modals by the id of the interaction they answer.
type modals struct {
	mu   sync.Mutex
	open map[string]openModal
}

func newModals() *modals { return &modals{open: map[string]openModal{}} }

// add keeps a modal, dropping those too old to submit (a dialog the user
// closed is never submitted).
func (m *modals) add(it *fakediscord.Interaction, userID string, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, o := range m.open {
		if now.Sub(o.at) > modalLifetime {
			delete(m.open, id)
		}
	}
	m.open[it.ID()] = openModal{opened: it, userID: userID, at: now}
}

// take removes and returns the modal a user may submit.
func (m *modals) take(interactionID, userID string) (openModal, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.open[interactionID]
	if !ok || o.userID != userID {
		return openModal{}, false
	}
	delete(m.open, interactionID)
	return o, true
}

// putBack returns a modal whose submission the client side refused, so
// the user can fix the input and submit again, as in Discord's dialog.
func (m *modals) putBack(o openModal) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.open[o.opened.ID()] = o
}

// modalEvent is the data of a "modal" event: a dialog to show.
type modalEvent struct {
	InteractionID string           `json:"interactionId"`
	Title         string           `json:"title"`
	Inputs        []modalInputView `json:"inputs"`
}

type modalInputView struct {
	CustomID    string `json:"customId"`
	Label       string `json:"label"`
	Paragraph   bool   `json:"paragraph"`
	MinLength   int    `json:"minLength"`
	MaxLength   int    `json:"maxLength"`
	Required    bool   `json:"required"`
	Value       string `json:"value"`
	Placeholder string `json:"placeholder"`
}

// showModal sends the modal an interaction was answered with to the pages
// of the user who opened it.
func (p *Playground) showModal(it *fakediscord.Interaction, u User) {
	m, ok := it.Modal()
	if !ok {
		return
	}
	ev := modalEvent{InteractionID: it.ID(), Title: m.Title}
	for _, in := range m.Inputs {
		ev.Inputs = append(ev.Inputs, modalInputView{
			CustomID: in.CustomID, Label: in.Label, Paragraph: in.Style == 2, MinLength: in.MinLength,
			MaxLength: in.MaxLength, Required: in.Required, Value: in.Value, Placeholder: in.Placeholder,
		})
	}
	p.modals.add(it, u.ID, time.Now())
	p.hub.broadcast(liveEvent{name: "modal", data: ev, visibleTo: u.ID})
}

type modalRequest struct {
	interactionRequest
	InteractionID string            `json:"interactionId"`
	Values        map[string]string `json:"values"`
}

// postModal submits a modal the user was shown.
func (p *Playground) postModal(w http.ResponseWriter, r *http.Request) {
	var req modalRequest
	if !p.decodeJSON(w, r, maxJSONBody, &req) {
		return
	}
	actor, u, ok := p.actor(w, req.interactionRequest)
	if !ok {
		return
	}
	o, ok := p.modals.take(req.InteractionID, u.ID)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("%s has no open dialog %q: it was already sent, or it is too old.", u.Name, req.InteractionID))
		return
	}
	it, err := p.srv.SubmitModal(fakediscord.ModalSubmitOptions{Opened: o.opened, Values: req.Values, Locale: actor.Locale})
	if err != nil {
		p.modals.putBack(o)
		writeError(w, http.StatusBadRequest, serverSentence(err))
		return
	}
	p.watch(it, u)
	writeJSON(w, http.StatusAccepted, map[string]string{"interactionId": it.ID()})
}
