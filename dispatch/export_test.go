package dispatch

// Running reports whether d's Run has started taking work: a publish hands
// deliveries to a dispatcher only from then on.
func (d *Dispatcher) Running() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.running
}
