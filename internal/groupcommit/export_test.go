package groupcommit

// Queued is how many items wait for a worker to take them.
func (b *Batcher[T, R]) Queued() int { return len(b.queue) }
