package fakediscord

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/url"
	"testing"
)

func bigJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i % 251)
	}
	img.SetGray(w/2, h/2, color.Gray{})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMediaProxy_ResizesLikeDiscords_AndFaultsAnswerAsSaid(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	m, err := srv.PostMessage(MessageOptions{Attachments: []File{{Name: "p.jpg", Data: bigJPEG(t, 1200, 900)}}})
	if err != nil {
		t.Fatal(err)
	}
	a := m.Attachments[0]
	if a.Width != 1200 || a.Height != 900 {
		t.Fatalf("attachment is %dx%d", a.Width, a.Height)
	}
	client := srv.HTTPClient()
	get := func(raw string, q url.Values) (*http.Response, []byte) {
		t.Helper()
		u, _ := url.Parse(raw)
		v := u.Query()
		for k, vs := range q {
			v[k] = vs
		}
		u.RawQuery = v.Encode()
		resp, err := client.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	size := url.Values{"width": {"400"}, "height": {"400"}}
	resp, body := get(a.ProxyURL, size)
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if resp.StatusCode != 200 || err != nil || format != "jpeg" || cfg.Width != 400 || cfg.Height != 300 {
		t.Errorf("resized: %s %v %s %dx%d, want a 400x300 JPEG (fitted in 400x400, aspect kept)", resp.Status, err, format, cfg.Width, cfg.Height)
	}
	// The CDN host ignores the size: only the media proxy resizes.
	if _, body := get(a.URL, size); len(body) != len(m.Files[0].Data) {
		t.Errorf("the CDN answered %d bytes, want the original's %d", len(body), len(m.Files[0].Data))
	}
	// Never enlarged.
	if _, body := get(a.ProxyURL, url.Values{"width": {"4000"}, "height": {"4000"}}); len(body) != len(m.Files[0].Data) {
		t.Errorf("a size larger than the picture did not give the original")
	}
	// A broken signature is refused even with a size.
	if resp, _ := get(a.ProxyURL, url.Values{"hm": {"00"}, "width": {"10"}, "height": {"10"}}); resp.StatusCode != 404 {
		t.Errorf("a bad signature: %s", resp.Status)
	}
	srv.SetMediaProxyFault(MediaProxyError)
	if resp, _ := get(a.ProxyURL, size); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("MediaProxyError: %s", resp.Status)
	}
	srv.SetMediaProxyFault(MediaProxyWrongType)
	if resp, _ := get(a.ProxyURL, size); resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("MediaProxyWrongType: %s", resp.Header.Get("Content-Type"))
	}
	srv.SetMediaProxyFault(MediaProxyCorrupt)
	if _, body := get(a.ProxyURL, size); func() error { _, err := jpeg.Decode(bytes.NewReader(body)); return err }() == nil {
		t.Errorf("MediaProxyCorrupt: the copy decodes")
	}
	srv.SetMediaProxyFault(MediaProxyIgnoresSize)
	if _, body := get(a.ProxyURL, size); len(body) != len(m.Files[0].Data) {
		t.Errorf("MediaProxyIgnoresSize: not the original")
	}
	if st := srv.CDNStats(); st.Resized != 6 || st.Originals != 1 {
		t.Errorf("CDNStats %+v, want 6 sized requests (faults and the too-large size included) and 1 original", st)
	}
}

func TestMaxMessages_ForgetsTheOldestWithTheirFiles(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{MaxMessages: 3})
	var posted []*Message
	for i := range 5 {
		m, err := srv.PostMessage(MessageOptions{Content: string(rune('a' + i)),
			Attachments: []File{{Name: "p.png", Data: pngBytes(t)}}})
		if err != nil {
			t.Fatal(err)
		}
		posted = append(posted, m)
	}
	if got := srv.Messages(posted[0].ChannelID); len(got) != 3 || got[0].ID != posted[2].ID {
		t.Fatalf("kept %d messages, want the last 3", len(got))
	}
	if _, ok := srv.Message(posted[0].ID); ok {
		t.Error("the oldest message is still there")
	}
	client := srv.HTTPClient()
	for i, m := range posted {
		resp, err := client.Get(m.Attachments[0].URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{true: 404, false: 200}[i < 2]; resp.StatusCode != want {
			t.Errorf("message %d's attachment: %s, want %d", i, resp.Status, want)
		}
	}
}
