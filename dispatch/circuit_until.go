package dispatch

import "time"

// CircuitOpenUntil returns when the endpoint's open circuit on this node
// lets its next probe through, for the endpoint's page; zero when the
// circuit is not open.
func (d *Dispatcher) CircuitOpenUntil(endpointID string) time.Time {
	d.ctl.mu.Lock()
	defer d.ctl.mu.Unlock()
	if ctl := d.ctl.m[endpointID]; ctl != nil && ctl.breaker.state == CircuitOpen {
		return ctl.breaker.openUntil
	}
	return time.Time{}
}
