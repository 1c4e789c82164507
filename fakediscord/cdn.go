package fakediscord

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/gif" // image sizes for attachments, as Discord reports them
	_ "image/jpeg"
	_ "image/png"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	_ "golang.org/x/image/webp"
)

// attachmentURLLifetime is how long a signed CDN URL works (Discord: 24 h).
const attachmentURLLifetime = 24 * time.Hour

func detectContentType(name, given string, data []byte) string {
	if given != "" && given != "application/octet-stream" {
		return given
	}
	if ct := mime.TypeByExtension(strings.ToLower(path.Ext(name))); ct != "" {
		return ct
	}
	if given != "" {
		return given
	}
	return http.DetectContentType(data)
}

// sanitizeFilename mimics Discord replacing characters it does not keep.
func sanitizeFilename(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == ' ':
			b.WriteRune('_')
		case r < 0x20 || strings.ContainsRune(`/?#%"<>|*:`, r):
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}

// storeUploadsLocked keeps uploaded files on the CDN. Ephemeral ones (from
// ephemeral interaction responses and slash-command attachment options) live
// under /ephemeral-attachments/{app}/.
func (s *Server) storeUploadsLocked(channelID, appID string, ups []upload, ephemeral bool) []*storedFile {
	out := make([]*storedFile, 0, len(ups))
	now := s.clock.Now()
	for _, u := range ups {
		id := s.newIDLocked()
		name := sanitizeFilename(u.name)
		p := "/attachments/" + channelID + "/" + id + "/" + url.PathEscape(name)
		if ephemeral {
			p = "/ephemeral-attachments/" + appID + "/" + id + "/" + url.PathEscape(name)
		}
		f := &storedFile{ID: id, Path: p, Name: name, ContentType: detectContentType(name, u.contentType, u.data),
			Data: u.data, Created: now, Expires: now.Add(attachmentURLLifetime)}
		if strings.HasPrefix(f.ContentType, "image/") {
			if cfg, _, err := image.DecodeConfig(bytes.NewReader(u.data)); err == nil {
				w, h := cfg.Width, cfg.Height
				f.Width, f.Height = &w, &h
			}
		}
		f.Description = u.description
		s.files[id] = f
		out = append(out, f)
	}
	return out
}

func (s *Server) dropFilesLocked(files []*storedFile) {
	for _, f := range files {
		delete(s.files, f.ID)
	}
}

func (s *Server) signLocked(f *storedFile) string {
	ex := strconv.FormatInt(f.Expires.Unix(), 16)
	is := strconv.FormatInt(f.Created.Unix(), 16)
	mac := hmac.New(sha256.New, s.secret)
	fmt.Fprintf(mac, "%s|%s|%s", f.Path, ex, is)
	return "ex=" + ex + "&is=" + is + "&hm=" + hex.EncodeToString(mac.Sum(nil)) + "&"
}

func (s *Server) fileURLsLocked(f *storedFile) (cdnURL, proxyURL string) {
	q := s.signLocked(f)
	return "https://cdn.discordapp.com" + f.Path + "?" + q, "https://media.discordapp.net" + f.Path + "?" + q
}

func (s *Server) wireAttachmentLocked(f *storedFile, ephemeral bool) wireAttachment {
	u, p := s.fileURLsLocked(f)
	return wireAttachment{ID: f.ID, Filename: f.Name, Description: f.Description, ContentType: f.ContentType, Size: len(f.Data),
		URL: u, ProxyURL: p, Width: f.Width, Height: f.Height, Ephemeral: ephemeral}
}

// attachFilesLocked resolves attachment://name references in embeds to the
// uploaded files' CDN URLs; files used that way are not listed among the
// message's attachments, as on Discord.
func (s *Server) attachFilesLocked(files []*storedFile, embeds []*discordgo.MessageEmbed) ([]wireAttachment, []*discordgo.MessageEmbed) {
	byName := map[string]*storedFile{}
	for _, f := range files {
		byName[f.Name] = f
	}
	used := map[string]bool{}
	resolve := func(u string) (string, string, *storedFile) {
		name, ok := strings.CutPrefix(u, "attachment://")
		if !ok {
			return u, "", nil
		}
		f, ok := byName[sanitizeFilename(name)]
		if !ok {
			return u, "", nil
		}
		used[f.ID] = true
		cu, pu := s.fileURLsLocked(f)
		return cu, pu, f
	}
	out := make([]*discordgo.MessageEmbed, 0, len(embeds))
	for _, e := range embeds {
		if e == nil {
			out = append(out, e)
			continue
		}
		c := *e
		if e.Image != nil {
			img := *e.Image
			if u, p, f := resolve(img.URL); f != nil {
				img.URL, img.ProxyURL = u, p
				if f.Width != nil {
					img.Width, img.Height = *f.Width, *f.Height
				}
			}
			c.Image = &img
		}
		if e.Thumbnail != nil {
			th := *e.Thumbnail
			if u, p, f := resolve(th.URL); f != nil {
				th.URL, th.ProxyURL = u, p
				if f.Width != nil {
					th.Width, th.Height = *f.Width, *f.Height
				}
			}
			c.Thumbnail = &th
		}
		if e.Footer != nil {
			ft := *e.Footer
			if u, p, f := resolve(ft.IconURL); f != nil {
				ft.IconURL, ft.ProxyIconURL = u, p
			}
			c.Footer = &ft
		}
		if e.Author != nil {
			au := *e.Author
			if u, p, f := resolve(au.IconURL); f != nil {
				au.IconURL, au.ProxyIconURL = u, p
			}
			c.Author = &au
		}
		out = append(out, &c)
	}
	atts := []wireAttachment{}
	for _, f := range files {
		if !used[f.ID] {
			atts = append(atts, s.wireAttachmentLocked(f, strings.HasPrefix(f.Path, "/ephemeral-attachments/")))
		}
	}
	return atts, out
}

// serveCDN serves uploaded bytes when the URL's signature is valid and not
// expired on the server clock (Discord's CDN refuses unsigned or expired
// attachment URLs).
func (s *Server) serveCDN(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f, ok := s.files[r.PathValue("attachment_id")]
	var valid bool
	if ok {
		want := s.signLocked(f)
		q := r.URL.Query()
		got := "ex=" + q.Get("ex") + "&is=" + q.Get("is") + "&hm=" + q.Get("hm") + "&"
		valid = hmac.Equal([]byte(want), []byte(got)) && s.clock.Now().Before(f.Expires)
		unescaped, _ := url.PathUnescape(f.Path)
		if r.URL.Path != f.Path && r.URL.Path != unescaped {
			valid = false
		}
	}
	s.mu.Unlock()
	if !ok || !valid {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("This content is no longer available."))
		return
	}
	if mw, mh, ok := resizeRequest(r); ok && f.Width != nil {
		s.serveResized(w, r, f, mw, mh) // the media proxy, asked for a smaller copy (mediaproxy.go)
		return
	}
	s.mu.Lock()
	s.cdnStats.Originals++
	s.mu.Unlock()
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
	w.Header().Set("Cache-Control", "public, max-age=31536000")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(f.Data)
	}
}
