package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // the media proxy's copy is checked before it replaces the original
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
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
//
// A big picture is fetched downscaled from Discord's media proxy (the
// attachment's proxy_url with width and height), which is the only URL the
// media proxy's host is allowed for; the original is the fallback.
type fetcher struct {
	client     *http.Client
	hosts      map[string]bool // for the original (the attachment's url)
	proxyHosts map[string]bool // for proxy_url: the allowed hosts that are Discord's media proxy
	maxBytes   int64
	maxPixels  int
	timeout    time.Duration
}

func newFetcher(base *http.Client, hosts []string, maxBytes int64, maxPixels int, timeout time.Duration) *fetcher {
	f := &fetcher{hosts: map[string]bool{}, proxyHosts: map[string]bool{}, maxBytes: maxBytes, maxPixels: maxPixels, timeout: timeout}
	for _, h := range hosts {
		h = strings.ToLower(h)
		if h == digitbot.DiscordMediaProxyHost {
			f.proxyHosts[h] = true
		} else {
			f.hosts[h] = true
		}
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
		hosts, _ := req.Context().Value(hostsKey{}).(map[string]bool)
		return checkURL(req.URL, hosts)
	}
	f.client = c
	return f
}

// hostsKey keys the hosts a request (and its redirects) may go to in its
// context.
type hostsKey struct{}

// errHostNotAllowed marks a URL outside Discord's attachment hosts.
var errHostNotAllowed = errors.New("attachment URL is not on an allowed https host")

// checkURL allows only https URLs on the given hosts, on the default port.
func checkURL(u *url.URL, hosts map[string]bool) error {
	if u.Scheme != "https" || u.User != nil || (u.Port() != "" && u.Port() != "443") || !hosts[strings.ToLower(u.Hostname())] {
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

// download is a fetched attachment: its bytes and, when they are a
// downscaled copy from the media proxy, its size (0 for the original).
type download struct {
	data          []byte
	width, height int
}

// scaleBox converts a box in the downloaded picture's pixels to the
// attachment's.
func (d download) scaleBox(a *discordgo.MessageAttachment, box [4]int) [4]int {
	if d.width == 0 || d.height == 0 || a.Width <= 0 || a.Height <= 0 {
		return box
	}
	sx := func(v int) int { return int(int64(v) * int64(a.Width) / int64(d.width)) }
	sy := func(v int) int { return int(int64(v) * int64(a.Height) / int64(d.height)) }
	x0, y0 := sx(box[0]), sy(box[1])
	return [4]int{x0, y0, sx(box[0]+box[2]) - x0, sy(box[1]+box[3]) - y0}
}

// fetch downloads an attachment: a downscaled copy from the media proxy
// when the attachment is far larger than the classifier needs
// (digitbot.ReducedSize), otherwise or when the proxy fails in any way,
// the original. Errors are *digitbot.Error: ETOOLARGE, EUNSUPPORTED,
// EFORBIDDEN (not a Discord URL) or EUNAVAILABLE.
func (f *fetcher) fetch(ctx context.Context, a *discordgo.MessageAttachment) (download, error) {
	if err := f.precheck(a); err != nil {
		return download{}, err
	}
	if d, ok := f.fetchReduced(ctx, a); ok {
		return d, nil
	}
	return f.fetchOriginal(ctx, a)
}

// fetchOriginal downloads the attachment as it was uploaded, also when the
// media proxy's copy could not be read.
func (f *fetcher) fetchOriginal(ctx context.Context, a *discordgo.MessageAttachment) (download, error) {
	hosts, raw := f.hosts, a.URL
	if raw == "" {
		hosts, raw = f.proxyHosts, a.ProxyURL
	}
	data, err := f.get(ctx, raw, hosts, f.timeout, a.Filename, false)
	return download{data: data}, err
}

// fetchReduced asks the media proxy for a copy of a big picture sized by
// digitbot.ReducedSize. It reports false, for the caller to fetch the
// original, unless it got a picture of a format the classifier reads, no
// larger than asked and of the original's aspect ratio.
func (f *fetcher) fetchReduced(ctx context.Context, a *discordgo.MessageAttachment) (download, bool) {
	w, h, ok := digitbot.ReducedSize(a.Width, a.Height)
	if !ok || a.ProxyURL == "" || len(f.proxyHosts) == 0 {
		return download{}, false
	}
	u, err := url.Parse(a.ProxyURL)
	if err != nil {
		return download{}, false
	}
	// Undocumented but what Discord's own clients ask the media proxy for:
	// width and height to fit in, next to the URL's signature.
	q := u.Query()
	q.Set("width", strconv.Itoa(w))
	q.Set("height", strconv.Itoa(h))
	u.RawQuery = q.Encode()
	// Half the timeout, so that the original still has time after a proxy
	// that hangs.
	data, err := f.get(ctx, u.String(), f.proxyHosts, f.timeout/2, a.Filename, true)
	if err != nil {
		return download{}, false
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > w || cfg.Height > h {
		return download{}, false
	}
	// The same shape as the original, within a pixel of rounding.
	if d := int64(cfg.Width)*int64(a.Height) - int64(cfg.Height)*int64(a.Width); max(d, -d) > int64(max(a.Width, a.Height)) {
		return download{}, false
	}
	return download{data: data, width: cfg.Width, height: cfg.Height}, true
}

// get downloads raw from one of hosts, bounded in bytes and time.
// With wantImage, a response that is not labelled an image is refused.
func (f *fetcher) get(ctx context.Context, raw string, hosts map[string]bool, timeout time.Duration, name string, wantImage bool) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, digitbot.WrapError(digitbot.EFORBIDDEN, "the attachment URL is not valid", err)
	}
	if err := checkURL(u, hosts); err != nil {
		return nil, digitbot.WrapError(digitbot.EFORBIDDEN, "the attachment is not on Discord's servers", err)
	}
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, hostsKey{}, hosts), timeout)
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
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); wantImage && (err != nil || !strings.HasPrefix(mt, "image/")) {
		return nil, digitbot.Errorf(digitbot.EUNSUPPORTED, "%s is not an image (the server says %s)", name, resp.Header.Get("Content-Type"))
	}
	if f.maxBytes > 0 && resp.ContentLength > f.maxBytes {
		return nil, digitbot.Errorf(digitbot.ETOOLARGE, "%s has %d bytes, over the %d byte limit", name, resp.ContentLength, f.maxBytes)
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
		return nil, digitbot.Errorf(digitbot.ETOOLARGE, "%s is over the %d byte limit", name, limit)
	}
	return data, nil
}
