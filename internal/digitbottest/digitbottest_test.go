package digitbottest

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/digitbot/digitbot"
)

func TestStore_RulesOfTheRealStore(t *testing.T) {
	ctx := context.Background()
	s := NewStore()
	p := Number("2026", 0.9, 0.8, 0.7, 0.6)
	p.UserID, p.GuildID = "alice", "g"
	if err := s.SavePrediction(ctx, &p); err != nil || p.ID == "" {
		t.Fatalf("save: %v %q", err, p.ID)
	}
	if _, err := s.EvaluateNumber(ctx, p.ID, "bob", "2026"); digitbot.ErrorCode(err) != digitbot.EFORBIDDEN {
		t.Errorf("a stranger's verdict: %v", err)
	}
	if _, err := s.EvaluateNumber(ctx, p.ID, "alice", "20a6"); digitbot.ErrorCode(err) != digitbot.EINVALID {
		t.Errorf("a verdict that is not a number: %v", err)
	}
	e, err := s.EvaluateNumber(ctx, p.ID, "alice", "20266")
	if err != nil || !e.SegmentationError() || !reflect.DeepEqual(e.Number.Confidences, []float64{0.9, 0.8, 0.7, 0.6}) {
		t.Fatalf("first verdict %+v %v", e, err)
	}
	again, err := s.EvaluateNumber(ctx, p.ID, "alice", "2026")
	if digitbot.ErrorCode(err) != digitbot.EALREADYEVALUATED || again.Number.True != "20266" {
		t.Errorf("second verdict %+v %v", again, err)
	}
	st, _ := s.Stats(ctx, digitbot.Scope{UserID: "alice"})
	if st.Numbers.Count != 1 || st.Numbers.SegmentationErrors != 1 || st.Total != 0 {
		t.Errorf("stats %+v", st.Numbers)
	}
	if err := s.ForgetUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prediction(ctx, p.ID); digitbot.ErrorCode(err) != digitbot.ENOTFOUND {
		t.Errorf("after ForgetUser: %v", err)
	}
}

func TestClassifier_AnswersTheScriptOrRefuses(t *testing.T) {
	c := NewClassifier()
	c.Script([]byte("a"), Digit(7, 0.9))
	p, err := c.Classify(context.Background(), []byte("a"))
	if err != nil || p.Digit != 7 || len(p.Digits) != 1 || p.Digits[0].Input != p.Input || p.Number != "7" {
		t.Errorf("scripted digit %+v %v", p, err)
	}
	if _, err := c.Classify(context.Background(), []byte("b")); digitbot.ErrorCode(err) != digitbot.ENODIGIT {
		t.Errorf("unscripted image: %v", err)
	}
	n := Number("31", 0.5, 0.5)
	if n.Digit != -1 || !n.IsNumber() || n.Confidence != 0.25 || n.Digits[1].Input != Glyph(1) {
		t.Errorf("number %+v", n)
	}
}

func TestSyncBuffer_ConcurrentWritersAllLand(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				b.Write([]byte("x"))
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if got := len(b.String()); got != 800 {
		t.Fatalf("%d bytes, want 800", got)
	}
}

func TestSyncBuffer_WaitFor_ReturnsOnceEverythingIsWritten(t *testing.T) {
	var b SyncBuffer
	done := make(chan error, 1)
	go func() { done <- b.WaitFor(context.Background(), "ready", "set") }()
	b.Write([]byte("get ready, "))
	b.Write([]byte("get set, go"))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.WaitFor(ctx, "never"); err == nil || !strings.Contains(err.Error(), `"never"`) {
		t.Errorf("WaitFor of what was never written: %v", err)
	}
}
