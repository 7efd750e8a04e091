package web

// ArgonPeak returns the most Argon2id computations that ran at once since
// ResetArgonPeak.
func ArgonPeak() int64 { return argonPeak.Load() }

// ResetArgonPeak starts a new count for ArgonPeak.
func ResetArgonPeak() { argonPeak.Store(argonRunning.Load()) }
