package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
)

// maxRedirects bounds redirects when downloading an attachment.
const maxRedirects = 3

// fetcher downloads attachments under the bot's download rules: https only, from Discord's
// attachment hosts only (checked again on every redirect), at most
// maxBytes, within a timeout, and never with the bot token: it has its own
// http.Client and sets no Authorization header.
type fetcher struct {
	client    *http.Client
	hosts     map[string]bool
	maxBytes  int64
	maxPixels int
	timeout   time.Duration
}

func newFetcher(base *http.Client, hosts []string, maxBytes int64, maxPixels int, timeout time.Duration) *fetcher {
	f := &fetcher{hosts: map[string]bool{}, maxBytes: maxBytes, maxPixels: maxPixels, timeout: timeout}
	for _, h := range hosts {
		f.hosts[strings.ToLower(h)] = true
	}
	c := &http.Client{}
	if base != nil {
		*c = *base // a copy: we set our own redirect policy, the caller's client stays as it was
	}
	c.Jar = nil
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return fmt.Errorf("more than %d redirects", maxRedirects)
		}
		req.Header.Del("Authorization")
		return f.checkURL(req.URL)
	}
	f.client = c
	return f
}

// errHostNotAllowed marks a URL outside Discord's attachment hosts.
var errHostNotAllowed = errors.New("attachment URL is not on an allowed https host")

// checkURL allows only https URLs on the allowed hosts, on the default port.
func (f *fetcher) checkURL(u *url.URL) error {
	if u.Scheme != "https" || u.User != nil || (u.Port() != "" && u.Port() != "443") || !f.hosts[strings.ToLower(u.Hostname())] {
		return fmt.Errorf("%w: %s://%s", errHostNotAllowed, u.Scheme, u.Host)
	}
	return nil
}

// imageExtensions are file names we treat as images when Discord did not
// say a content type.
var imageExtensions = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".bmp": true,
	".tif": true, ".tiff": true, ".webp": true,
}

// knownUnsupported reports whether an attachment is, by its content type or
// name, a picture format the classifier refuses (TIFF, HEIC/HEIF, AVIF).
func knownUnsupported(a *discordgo.MessageAttachment) bool {
	mt, _, _ := mime.ParseMediaType(a.ContentType)
	switch strings.ToLower(mt) {
	case "image/tiff", "image/tiff-fx", "image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence", "image/avif":
		return true
	}
	switch strings.ToLower(path.Ext(a.Filename)) {
	case ".tif", ".tiff", ".heic", ".heif", ".avif":
		return true
	}
	return false
}

// looksLikeImage reports whether an attachment claims to be a picture.
func looksLikeImage(a *discordgo.MessageAttachment) bool {
	if a.ContentType != "" {
		return strings.HasPrefix(strings.ToLower(a.ContentType), "image/")
	}
	return imageExtensions[strings.ToLower(path.Ext(a.Filename))]
}

// precheck refuses what Discord's metadata already shows is unusable, so
// nothing is downloaded for it.
func (f *fetcher) precheck(a *discordgo.MessageAttachment) error {
	if knownUnsupported(a) {
		// The classifier refuses these from their first bytes anyway:
		// downloading them would only cost the bandwidth.
		return digitbot.Errorf(digitbot.EUNSUPPORTED, "%s is in a format the bot does not read (%s)", a.Filename, a.ContentType)
	}
	if a.ContentType != "" {
		mt, _, err := mime.ParseMediaType(a.ContentType)
		if err != nil || !strings.HasPrefix(mt, "image/") {
			return digitbot.Errorf(digitbot.EUNSUPPORTED, "%s is not an image (%s)", a.Filename, a.ContentType)
		}
	}
	if f.maxBytes > 0 && int64(a.Size) > f.maxBytes {
		return digitbot.Errorf(digitbot.ETOOLARGE, "%s has %d bytes, over the %d byte limit", a.Filename, a.Size, f.maxBytes)
	}
	if f.maxPixels > 0 && a.Width > 0 && a.Height > 0 && int64(a.Width)*int64(a.Height) > int64(f.maxPixels) {
		return digitbot.Errorf(digitbot.ETOOLARGE, "%s is %dx%d pixels, over the %d pixel limit", a.Filename, a.Width, a.Height, f.maxPixels)
	}
	return nil
}

// fetch downloads an attachment. Errors are *digitbot.Error: ETOOLARGE,
// EUNSUPPORTED, EFORBIDDEN (not a Discord URL) or EUNAVAILABLE.
func (f *fetcher) fetch(ctx context.Context, a *discordgo.MessageAttachment) ([]byte, error) {
	if err := f.precheck(a); err != nil {
		return nil, err
	}
	raw := a.URL
	if raw == "" {
		raw = a.ProxyURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, digitbot.WrapError(digitbot.EFORBIDDEN, "the attachment URL is not valid", err)
	}
	if err := f.checkURL(u); err != nil {
		return nil, digitbot.WrapError(digitbot.EFORBIDDEN, "the attachment is not on Discord's servers", err)
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, digitbot.WrapError(digitbot.EUNAVAILABLE, "could not download the attachment", err)
	}
	req.Header.Set("User-Agent", "digitbot (attachment download)")
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, errHostNotAllowed) {
			return nil, digitbot.WrapError(digitbot.EFORBIDDEN, "the attachment redirected away from Discord's servers", err)
		}
		return nil, digitbot.WrapError(digitbot.EUNAVAILABLE, "could not download the attachment", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, digitbot.WrapError(digitbot.EUNAVAILABLE, "could not download the attachment",
			fmt.Errorf("GET %s://%s%s: %s", u.Scheme, u.Host, u.Path, resp.Status))
	}
	if f.maxBytes > 0 && resp.ContentLength > f.maxBytes {
		return nil, digitbot.Errorf(digitbot.ETOOLARGE, "%s has %d bytes, over the %d byte limit", a.Filename, resp.ContentLength, f.maxBytes)
	}
	limit := f.maxBytes
	if limit <= 0 {
		limit = digitbot.DefaultMaxImageBytes
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, digitbot.WrapError(digitbot.EUNAVAILABLE, "could not download the attachment", err)
	}
	if int64(len(data)) > limit {
		return nil, digitbot.Errorf(digitbot.ETOOLARGE, "%s is over the %d byte limit", a.Filename, limit)
	}
	return data, nil
}
