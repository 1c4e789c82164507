package fakediscord

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// pressed opens a session, sends a message with a button and presses it.
func pressed(t *testing.T) (*Server, *discordgo.Session, *Interaction, *recorder) {
	t.Helper()
	srv := New(t, Options{})
	dg, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	msg, err := dg.ChannelMessageSendComplex(DefaultChannelID, &discordgo.MessageSend{Content: "fix?", Components: []discordgo.MessageComponent{buttonsRow("fix")}})
	if err != nil {
		t.Fatal(err)
	}
	it, err := srv.PressButton(ButtonOptions{MessageID: msg.ID, CustomID: "fix"})
	if err != nil {
		t.Fatal(err)
	}
	return srv, dg, it, rec
}

func numberModal(mutate func(*discordgo.InteractionResponseData, *discordgo.TextInput)) *discordgo.InteractionResponse {
	in := discordgo.TextInput{CustomID: "number", Label: "The number", Style: discordgo.TextInputShort,
		Value: "2026", Required: true, MinLength: 1, MaxLength: 12}
	data := &discordgo.InteractionResponseData{CustomID: "fix:1", Title: "What number did you write?"}
	if mutate != nil {
		mutate(data, &in)
	}
	if data.Components == nil {
		data.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{in}}}
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal, Data: data}
}

func TestModal_RefusesWhatDiscordRefuses(t *testing.T) {
	t.Parallel()
	row := func(ins ...discordgo.TextInput) discordgo.MessageComponent {
		r := discordgo.ActionsRow{}
		for _, in := range ins {
			r.Components = append(r.Components, in)
		}
		return r
	}
	input := func(id string) discordgo.TextInput {
		return discordgo.TextInput{CustomID: id, Label: "x", Style: discordgo.TextInputShort}
	}
	cases := map[string]func(*discordgo.InteractionResponseData, *discordgo.TextInput){
		"title of 46": func(d *discordgo.InteractionResponseData, _ *discordgo.TextInput) { d.Title = strings.Repeat("t", 46) },
		"no title":    func(d *discordgo.InteractionResponseData, _ *discordgo.TextInput) { d.Title = "" },
		"custom_id of 101": func(d *discordgo.InteractionResponseData, _ *discordgo.TextInput) {
			d.CustomID = strings.Repeat("c", 101)
		},
		"no rows": func(d *discordgo.InteractionResponseData, _ *discordgo.TextInput) {
			d.Components = []discordgo.MessageComponent{}
		},
		"six rows": func(d *discordgo.InteractionResponseData, _ *discordgo.TextInput) {
			d.Components = []discordgo.MessageComponent{row(input("a")), row(input("b")), row(input("c")), row(input("d")), row(input("e")), row(input("f"))}
		},
		"two inputs in a row": func(d *discordgo.InteractionResponseData, _ *discordgo.TextInput) {
			d.Components = []discordgo.MessageComponent{row(input("a"), input("b"))}
		},
		"a button in a modal": func(d *discordgo.InteractionResponseData, _ *discordgo.TextInput) {
			d.Components = []discordgo.MessageComponent{buttonsRow("b")}
		},
		"style 0": func(_ *discordgo.InteractionResponseData, in *discordgo.TextInput) { in.Style = 0 },
		"style 3": func(_ *discordgo.InteractionResponseData, in *discordgo.TextInput) { in.Style = 3 },
		"label of 46": func(_ *discordgo.InteractionResponseData, in *discordgo.TextInput) {
			in.Label = strings.Repeat("l", 46)
		},
		"no input custom_id": func(_ *discordgo.InteractionResponseData, in *discordgo.TextInput) { in.CustomID = "" },
		"min_length 4001": func(_ *discordgo.InteractionResponseData, in *discordgo.TextInput) {
			in.MinLength, in.MaxLength = 4001, 4000
		},
		"max_length 4001": func(_ *discordgo.InteractionResponseData, in *discordgo.TextInput) { in.MaxLength = 4001 },
		"max_length -1":   func(_ *discordgo.InteractionResponseData, in *discordgo.TextInput) { in.MaxLength = -1 },
		"min above max":   func(_ *discordgo.InteractionResponseData, in *discordgo.TextInput) { in.MinLength, in.MaxLength = 5, 4 },
		"placeholder of 101": func(_ *discordgo.InteractionResponseData, in *discordgo.TextInput) {
			in.Placeholder = strings.Repeat("p", 101)
		},
		"value of 4001": func(_ *discordgo.InteractionResponseData, in *discordgo.TextInput) {
			in.Value, in.MaxLength = strings.Repeat("v", 4001), 4000
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, dg, it, _ := pressed(t)
			err := dg.InteractionRespond(it.Payload, numberModal(mutate))
			if re := restErr(t, err); re.Message.Code != CodeInvalidFormBody {
				t.Fatalf("code %d, want %d: %v", re.Message.Code, CodeInvalidFormBody, err)
			}
			if it.Acknowledged() {
				t.Errorf("a refused modal acknowledged the interaction")
			}
		})
	}
	t.Run("the valid modal", func(t *testing.T) {
		t.Parallel()
		_, dg, it, _ := pressed(t)
		if err := dg.InteractionRespond(it.Payload, numberModal(nil)); err != nil {
			t.Fatal(err)
		}
		m, ok := it.Modal()
		if !ok || m.Title != "What number did you write?" || len(m.Inputs) != 1 {
			t.Fatalf("modal %+v %v", m, ok)
		}
		if in := m.Inputs[0]; in.CustomID != "number" || in.Value != "2026" || in.MinLength != 1 || in.MaxLength != 12 || !in.Required || in.Style != 1 {
			t.Errorf("input %+v", in)
		}
	})
}

