package bot

import "context"

// pool bounds image work: at most workers jobs run at once and at most
// workers+queue are admitted (running or waiting); beyond that callers are
// told the bot is busy instead of piling up goroutines and memory.
type pool struct {
	admitted chan struct{}
	running  chan struct{}
}

func newPool(workers, queue int) *pool {
	return &pool{
		admitted: make(chan struct{}, workers+queue),
		running:  make(chan struct{}, workers),
	}
}

// enter admits a job, or reports false when the pool is full. Every true
// must be followed by leave.
func (p *pool) enter() bool {
	select {
	case p.admitted <- struct{}{}:
		return true
	default:
		return false
	}
}

func (p *pool) leave() { <-p.admitted }

// do waits for a worker and runs fn on the calling goroutine.
func (p *pool) do(ctx context.Context, fn func()) error {
	select {
	case p.running <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p.running }()
	fn()
	return nil
}
