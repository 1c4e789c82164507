package bot

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// userLimits is a token bucket per user. Entries idle long enough to be
// full again are dropped, so the map stays as small as the set of active
// users (and forgets users who asked to be forgotten).
type userLimits struct {
	every rate.Limit // tokens per second; 0 = unlimited
	burst int
	idle  time.Duration // after this long unused, a bucket is full again

	mu        sync.Mutex
	users     map[string]*userLimit
	lastSweep time.Time
}

type userLimit struct {
	lim        *rate.Limiter
	seen       time.Time
	quietUntil time.Time // no second "slow down" before this
}

func newUserLimits(perMinute float64, burst int) *userLimits {
	u := &userLimits{users: map[string]*userLimit{}}
	if perMinute <= 0 {
		return u
	}
	if burst < 1 {
		burst = 1
	}
	u.every = rate.Limit(perMinute / 60)
	u.burst = burst
	u.idle = max(time.Minute, time.Duration(float64(burst)/float64(u.every)*float64(time.Second)))
	return u
}

// allow takes one token for userID. When it refuses, retry says when a
// token will be there and warn is true only for the first refusal of a
// streak, so a spammer is told once rather than answered every time.
func (u *userLimits) allow(userID string, now time.Time) (ok bool, retry time.Duration, warn bool) {
	if u.every == 0 {
		return true, 0, false
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.sweep(now)
	e := u.users[userID]
	if e == nil {
		e = &userLimit{lim: rate.NewLimiter(u.every, u.burst)}
		u.users[userID] = e
	}
	e.seen = now
	if e.lim.AllowN(now, 1) {
		return true, 0, false
	}
	missing := 1 - e.lim.TokensAt(now)
	retry = time.Duration(math.Ceil(missing / float64(u.every) * float64(time.Second)))
	if !now.Before(e.quietUntil) {
		warn = true
		e.quietUntil = now.Add(retry)
	}
	return false, retry, warn
}

// forget drops a user's bucket (after /forget).
func (u *userLimits) forget(userID string) {
	u.mu.Lock()
	delete(u.users, userID)
	u.mu.Unlock()
}

// size is the number of users tracked.
func (u *userLimits) size() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.users)
}

// sweep drops idle buckets at most once a minute. Called with mu held.
func (u *userLimits) sweep(now time.Time) {
	if now.Sub(u.lastSweep) < time.Minute {
		return
	}
	u.lastSweep = now
	for id, e := range u.users {
		if now.Sub(e.seen) >= u.idle {
			delete(u.users, id)
		}
	}
}
