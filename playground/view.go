package playground

import (
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/fakediscord"
)

// messageView is a message as the page draws it: what a Discord client
// shows, with every file URL pointing at the playground instead of the CDN.
type messageView struct {
	ID          string           `json:"id"`
	Author      authorView       `json:"author"`
	Content     string           `json:"content"`
	Timestamp   time.Time        `json:"timestamp"`
	Edited      bool             `json:"edited"`
	Attachments []attachmentView `json:"attachments"`
	Embeds      []embedView      `json:"embeds"`
	Components  [][]buttonView   `json:"components"`
	ReplyTo     *replyView       `json:"replyTo,omitempty"`
	Interaction *interactionView `json:"interaction,omitempty"`
	// Ephemeral messages are seen only by the user they answer.
	Ephemeral bool `json:"ephemeral"`
	// Loading is a deferred answer: "digitbot is thinking…".
	Loading bool `json:"loading"`
	Deleted bool `json:"deleted"`
	// Edits orders snapshots of the same message: the page keeps the
	// newest.
	Edits int `json:"edits"`
	// HasImage says whether the context menu "Recognize digit" applies.
	HasImage bool `json:"hasImage"`
}

type authorView struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Bot   bool   `json:"bot"`
	Color string `json:"color"`
}

type attachmentView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	URL         string `json:"url"`
	ContentType string `json:"contentType"`
	Size        int    `json:"size"`
	Width       int    `json:"width,omitempty"`
	Height      int    `json:"height,omitempty"`
	Image       bool   `json:"image"`
}

type embedView struct {
	Title       string      `json:"title,omitempty"`
	Description string      `json:"description,omitempty"`
	Color       string      `json:"color,omitempty"`
	Fields      []fieldView `json:"fields,omitempty"`
	Image       string      `json:"image,omitempty"`
	Thumbnail   string      `json:"thumbnail,omitempty"`
	Footer      string      `json:"footer,omitempty"`
	Author      string      `json:"author,omitempty"`
}

type fieldView struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

type buttonView struct {
	CustomID string `json:"customId,omitempty"`
	Label    string `json:"label"`
	Emoji    string `json:"emoji,omitempty"`
	// Style is Discord's: primary, secondary, success, danger, link.
	Style    string `json:"style"`
	Disabled bool   `json:"disabled"`
	URL      string `json:"url,omitempty"`
}

type replyView struct {
	ID       string `json:"id"`
	Author   string `json:"author"`
	Snippet  string `json:"snippet"`
	HasImage bool   `json:"hasImage"`
	Missing  bool   `json:"missing"`
}

type interactionView struct {
	Name string `json:"name"`
	User string `json:"user"`
}

const botColor = "#23a55a"

// view converts a server snapshot for the page.
func (p *Playground) view(m *fakediscord.Message) messageView {
	v := messageView{
		ID: m.ID, Content: m.Content, Timestamp: m.Timestamp, Edited: edited(m),
		Attachments: []attachmentView{}, Embeds: []embedView{}, Components: [][]buttonView{},
		Ephemeral: m.Ephemeral, Loading: m.Loading, Deleted: m.Deleted, Edits: m.Edits,
	}
	v.Author = p.author(m.Author)
	for _, a := range m.Attachments {
		av := attachmentView{ID: a.ID, Name: a.Filename, URL: fileURL(a.URL), ContentType: a.ContentType, Size: a.Size,
			Width: a.Width, Height: a.Height, Image: inlineImageType(a.ContentType)}
		v.HasImage = v.HasImage || av.Image
		v.Attachments = append(v.Attachments, av)
	}
	for _, e := range m.Embeds {
		if e == nil {
			continue
		}
		ev := embedView{Title: e.Title, Description: e.Description}
		if e.Color != 0 {
			ev.Color = colorHex(e.Color)
		}
		for _, f := range e.Fields {
			if f != nil {
				ev.Fields = append(ev.Fields, fieldView{Name: f.Name, Value: f.Value, Inline: f.Inline})
			}
		}
		if e.Image != nil {
			ev.Image = fileURL(e.Image.URL)
			v.HasImage = v.HasImage || ev.Image != ""
		}
		if e.Thumbnail != nil {
			ev.Thumbnail = fileURL(e.Thumbnail.URL)
		}
		if e.Footer != nil {
			ev.Footer = e.Footer.Text
		}
		if e.Author != nil {
			ev.Author = e.Author.Name
		}
		v.Embeds = append(v.Embeds, ev)
	}
	for _, c := range m.Components {
		row, ok := c.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		var buttons []buttonView
		for _, rc := range row.Components {
			b, ok := rc.(*discordgo.Button)
			if !ok {
				continue
			}
			bv := buttonView{CustomID: b.CustomID, Label: b.Label, Style: buttonStyle(b.Style), Disabled: b.Disabled, URL: b.URL}
			if b.Emoji != nil {
				bv.Emoji = b.Emoji.Name
			}
			buttons = append(buttons, bv)
		}
		if len(buttons) > 0 {
			v.Components = append(v.Components, buttons)
		}
	}
	if m.MessageReference != nil && m.MessageReference.MessageID != "" {
		v.ReplyTo = p.reply(m.MessageReference.MessageID, m.ReferencedMessage)
	}
	if m.Interaction != nil && m.Type != discordgo.MessageTypeReply {
		iv := &interactionView{Name: m.Interaction.Name}
		if m.Interaction.User != nil {
			iv.User = p.author(m.Interaction.User).Name
		}
		v.Interaction = iv
	}
	return v
}

