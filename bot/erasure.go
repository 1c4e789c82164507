package bot

import (
	"context"
	"slices"
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
//     server is being erased; saves hold their user's and server's locks
//     shared, a deletion holds its key's exclusively, so no write slips
//     between the check and the deletion, and a deletion holds up only the
//     writes about what it deletes.
//   - erase marks the key, waits for the work in flight to finish (so its
//     answer comes before "deleted", and its writes are deleted with the
//     rest), then deletes. If the wait ends first, the key stays marked
//     until the last of that work ends, so none of it writes afterwards.
type erasures struct {
	mu        sync.Mutex
	locks     map[string]*keyLock      // per key, while someone holds or waits for it
	inflight  map[string]int           // work in flight per key
	idle      map[string]chan struct{} // closed when a key's work in flight drops to 0
	erasing   map[string]int           // erasures running per key
	lingering map[string]bool          // erased while work was still in flight
}

// keyLock is a key's lock: shared by saves, exclusive for its deletion.
type keyLock struct {
	rw   sync.RWMutex
	refs int // holders and waiters; the entry goes when it drops to 0
}

// lockKeys takes keys' locks (shared, or exclusive), in sorted order so
// that two callers cannot each hold what the other waits for. It returns
// the unlock.
func (e *erasures) lockKeys(exclusive bool, keys ...string) (unlock func()) {
	var ks []string
	for _, k := range keys {
		if k != "" && !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	e.mu.Lock()
	held := make([]*keyLock, len(ks))
	for i, k := range ks {
		l := e.locks[k]
		if l == nil {
			l = &keyLock{}
			e.locks[k] = l
		}
		l.refs++
		held[i] = l
	}
	e.mu.Unlock()
	for _, l := range held {
		if exclusive {
			l.rw.Lock()
		} else {
			l.rw.RLock()
		}
	}
	return func() {
		for _, l := range held {
			if exclusive {
				l.rw.Unlock()
			} else {
				l.rw.RUnlock()
			}
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		for i, l := range held {
			if l.refs--; l.refs == 0 {
				delete(e.locks, ks[i])
			}
		}
	}
}

func newErasures() *erasures {
	return &erasures{
		locks:     map[string]*keyLock{},
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
	defer e.lockKeys(false, keys...)()
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
	unlock := e.lockKeys(true, key)
	err := del()
	unlock()

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
