package playground_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/digitbot/digitbot/playground"
)

func do(t *testing.T, req *http.Request) int {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestPlayground_CrossOriginPost_IsRefused: another site open in the same
// browser cannot post messages or press buttons as the page's users; the
// page itself (same origin) still can.
func TestPlayground_CrossOriginPost_IsRefused(t *testing.T) {
	e := newEnv(t, playground.Options{}, nil)
	post := func(headers map[string]string) int {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("user", "ana")
		mw.WriteField("content", "hello from elsewhere")
		mw.Close()
		req, _ := http.NewRequest("POST", e.url+"/api/messages", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		return do(t, req)
	}
	if got := post(map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}); got != http.StatusForbidden {
		t.Errorf("cross-site POST (browser with Sec-Fetch-Site): status %d, want 403", got)
	}
	if got := post(map[string]string{"Origin": "https://evil.example"}); got != http.StatusForbidden {
		t.Errorf("cross-origin POST (Origin only): status %d, want 403", got)
	}
	for _, m := range e.srv.Messages(playground.ChannelID) {
		if strings.Contains(m.Content, "from elsewhere") {
			t.Errorf("a cross-origin POST was posted: %q", m.Content)
		}
	}
	u, _ := url.Parse(e.url)
	if got := post(map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://" + u.Host}); got >= 400 {
		t.Errorf("same-origin POST: status %d", got)
	}
}

// TestPlayground_OtherHostHeader_IsRefused: with AllowedHosts set, a
// request naming another host (a DNS-rebinding page) is refused, reads
// included; the listen address is served.
func TestPlayground_OtherHostHeader_IsRefused(t *testing.T) {
	local := newEnv(t, playground.Options{AllowedHosts: []string{"127.0.0.1:8080", "localhost:8080"}}, nil)
	public := newEnv(t, playground.Options{}, nil)
	get := func(e *env, host string) int {
		req, _ := http.NewRequest("GET", e.url+"/api/messages?user=ana", nil)
		req.Host = host
		return do(t, req)
	}
	if got := get(local, "rebind.evil.example:8080"); got != http.StatusMisdirectedRequest {
		t.Errorf("GET with a rebound Host: status %d, want 421", got)
	}
	for _, host := range []string{"127.0.0.1:8080", "LOCALHOST:8080"} {
		if got := get(local, host); got != http.StatusOK {
			t.Errorf("GET with Host %s: status %d, want 200", host, got)
		}
	}
	if got := get(public, "anything.example"); got != http.StatusOK {
		t.Errorf("without AllowedHosts (--public): status %d, want 200", got)
	}
}