func TestModal_OnlyAsTheFirstResponse(t *testing.T) {
	t.Parallel()
	_, dg, it, _ := pressed(t)
	if err := dg.InteractionRespond(it.Payload, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}); err != nil {
		t.Fatal(err)
	}
	err := dg.InteractionRespond(it.Payload, numberModal(nil))
	if re := restErr(t, err); re.Message.Code != CodeAlreadyAcknowledged {
		t.Fatalf("modal after a deferred update: %v, want %d", err, CodeAlreadyAcknowledged)
	}
	if _, ok := it.Modal(); ok {
		t.Errorf("the refused modal was recorded")
	}
}

func TestSubmitModal_EnforcesTheInputAsTheClientDoes(t *testing.T) {
	t.Parallel()
	srv, dg, it, rec := pressed(t)
	if err := dg.InteractionRespond(it.Payload, numberModal(nil)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "1234567890123", "20\n26"} {
		if _, err := srv.SubmitModal(ModalSubmitOptions{Opened: it, Values: map[string]string{"number": bad}}); err == nil {
			t.Errorf("submitted %q (required, 1-12 characters, one line)", bad)
		}
	}
	if _, err := srv.SubmitModal(ModalSubmitOptions{Opened: it, Values: map[string]string{"other": "1"}}); err == nil {
		t.Errorf("submitted an input the modal does not have")
	}
	// The client does not check what the characters are: that is the bot's job.
	sub, err := srv.SubmitModal(ModalSubmitOptions{Opened: it, Values: map[string]string{"number": "12a4"}})
	if err != nil {
		t.Fatal(err)
	}
	ev := rec.wait(t, "INTERACTION_CREATE", func(e *discordgo.Event) bool {
		return e.Struct.(*discordgo.InteractionCreate).ID == sub.ID()
	}).Struct.(*discordgo.InteractionCreate)
	data := ev.ModalSubmitData()
	if in := data.Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.TextInput); data.CustomID != "fix:1" || in.Value != "12a4" {
		t.Errorf("submission %+v", data)
	}
	if _, err := srv.SubmitModal(ModalSubmitOptions{Opened: it, Values: map[string]string{"number": "2028"}}); err == nil {
		t.Errorf("the same modal was submitted twice")
	}
}

func TestSubmitModal_UntouchedInputKeepsItsPrefill(t *testing.T) {
	t.Parallel()
	srv, dg, it, rec := pressed(t)
	if err := dg.InteractionRespond(it.Payload, numberModal(nil)); err != nil {
		t.Fatal(err)
	}
	sub, err := srv.SubmitModal(ModalSubmitOptions{Opened: it})
	if err != nil {
		t.Fatal(err)
	}
	ev := rec.wait(t, "INTERACTION_CREATE", func(e *discordgo.Event) bool {
		return e.Struct.(*discordgo.InteractionCreate).ID == sub.ID()
	}).Struct.(*discordgo.InteractionCreate)
	if in := ev.ModalSubmitData().Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.TextInput); in.Value != "2026" {
		t.Errorf("value %q, want the prefilled 2026", in.Value)
	}
	// A modal submit from a component may be answered with a deferred
	// update (6), which a plain slash command's could not.
	if err := dg.InteractionRespond(ev.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}); err != nil {
		t.Fatal(err)
	}
}
