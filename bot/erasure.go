package bot

import (
	"context"
	"sync"

	"github.com/digitbot/digitbot"
)

// erasures orders deletions (/forget, a server's purge) against the work
// that writes about the same user or server. Without it, an upload in
// flight during /forget saved its prediction after "everything is
// deleted", got a reply with buttons, and a press stored a permanent
// evaluation.
//
//   - Work begins with begin, which refuses while its user or server is
//     being erased, and ends with the returned release.
//   - Every write goes through save, which refuses while the user or
//     server is being erased; saves run under a shared lock, deletions under
//     the exclusive one, so no write slips between the check and the
//     deletion.
//   - erase marks the key, waits for the work in flight to finish (so its
//     answer comes before "deleted", and its writes are deleted with the
//     rest), then deletes. If the wait ends first, the key stays marked
//     until the last of that work ends, so none of it writes afterwards.
type erasures struct {
	saves sync.RWMutex // shared by saves, exclusive for deletions

	mu        sync.Mutex
	inflight  map[string]int           // work in flight per key
	idle      map[string]chan struct{} // closed when a key's work in flight drops to 0
	erasing   map[string]int           // erasures running per key
	lingering map[string]bool          // erased while work was still in flight
}

func newErasures() *erasures {
	return &erasures{
		inflight:  map[string]int{},
		idle:      map[string]chan struct{}{},
		erasing:   map[string]int{},
		lingering: map[string]bool{},
	}
}

// userKey and guildKey name what an erasure deletes.
func userKey(userID string) string { return "user:" + userID }
func guildKey(guildID string) string {
	if guildID == "" {
		return "" // a DM belongs to no server
	}
	return "guild:" + guildID
}

// errErasing is returned for writes about a user or server being erased.
func errErasing() error {
	return digitbot.Errorf(digitbot.ECONFLICT, "This data is being deleted.")
}

func (e *erasures) blockedLocked(keys []string) bool {
	for _, k := range keys {
		if k != "" && (e.erasing[k] > 0 || e.lingering[k]) {
			return true
		}
	}
	return false
}

// begin registers work about keys ("" entries are ignored). It reports
// false, registering nothing, while any of them is being erased.
func (e *erasures) begin(keys ...string) (release func(), ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.blockedLocked(keys) {
		return nil, false
	}
	for _, k := range keys {
		if k != "" {
			e.inflight[k]++
		}
	}
	var once sync.Once
	return func() { once.Do(func() { e.end(keys) }) }, true
}

func (e *erasures) end(keys []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, k := range keys {
		if k == "" {
			continue
		}
		if e.inflight[k]--; e.inflight[k] > 0 {
			continue
		}
		delete(e.inflight, k)
		delete(e.lingering, k)
		if ch, ok := e.idle[k]; ok {
			close(ch)
			delete(e.idle, k)
		}
	}
}

// save runs write unless any of keys is being erased (errErasing).
func (e *erasures) save(write func() error, keys ...string) error {
	e.saves.RLock()
	defer e.saves.RUnlock()
	e.mu.Lock()
	blocked := e.blockedLocked(keys)
	e.mu.Unlock()
	if blocked {
		return errErasing()
	}
	return write()
}

// erase marks key, waits for its work in flight to finish or ctx to end,
// and runs del. The error is del's.
func (e *erasures) erase(ctx context.Context, key string, del func() error) error {
	e.mu.Lock()
	e.erasing[key]++
	var idle chan struct{}
	if e.inflight[key] > 0 {
		idle = e.idle[key]
		if idle == nil {
			idle = make(chan struct{})
			e.idle[key] = idle
		}
	}
	e.mu.Unlock()
	if idle != nil {
		select {
		case <-idle:
		case <-ctx.Done():
		}
	}
	e.saves.Lock()
	err := del()
	e.saves.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.erasing[key]--; e.erasing[key] <= 0 {
		delete(e.erasing, key)
	}
	if e.inflight[key] > 0 {
		e.lingering[key] = true
	}
	return err
}