// edited says whether Discord would mark the message "(edited)": a
// deferred interaction answer replacing its "thinking…" placeholder is
// not an edit the user sees.
func edited(m *fakediscord.Message) bool {
	n := m.Edits
	if m.InteractionID != "" && m.Interaction != nil && m.Type != discordgo.MessageTypeReply {
		n-- // the first edit of a command's answer fills the deferred response
	}
	return n > 0
}

// author names a message's author as the page shows it.
func (p *Playground) author(u *discordgo.User) authorView {
	if u == nil {
		return authorView{Name: "unknown", Color: "#80848e"}
	}
	if pu, ok := p.userByID(u.ID); ok {
		return authorView{ID: u.ID, Name: pu.Name, Color: pu.Color}
	}
	name := u.GlobalName
	if name == "" {
		name = u.Username
	}
	color := "#80848e"
	if u.Bot {
		color = botColor
	}
	return authorView{ID: u.ID, Name: name, Bot: u.Bot, Color: color}
}

// reply describes the message a reply answers (Discord's grey line above
// a reply).
func (p *Playground) reply(id string, ref *discordgo.Message) *replyView {
	if ref == nil {
		if m, ok := p.srv.Message(id); ok && !m.Deleted {
			ref = m.Message
		}
	}
	if ref == nil {
		return &replyView{ID: id, Missing: true}
	}
	rv := &replyView{ID: id, Author: p.author(ref.Author).Name, Snippet: snippet(ref.Content, 80)}
	for _, a := range ref.Attachments {
		rv.HasImage = rv.HasImage || inlineImageType(a.ContentType)
	}
	if rv.Snippet == "" && len(ref.Embeds) > 0 && ref.Embeds[0] != nil {
		rv.Snippet = snippet(ref.Embeds[0].Title, 80)
	}
	return rv
}

// fileURL turns a CDN URL (https://cdn.discordapp.com/attachments/<channel>/<id>/<name>?...)
// into the playground's /files/<id>/<name>. Anything else is dropped: the
// page only loads images from its own origin.
func fileURL(cdn string) string {
	u, err := url.Parse(cdn)
	if err != nil || !digitbot.IsDiscordCDNHost(u.Host) {
		return ""
	}
	parts := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if len(parts) != 4 || (parts[0] != "attachments" && parts[0] != "ephemeral-attachments") {
		return ""
	}
	return "/files/" + parts[2] + "/" + parts[3]
}

// inlineImageType is true for the image types the page shows inline; any
// other file is offered as a download.
func inlineImageType(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	switch strings.TrimSpace(strings.ToLower(ct)) {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

func colorHex(c int) string {
	const hex = "0123456789abcdef"
	b := []byte("#000000")
	for i := 6; i >= 1; i-- {
		b[i] = hex[c&0xf]
		c >>= 4
	}
	return string(b)
}

func buttonStyle(s discordgo.ButtonStyle) string {
	switch s {
	case discordgo.PrimaryButton:
		return "primary"
	case discordgo.SuccessButton:
		return "success"
	case discordgo.DangerButton:
		return "danger"
	case discordgo.LinkButton:
		return "link"
	default:
		return "secondary"
	}
}

// snippet shortens text to n runes on one line.
func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
