package groupcommit

// Average is a moving average of batch sizes over about the last eight
// batches. A linger reads it to tell whether callers come in numbers:
// waiting for more only pays while more are coming, and a caller alone
// should never wait. Batcher's Linger and the SQLite store's hot writer
// both gate their wait on it.
type Average struct{ mean float64 }

// NewAverage starts an average at mean: 1, one caller at a time, for a
// linger that must see company before it waits.
func NewAverage(mean float64) Average { return Average{mean: mean} }

// Add counts a batch of n.
func (a *Average) Add(n int) { a.mean += (float64(n) - a.mean) / 8 }

// Mean is the average batch size.
func (a Average) Mean() float64 { return a.mean }
