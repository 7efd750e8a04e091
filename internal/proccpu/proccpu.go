// Package proccpu reads the CPU time this process has used, for the
// benchmarks that report CPU per delivery (herald bench, the stores' Go
// benchmarks): unlike wall time, it leaves out waits for the disk and the
// network.
package proccpu
